// SPDX-License-Identifier: BSL-1.0
// Plain POSIX sockets for the TCP scenarios: an owned descriptor, a
// loopback connect, and a line reader whose every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "soak.hpp"

namespace soak {

/// An owned descriptor, closed when it goes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

/// "@p call: <what errno @p error means>".
inline std::string errno_text(const std::string& call, int error) {
  return call + ": " + std::strerror(error);
}

/// A blocking TCP connection to 127.0.0.1:@p port. @throws Failure
inline Fd connect_loopback(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw Failure(errno_text("socket", errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r;
  do r = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  while (r != 0 && errno == EINTR);
  if (r != 0) {
    const int error = errno;
    throw Failure(errno_text("connect to 127.0.0.1:" + std::to_string(port), error));
  }
  return fd;
}

/// This end's port of socket @p fd.
inline std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) return 0;
  return ntohs(a.sin_port);
}

/// Writes all of @p bytes to blocking socket @p fd. @throws Failure
inline void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t w = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw Failure(errno_text("send", errno));
    bytes.remove_prefix(static_cast<std::size_t>(w));
  }
}

/// What read_until() found.
struct ReadResult {
  std::string bytes;  ///< everything read
  bool eof = false;   ///< the peer closed its side
};

/// Reads from @p fd until @p want has been read (empty: until end of file),
/// end of file, an error, or @p timeout.
inline ReadResult read_until(int fd, std::string_view want, std::chrono::milliseconds timeout) {
  ReadResult r;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (want.empty() || r.bytes.find(want) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r.eof = n == 0;
      break;
    }
    r.bytes.append(buf, static_cast<std::size_t>(n));
  }
  return r;
}

}  // namespace soak
