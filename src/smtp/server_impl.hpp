// SPDX-License-Identifier: BSL-1.0
// What trap::smtp::Server is made of, shared by server.cpp (the lifetime
// and the public calls) and connection.cpp (one session on its socket).
// Sockets, acceptors and connections live on the server's I/O thread; the
// log, the scripted replies, the problems and the counts live under `m`,
// which the waiting calls sleep on. Private to src/smtp: it brings
// Boost.Asio in.
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

#include <trap/smtp.hpp>

#include "net/io_thread.hpp"
#include "net/listeners.hpp"
#include "net/stoppable_wait.hpp"
#include "smtp/session.hpp"

namespace trap::http {
class ServerTls;
}

namespace trap::smtp {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace detail {
class Connection;
}

class Server::Impl final : public detail::SessionHost {
 public:
  explicit Impl(ServerOptions o);
  ~Impl() override;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // ------------------------------------------------ detail::SessionHost
  std::optional<Reply> scripted(Command command, std::string_view argument) override;
  void accepted(Message message) override;
  void problem(Problem problem) override;

  // ---------------------------------------------------------- lifetime
  // Opens the listeners (throws TrapError or UsageError) and starts the
  // I/O thread.
  void start();
  ShutdownReport shutdown(std::chrono::milliseconds deadline);
  // Closes every connection (on the I/O thread); returns how many.
  std::size_t close_connections();
  bool on_server_thread() const { return io.on_thread(); }
  // A connection has closed its socket (on the I/O thread).
  void closed(std::uint64_t id);
  // A session is over for its client (on the I/O thread, once per session):
  // it began closing after its last reply (QUIT's 221, a 421, a drop) or
  // closed. One fewer in `open`.
  void session_over();
  bool stopping() const { return stopping_; }

  // ------------------------------------------------------------- state
  // A scripted reply and how many more times it answers.
  struct Script {
    Reply reply;
    std::size_t used = 0;
  };

  const ServerOptions opt;
  std::unique_ptr<http::ServerTls> tls;  // under opt.starttls
  mutable std::mutex m;                  // what the waiting calls sleep on (below)
  // Runs the context; `io.finished()` under m: the server has finished.
  net::detail::IoThread io{m, "trap::smtp::Server"};
  net::detail::Listeners listeners{io.context(), "trap::smtp::Server"};
  std::uint16_t port4 = 0, port6 = 0;
  // The I/O thread's: the connections by id, the last id given.
  std::map<std::uint64_t, std::shared_ptr<detail::Connection>> connections;
  std::uint64_t last_id = 0;
  std::atomic<bool> stopping_{false};

  // Under m.
  std::condition_variable cv;
  std::deque<Message> log;      // the last max_log messages
  std::uint64_t received = 0;   // messages logged, dropped ones included
  std::uint64_t next_take = 1;  // the sequence take_message() gives next
  std::vector<Script> scripts;
  std::deque<Problem> problems;        // the last max_log problems
  std::size_t problems_seen = 0;       // problems reported, dropped ones included
  std::size_t open = 0;                // sessions not yet over for their clients (session_over())
  std::size_t sessions = 0;            // sessions opened
  std::vector<SessionInfo> left_open;  // sessions shutdown() found open and closed
  std::optional<ShutdownReport> report;

 private:
  void add_connection(tcp::socket socket);
  // Says 421 to the sessions not over and closes them, noting them in
  // left_open (on the I/O thread).
  void close_remaining();
  ShutdownReport settle();
  void release();
};

}  // namespace trap::smtp
