// SPDX-License-Identifier: BSL-1.0
// Both ends of an HTTPS exchange for the TLS tests, on Boost.Asio: a tiny
// server of the tests' own (not trap::http::Server) that answers every
// request with a hand-written "HTTP/1.1 200", and a client that trusts one
// CA only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "http/certificate.hpp"
#include "http/tls.hpp"

namespace test_tls {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

/// An HTTPS server on port 0 of one address, serving one connection at a
/// time on a thread of its own: a handshake, the request's head, "HTTP/1.1
/// 200 OK" with body "ok" and Connection: close, then a TLS shutdown. A
/// connection whose handshake fails is counted and dropped.
class TinyHttpsServer {
 public:
  explicit TinyHttpsServer(const trap::http::TestPki& pki, const std::string& address = "127.0.0.1")
      : TinyHttpsServer(std::make_unique<ssl::context>(
                            trap::http::make_server_context(pki.cert_pem, pki.key_pem)),
                        address) {}
  /// Serves with @p context, which must outlive the server.
  explicit TinyHttpsServer(ssl::context& context, const std::string& address = "127.0.0.1")
      : context_(context), acceptor_(io_, tcp::endpoint(asio::ip::make_address(address), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TinyHttpsServer() {
    asio::post(io_, [this] { acceptor_.close(); });
    thread_.join();
  }
  TinyHttpsServer(const TinyHttpsServer&) = delete;
  TinyHttpsServer& operator=(const TinyHttpsServer&) = delete;

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  int handshakes_ok() const { return ok_; }
  int handshakes_failed() const { return failed_; }
  /// Waits (at most 30 s) until @p n connections are over and their
  /// sockets closed; false at the timeout.
  bool wait_closed(int n) {
    std::unique_lock lock(mutex_);
    return closed_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return closed_ >= n; });
  }

 private:
  TinyHttpsServer(std::unique_ptr<ssl::context> owned, const std::string& address)
      : TinyHttpsServer(*owned, address) {
    owned_ = std::move(owned);
  }

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed
      serve(std::move(socket));
      accept();
    });
  }
  void serve(tcp::socket socket) {
    {
      // Else the reply waits for the client's delayed ACK (Nagle): 40 ms.
      socket.set_option(tcp::no_delay(true));
      ssl::stream<tcp::socket> stream(std::move(socket), context_);
      boost::system::error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) {
        ++failed_;
      } else {
        ++ok_;
        answer(stream);
      }
    }
    std::lock_guard lock(mutex_);
    ++closed_;
    closed_cv_.notify_all();
  }
  static void answer(ssl::stream<tcp::socket>& stream) {
    boost::system::error_code ec;
    std::string head;
    asio::read_until(stream, asio::dynamic_buffer(head), "\r\n\r\n", ec);
    if (ec) return;
    static constexpr char kReply[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    asio::write(stream, asio::buffer(kReply, sizeof kReply - 1), ec);
    if (!ec) stream.shutdown(ec);
  }

  std::unique_ptr<ssl::context> owned_;
  ssl::context& context_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  std::mutex mutex_;
  std::condition_variable closed_cv_;
  int closed_ = 0;
};

/// What https_get() saw.
struct Exchange {
  boost::system::error_code handshake;  ///< the handshake's error, if it failed
  std::string response;                 ///< the whole response, when it did not
};

/// GET / from @p address : @p port over TLS 1.2+, trusting @p ca_pem only
/// (verify_peer) and checking that the certificate is for @p host.
inline Exchange https_get(unsigned short port, const std::string& ca_pem, const std::string& host,
                          const std::string& address = "127.0.0.1") {
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.add_certificate_authority(asio::buffer(ca_pem));
  context.set_verify_mode(ssl::verify_peer);
  ssl::stream<tcp::socket> stream(io, context);
  stream.set_verify_callback(ssl::host_name_verification(host));
  stream.lowest_layer().connect(tcp::endpoint(asio::ip::make_address(address), port));
  stream.lowest_layer().set_option(tcp::no_delay(true));
  Exchange exchange;
  stream.handshake(ssl::stream_base::client, exchange.handshake);
  if (exchange.handshake) return exchange;
  const std::string request = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  asio::write(stream, asio::buffer(request));
  boost::system::error_code ec;  // eof: the server's close_notify
  asio::read(stream, asio::dynamic_buffer(exchange.response), ec);
  stream.shutdown(ec);
  return exchange;
}

}  // namespace test_tls
