// SPDX-License-Identifier: BSL-1.0
// One client connection of a trap::smtp::Server: a Session (the protocol)
// on a socket, plain until STARTTLS and under TLS after it. It reads what
// comes, gives it to the session, writes what the session says and does
// what it asks (start TLS, close). Lives on the server's I/O thread.
// Private to src/smtp: it brings Boost.Asio in.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smtp/server_impl.hpp"
#include "smtp/session.hpp"

namespace trap::smtp::detail {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// A session on `socket`; `tls` (null: no STARTTLS) must outlive it.
  Connection(Server::Impl& server, tcp::socket socket, std::uint64_t id,
             boost::asio::ssl::context* tls);
  /// Greets the client and starts reading.
  void start();
  /// Closes the socket now, with no reply.
  void close();
  /// A 421 (under TLS, then close_notify) if it can be sent at once, or
  /// once the reply being written is out, then closes (shutdown()'s end).
  void close_with_goodbye();
  /// Whether it waits for a command with no transaction begun.
  bool idle() const { return !closed_ && session_.idle(); }
  /// Whether it is over for the client: closed, or closing after its last
  /// reply (QUIT's 221, a 421, a drop).
  bool ending() const { return closing_ || closed_; }
  /// Who it is.
  const SessionInfo& info() const { return session_.info(); }

 private:
  void act(Actions actions);
  void begin_closing();
  void after_write(bool start_tls, bool close);
  void read();
  void on_read(error_code ec, std::size_t n);
  void handshake();
  void on_handshake(error_code ec);
  void arm_timer();
  void on_timeout();
  void linger();
  void drain();
  void send_close_notify();
  void goodbye(bool after_reply);

  template <class F>
  void with_stream(F&& f) {
    if (tls_stream_)
      f(*tls_stream_);
    else
      f(socket_);
  }

  Server::Impl& server_;
  tcp::socket socket_;
  boost::asio::ssl::context* tls_;
  std::optional<boost::asio::ssl::stream<tcp::socket&>> tls_stream_;
  boost::asio::steady_timer timer_;
  Session session_;
  std::array<char, 16 * 1024> buffer_{};
  std::string out_;  // the reply being written
  std::uint64_t timer_generation_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool tls_ready_ = false;  // under TLS, its handshake done
  bool closing_ = false;    // the session or the server decided to close
  bool closed_ = false;
};

}  // namespace trap::smtp::detail
