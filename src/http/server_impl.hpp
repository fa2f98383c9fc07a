// SPDX-License-Identifier: BSL-1.0
// What trap::http::Server is made of, shared by server.cpp (the public
// functions and the lifetime) and server_answer.cpp (answering and the
// log). Sockets, acceptors and connections live on the server's I/O
// thread; the log, the queue, the expectations and the counts live under
// `m`, which the waiting calls sleep on. Private to src/http: it brings
// Boost.Asio in (not Beast: that stays in connection.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <trap/http.hpp>

#include "http/connection.hpp"
#include "http/matcher.hpp"
#include "net/io_thread.hpp"
#include "net/listeners.hpp"
#include "net/stoppable_wait.hpp"
#include "posix/stop_shield.hpp"

namespace trap::http {

class ServerTls;

using net::detail::deadline_after;
using net::detail::Held;

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

class Server::Impl final : public detail::Host {
 public:
  explicit Impl(ServerOptions o);
  ~Impl() override;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // ----------------------------------------------------- detail::Host
  Response answer(Request& request) override;
  void bad_request(Request partial, std::string why) override;
  std::optional<Response> take_close_at_start() override;
  bool stopping() const override { return stopping_; }
  void closed(std::uint64_t id) override;
  const ServerOptions& options() const override { return opt; }

  // ---------------------------------------------------------- lifetime
  // Opens the listeners (throws TrapError or UsageError) and starts the
  // I/O thread.
  void start();
  ShutdownReport shutdown(std::chrono::milliseconds deadline);
  // Closes every connection (on the I/O thread); returns how many.
  std::size_t close_connections();
  bool on_server_thread() const { return io.on_thread(); }
  // Under m: the oldest request not taken yet (those dropped from the log
  // skipped), if any.
  std::optional<Request> take_next();

  // ------------------------------------------------------------- state

  const ServerOptions opt;
  std::unique_ptr<ServerTls> tls;  // under opt.tls: the PKI, context and CA file
  mutable std::mutex m;            // what the waiting calls sleep on (below)
  // Runs the context; `io.finished()` under m: the server has finished.
  net::detail::IoThread io{m, "trap::http::Server"};
  net::detail::Listeners listeners{io.context(), "trap::http::Server"};
  std::uint16_t port4 = 0, port6 = 0;
  // The I/O thread's: the connections by id, the last id given.
  std::map<std::uint64_t, std::shared_ptr<detail::Connection>> connections;
  std::uint64_t last_id = 0;
  std::atomic<bool> stopping_{false};

  // Under m.
  std::condition_variable cv;
  std::deque<Request> log;      // the last max_log requests
  std::uint64_t received = 0;   // requests logged, dropped ones included
  std::uint64_t next_take = 1;  // the sequence take_request() gives next
  std::deque<Response> queue;
  detail::Matcher matcher;
  std::vector<Unmatched> unmatched;
  std::size_t open = 0;  // connections open
  std::optional<ShutdownReport> report;
  // The request a handler (or an expectation's answer) is answering now,
  // null when none runs: shutdown() names it if it has to wait. Cleared
  // under m before the request goes.
  const Request* answering = nullptr;

 private:
  void add_connection(tcp::socket socket);
  void begin_shutdown();
  // Closes every connection but @p spared (0: none); returns those closed.
  std::vector<ConnectionInfo> close_remaining(std::uint64_t spared);
  ShutdownReport settle(std::vector<ConnectionInfo> still_open);
  void release();
  // Runs @p f on the I/O thread; if a handler still runs there @p after
  // from now, says that shutdown()'s @p deadline has passed (trap::warn)
  // and waits on.
  template <class F>
  void run_past_handler(F&& f, std::chrono::milliseconds after, std::chrono::milliseconds deadline);
  void record_unmatched(const Request& request, std::string why);
  template <class F>
  Response guarded(const Request& request, F&& f);
};

}  // namespace trap::http
