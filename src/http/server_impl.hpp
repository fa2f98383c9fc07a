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
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <trap/http.hpp>

#include "http/connection.hpp"
#include "http/matcher.hpp"
#include "net/listeners.hpp"

namespace trap::http {

class ServerTls;

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
  bool on_server_thread() const;

  // Runs @p f on the I/O thread (at once if this is it) and waits for it,
  // rethrowing what it threw; false, without running it, once the server
  // has finished. The work guard goes only under `m` with `finished` set:
  // a task posted before that runs before the thread ends.
  template <class F>
  bool run_on_thread(F&& f) {
    if (on_server_thread()) {
      if (finished) return false;
      f();
      return true;
    }
    std::unique_lock lock(m);
    if (finished) return false;
    std::packaged_task<void()> task(std::forward<F>(f));
    auto done = task.get_future();
    asio::post(ctx, [&task] { task(); });
    lock.unlock();
    done.get();
    return true;
  }

  // ------------------------------------------------------------- state

  const ServerOptions opt;
  std::unique_ptr<ServerTls> tls;  // under opt.tls: the PKI, context and CA file
  asio::io_context ctx{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::mutex release_m;  // one thread joins
  net::detail::Listeners listeners{ctx, "trap::http::Server"};
  std::uint16_t port4 = 0, port6 = 0;
  // The I/O thread's: the connections by id, the last id given.
  std::map<std::uint64_t, std::shared_ptr<detail::Connection>> connections;
  std::uint64_t last_id = 0;
  std::atomic<bool> stopping_{false};

  // Under m.
  mutable std::mutex m;
  std::condition_variable cv;
  std::deque<Request> log;      // the last max_log requests
  std::uint64_t received = 0;   // requests logged, dropped ones included
  std::uint64_t next_take = 1;  // the sequence take_request() gives next
  std::deque<Response> queue;
  detail::Matcher matcher;
  std::vector<Unmatched> unmatched;
  std::size_t open = 0;  // connections open
  std::optional<ShutdownReport> report;
  bool finished = false;

 private:
  void add_connection(tcp::socket socket);
  void begin_shutdown();
  std::vector<ConnectionInfo> close_remaining();
  ShutdownReport settle(std::vector<ConnectionInfo> still_open);
  void release();
  void record_unmatched(const Request& request, std::string why);
  template <class F>
  Response guarded(const Request& request, F&& f);
};

}  // namespace trap::http
