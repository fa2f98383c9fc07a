// SPDX-License-Identifier: BSL-1.0
#include "process/io.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "posix/children.hpp"

namespace trap::detail {
namespace {

using Clock = std::chrono::steady_clock;

void set_nonblocking(const posix::Fd& fd) {
  if (fd) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
}

// Appends what @p fd holds now to @p out; closes it at its end or on an
// error, leaves it open when it is merely empty.
void read_available(posix::Fd& fd, std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.reset();  // its end, or an error
    return;
  }
}

// Writes what the pipe takes now; closes it once all is written or the
// program stops reading (a program that never reads its input is fine).
void write_available(posix::Fd& fd, const std::string& input, std::size_t& written) {
  while (written < input.size()) {
    ssize_t n = ::write(fd.get(), input.data() + written, input.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    break;  // EPIPE and the like
  }
  fd.reset();
}

int poll_timeout(std::optional<Clock::time_point> deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
  return left <= 0 ? 0 : left > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left);
}

}  // namespace

ProgramOutput follow_program(ProgramPipes& p, pid_t pid, const std::string& input,
                             std::optional<Clock::time_point> deadline) {
  ProgramOutput result;
  p.block_sigpipe();
  std::size_t written = 0;
  if (input.empty()) p.in.reset();
  set_nonblocking(p.in);
  set_nonblocking(p.out);
  set_nonblocking(p.err);
  // Without a pidfd, the end of both outputs stands for the program's.
  while (p.exited || p.out || p.err) {
    // Checked on every round: a program that writes without pause keeps
    // poll() from ever timing out.
    if (deadline && Clock::now() >= *deadline) {
      result.timed_out = true;
      posix::kill(-pid, SIGKILL);  // the whole group: grandchildren too
      posix::kill(pid, SIGKILL);   // and the program, had it left the group
      break;
    }
    struct pollfd fds[4];
    nfds_t n = 0;
    auto watch = [&](const posix::Fd& fd, short events) {
      fds[n++] = {fd ? fd.get() : -1, events, 0};  // -1: ignored by poll
    };
    watch(p.in, POLLOUT);
    watch(p.out, POLLIN);
    watch(p.err, POLLIN);
    watch(p.exited, POLLIN);
    int r = ::poll(fds, n, poll_timeout(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw std::system_error(errno, std::generic_category(), "poll");
    if (r == 0) continue;  // the deadline: see above
    if (fds[0].revents) write_available(p.in, input, written);
    if (fds[1].revents) read_available(p.out, result.out);
    if (fds[2].revents) read_available(p.err, result.err);
    if (fds[3].revents) break;  // it has exited: all it wrote is in the pipes
  }
  p.in.reset();
  for (auto* fd : {&p.out, &p.err}) {
    if (*fd) read_available(*fd, fd == &p.out ? result.out : result.err);
    fd->reset();
  }
  p.exited.reset();
  p.allow_sigpipe();
  return result;
}

}  // namespace trap::detail
