// SPDX-License-Identifier: BSL-1.0
// The clients of http_bench.cpp, the same for every server measured: a
// blocking keep-alive client (raw socket, one GET, the whole response read by
// its Content-Length), 100 non-blocking keep-alive clients driven by epoll
// from one thread, and an OpenSSL client that connects, does a full TLS
// handshake trusting a given CA, sends one GET and reads its response. Every
// response is checked (status 200, body "ok"): a server that answers wrong
// fails its benchmark instead of looking fast.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "http_bench_servers.hpp"  // checked()

namespace http_bench {

constexpr std::string_view kBody = "ok";

/// The request every client sends: GET / with a Host header (Go's server
/// refuses an HTTP/1.1 request without one), keep-alive.
inline std::string get_request(std::uint16_t port) {
  return "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
}

/// Takes the bytes of responses as they come; complete() says when a whole
/// one is there (its header block and Content-Length bytes of body) and
/// checks it.
class ResponseReader {
 public:
  /// Adds bytes read from the connection.
  void add(const char* data, std::size_t n) { buffer_.append(data, n); }
  /// Whether a whole response is there; if so it is removed and checked:
  /// @p why is "" when it was a 200 with body "ok", else what was wrong.
  bool complete(std::string& why) {
    auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string_view head(buffer_.data(), end + 2);
    auto length = content_length(head);
    if (!length) {
      why = "a response without Content-Length: " + std::string(head.substr(0, 200));
      return true;
    }
    std::size_t total = end + 4 + *length;
    if (buffer_.size() < total) return false;
    why.clear();
    if (head.substr(0, 13) != "HTTP/1.1 200 ")
      why = "status line " + std::string(head.substr(0, head.find("\r\n")));
    else if (std::string_view(buffer_).substr(end + 4, *length) != kBody)
      why = "body \"" + buffer_.substr(end + 4, *length) + "\"";
    buffer_.erase(0, total);
    return true;
  }

 private:
  static std::optional<std::size_t> content_length(std::string_view head) {
    constexpr std::string_view name = "\r\ncontent-length:";
    for (std::size_t i = 0; i + name.size() <= head.size(); ++i) {
      std::size_t j = 0;
      while (j < name.size() && std::tolower(static_cast<unsigned char>(head[i + j])) == name[j])
        ++j;
      if (j == name.size()) return std::strtoull(head.data() + i + j, nullptr, 10);
    }
    return std::nullopt;
  }
  std::string buffer_;
};

/// A connected TCP socket to 127.0.0.1:@p port (TCP_NODELAY; with @p blocking,
/// 5 s send and receive timeouts so that nothing hangs).
inline int connect_to(std::uint16_t port, bool blocking = true) {
  int fd = checked(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  while (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
    if (errno == EINTR) continue;
    int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "connect");
  }
  if (!blocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/// Closes @p fd with a reset (SO_LINGER 0): no TIME_WAIT left behind by the
/// benchmarks that open thousands of connections.
inline void reset_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

/// One blocking keep-alive connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(connect_to(port)), request_(get_request(port)) {}
  ~Client() { reset_close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// One GET and its whole response: "" if it was 200 "ok", else what was wrong.
  std::string get() {
    std::string_view out = request_;
    while (!out.empty()) {
      ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::string("send: ") + std::strerror(errno);
      out.remove_prefix(static_cast<std::size_t>(n));
    }
    std::string why;
    while (!reader_.complete(why)) {
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::string("recv: ") + std::strerror(errno);
      if (n == 0) return "end of file before a whole response";
      reader_.add(buf, static_cast<std::size_t>(n));
    }
    return why;
  }

 private:
  int fd_;
  std::string request_;
  ResponseReader reader_;
};

/// @p n non-blocking keep-alive connections and an epoll set, driven from
/// the calling thread.
class ManyClients {
 public:
  ManyClients(std::uint16_t port, int n)
      : epoll_(checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
        request_(get_request(port)) {
    for (int i = 0; i < n; ++i) {
      conns_.push_back(std::make_unique<Conn>());
      conns_.back()->fd = connect_to(port, false);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = conns_.back().get();
      checked(::epoll_ctl(epoll_, EPOLL_CTL_ADD, conns_.back()->fd, &ev), "epoll_ctl");
    }
  }
  ~ManyClients() {
    for (auto& c : conns_) reset_close(c->fd);
    ::close(epoll_);
  }
  ManyClients(const ManyClients&) = delete;
  ManyClients& operator=(const ManyClients&) = delete;

  /// One round: every client sends a GET (a request is a few dozen bytes: one
  /// send each), then every response is read as epoll reports them. "" if
  /// all were 200 "ok", else what went wrong first.
  std::string round() {
    for (auto& c : conns_) {
      ssize_t n = ::send(c->fd, request_.data(), request_.size(), MSG_NOSIGNAL);
      if (n != static_cast<ssize_t>(request_.size()))
        return n < 0 ? std::string("send: ") + std::strerror(errno) : "a short send";
    }
    std::size_t left = conns_.size();
    epoll_event events[128];
    while (left > 0) {
      int ready = ::epoll_wait(epoll_, events, 128, 5000);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return "no response within 5 s";
      for (int i = 0; i < ready; ++i) {
        auto* c = static_cast<Conn*>(events[i].data.ptr);
        if (std::string why = c->drain(); !why.empty()) return why;
        std::string bad;
        while (c->reader.complete(bad)) {
          if (!bad.empty()) return bad;
          if (left == 0) return "a response nobody asked for";
          --left;
        }
      }
    }
    return "";
  }

 private:
  struct Conn {
    int fd = -1;
    ResponseReader reader;
    /// Reads what there is; "" unless the connection failed or ended.
    std::string drain() {
      for (;;) {
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
          reader.add(buf, static_cast<std::size_t>(n));
          continue;
        }
        if (n == 0) return "end of file before a whole response";
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return "";
        return std::string("recv: ") + std::strerror(errno);
      }
    }
  };
  int epoll_;
  std::string request_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

/// An OpenSSL client context trusting exactly one CA certificate (PEM),
/// verifying the server's certificate for 127.0.0.1, with no session cache:
/// every connection does a full handshake.
class TlsClient {
 public:
  explicit TlsClient(const std::string& ca_pem)
      : ctx_(SSL_CTX_new(TLS_client_method()), SSL_CTX_free) {
    if (!ctx_) throw std::runtime_error("SSL_CTX_new failed");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> ca(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!ca || X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_.get()), ca.get()) != 1)
      throw std::runtime_error("the server's CA PEM does not load");
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_session_cache_mode(ctx_.get(), SSL_SESS_CACHE_OFF);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(ctx_.get()), "127.0.0.1");
  }

  /// Connects, does the handshake, sends one GET, reads the whole response,
  /// sends close_notify and closes: "" if it was 200 "ok", else what failed.
  std::string handshake_and_get(std::uint16_t port) {
    int fd = connect_to(port);
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx_.get()), SSL_free);
    std::string why = exchange(ssl.get(), fd, get_request(port));
    if (why.empty()) SSL_shutdown(ssl.get());
    ssl.reset();
    reset_close(fd);
    return why;
  }

 private:
  static std::string error(const char* what) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    ERR_clear_error();
    return std::string(what) + ": " + buf;
  }

  static std::string exchange(SSL* ssl, int fd, const std::string& request) {
    if (!ssl || SSL_set_fd(ssl, fd) != 1) return error("SSL_new");
    if (SSL_connect(ssl) != 1) return error("SSL_connect");
    if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0)
      return error("SSL_write");
    ResponseReader reader;
    std::string why;
    while (!reader.complete(why)) {
      char buf[4096];
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) return error("SSL_read");
      reader.add(buf, static_cast<std::size_t>(n));
    }
    return why;
  }

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx_;
};

}  // namespace http_bench
