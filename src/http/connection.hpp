// SPDX-License-Identifier: BSL-1.0
// One client connection of a trap::http::Server, as the server sees it:
// started, asked whether it is idle, closed. What it reads and writes
// lives in connection.cpp (the only translation unit with Beast), written
// once for any stream: make_connection() serves plain TCP; HTTPS plugs in
// a factory of its own over an ssl::stream (the TLS seam). Private to
// src/http: it brings Boost.Asio in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace boost::asio::ssl {
class context;
}

#include <trap/http.hpp>

namespace trap::http::detail {

/// What a connection asks of its server, on the server's I/O thread.
class Host {
 public:
  virtual ~Host() = default;
  /// Logs a whole request (its sequence set) and returns the answer.
  virtual Response answer(Request& request) = 0;
  /// Logs a request that could not be answered as HTTP ("400 bad request:
  /// bad method"): it never reaches the log of requests.
  virtual void bad_request(Request partial, std::string why) = 0;
  /// The head of the queue when it is a close_at_start fault, taken.
  virtual std::optional<Response> take_close_at_start() = 0;
  /// Whether the server is shutting down (no more keep-alive).
  virtual bool stopping() const = 0;
  /// The connection `id` has closed its socket.
  virtual void closed(std::uint64_t id) = 0;
  /// The options the server runs with.
  virtual const ServerOptions& options() const = 0;
};

/// One connection.
class Connection {
 public:
  virtual ~Connection() = default;
  /// Starts reading requests.
  virtual void start() = 0;
  /// Closes it now (an end of file to the client, not a reset).
  virtual void close() = 0;
  /// Whether it waits for a request and has none begun: a keep-alive
  /// connection between requests (a new one is not idle).
  virtual bool idle() const = 0;
  /// Who it is.
  const ConnectionInfo& info() const { return info_; }

 protected:
  ConnectionInfo info_;
};

/// A connection serving plain HTTP on `socket`, with this id.
std::shared_ptr<Connection> make_connection(Host& host, boost::asio::ip::tcp::socket socket,
                                            std::uint64_t id);

/// A connection serving HTTPS on `socket` with `context` (which must
/// outlive it): a handshake within the header timeout first (a failed one
/// is logged as "tls handshake: ..." through Host::bad_request), a
/// close_notify before each close it decides on (Connection: close, the
/// close faults, an error answer).
std::shared_ptr<Connection> make_tls_connection(Host& host, boost::asio::ssl::context& context,
                                                boost::asio::ip::tcp::socket socket,
                                                std::uint64_t id);

}  // namespace trap::http::detail
