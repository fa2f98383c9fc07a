// SPDX-License-Identifier: BSL-1.0
// Keeping a server's descriptors off 0, 1 and 2. A program may close
// stdin, stdout or stderr; a descriptor made then takes the lowest free
// number, the closed stream's, and a capture of that stream (which captures
// a descriptor that is open) takes it over: a server's reactor then waits
// for a wake-up written into the capture file, and a client's bytes go
// there. Private to src/: it brings Boost.Asio's types in.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <boost/system/error_code.hpp>

#include "posix/fd.hpp"

namespace trap::net::detail {

/// While it lives, /dev/null holds each of 0, 1 and 2 that was closed, so
/// that the descriptors an io_context's reactor makes meanwhile (its epoll,
/// eventfd and timerfd, made with its first socket or timer) get others.
class StandardFdsHeld {
 public:
  StandardFdsHeld() {
    const int open = posix::open_standard_fds();
    if (open < 0) return;
    for (int i = 0; i < 3; ++i) {
      if (open & (1 << i)) continue;
      const int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      if (fd == i)
        held_ |= 1 << i;
      else if (fd >= 0)
        ::close(fd);  // another thread took i meanwhile
    }
  }
  ~StandardFdsHeld() {
    for (int i = 0; i < 3; ++i)
      if (held_ & (1 << i)) ::close(i);
  }
  /// Whether it holds any (0, 1 or 2 was closed).
  bool holding() const noexcept { return held_ != 0; }
  StandardFdsHeld(const StandardFdsHeld&) = delete;
  StandardFdsHeld& operator=(const StandardFdsHeld&) = delete;

 private:
  int held_ = 0;  // bit i: this holds descriptor i
};

/// Moves the descriptor of @p s (an acceptor or a socket of @p protocol,
/// just opened or accepted) above 2 if it got 0, 1 or 2. With no
/// descriptor free it stays where it is.
template <class Socket, class Protocol>
void keep_off_standard_fds(Socket& s, const Protocol& protocol) {
  if (!s.is_open() || s.native_handle() > 2) return;
  const int moved = ::fcntl(s.native_handle(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return;
  boost::system::error_code ec;
  s.close(ec);
  s.assign(protocol, moved, ec);
  if (ec) ::close(moved);  // the socket is closed: its next use fails
}

/// As above, for an accepted socket, of the protocol it was accepted with.
template <class Socket>
void keep_off_standard_fds(Socket& s) {
  if (!s.is_open() || s.native_handle() > 2) return;
  boost::system::error_code ec;
  const auto local = s.local_endpoint(ec);
  if (!ec) keep_off_standard_fds(s, local.protocol());
}

}  // namespace trap::net::detail
