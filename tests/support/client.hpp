// SPDX-License-Identifier: BSL-1.0
// A plain POSIX socket client for the network tests: connect, send, read
// lines with a timeout, close cleanly or with a reset. Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace test_net {

class Client {
 public:
  Client() = default;
  Client(const char* address, std::uint16_t port) { connect(address, port); }
  ~Client() { close(); }
  Client(Client&& o) noexcept : fd_(o.fd_), pending_(std::move(o.pending_)) { o.fd_ = -1; }
  Client& operator=(Client&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = o.fd_;
      pending_ = std::move(o.pending_);
      o.fd_ = -1;
    }
    return *this;
  }

  void connect(const char* address, std::uint16_t port) {
    const bool v6 = std::strchr(address, ':') != nullptr;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    int r;
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      ::inet_pton(AF_INET6, address, &a.sin6_addr);
      r = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      ::inet_pton(AF_INET, address, &a.sin_addr);
      r = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    if (r != 0) throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }

  int fd() const { return fd_; }

  /// This end's port.
  std::uint16_t local_port() const {
    sockaddr_storage a{};
    socklen_t n = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t w = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
      bytes.remove_prefix(static_cast<std::size_t>(w));
    }
  }

  /// Reads until @p n bytes have come or the time is up; what came.
  std::string read_bytes(std::size_t n,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (pending_.size() < n && fill(until)) {
    }
    std::string out = pending_.substr(0, std::min(n, pending_.size()));
    pending_.erase(0, out.size());
    return out;
  }

  /// One line without its "\n", or nothing if none came in time.
  std::optional<std::string> read_line(
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      if (!fill(until)) return std::nullopt;
    }
  }

  /// Whether the server closed the connection (end of file, or a reset if
  /// @p reset) within the time, after whatever data was still coming.
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(5),
                        bool* reset = nullptr) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (fill(until)) {
    }
    if (reset) *reset = last_error_ == ECONNRESET;
    return eof_;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Closes with a reset (RST) instead of a clean close.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
  }

 private:
  // Reads what is there, waiting until @p until; false at end of file,
  // error, or timeout.
  bool fill(std::chrono::steady_clock::time_point until) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      last_error_ = n < 0 ? errno : 0;
      return false;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string pending_;
  bool eof_ = false;
  int last_error_ = 0;
};

}  // namespace test_net
