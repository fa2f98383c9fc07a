// SPDX-License-Identifier: BSL-1.0
#include "posix/fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "posix/child_path.hpp"
#include "posix/fork_safe_mutex.hpp"

namespace trap::posix {
namespace {

[[noreturn]] void fail(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

std::string call_text(const char* call, int a) {
  return std::string(call) + "(" + std::to_string(a) + ")";
}

std::string call_text(const char* call, int a, int b) {
  return std::string(call) + "(" + std::to_string(a) + ", " + std::to_string(b) + ")";
}

// One attempt at @p call through the seam: an injected fault comes back as
// the call's own failure (-1, errno set), so that the error handling and
// the EINTR retry around the attempt run as they would for a real one.
template <class F>
auto attempt(const char* call, F f) -> decltype(f()) {
  if (int e = take_fault(call); e > 0) {
    errno = e;
    return -1;
  }
  return f();
}

// Waits until @p fd can take a write: a descriptor someone made
// non-blocking (a terminal, a pipe shared with another program) says
// EAGAIN where a blocking one would wait.
void wait_writable(int fd) {
  struct pollfd p = {fd, POLLOUT, 0};
  while (::poll(&p, 1, -1) < 0) {
    if (errno != EINTR) fail(errno, call_text("poll", fd));
  }
}

}  // namespace

Fd off_standard_fds(Fd fd) {
  // A new descriptor takes the lowest free number: with stdin, stdout or
  // stderr closed, that is the closed stream's, and the program's writes to
  // it (or a later open()'s number) would meet trap's file.
  if (!fd || fd.get() > 2) return fd;
  for (;;) {
    int r = attempt("dup", [&] { return ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3); });
    if (r >= 0) return Fd(r);  // the low one is closed as fd goes
    if (errno != EINTR) fail(errno, call_text("dup", fd.get()));
  }
}

TRAP_CHILD_PATH void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);  // close is not retried: the fd is gone anyway
  fd_ = -1;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

int open_standard_fds() noexcept {
  // No event asked: poll() only reports a closed descriptor (POLLNVAL).
  pollfd fds[3] = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
  int r = -1;
  do r = ::poll(fds, 3, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  int open = 0;
  for (int i = 0; i < 3; ++i)
    if (!(fds[i].revents & POLLNVAL)) open |= 1 << i;
  return open;
}

Fd dup(int fd) {
  for (;;) {
    int r = attempt("dup", [&] { return ::fcntl(fd, F_DUPFD_CLOEXEC, 3); });
    if (r >= 0) return Fd(r);
    if (errno != EINTR) fail(errno, call_text("dup", fd));
  }
}

TRAP_CHILD_PATH Fd dup_if_open(int fd) {
  for (;;) {
    int r = attempt("dup", [&] { return ::fcntl(fd, F_DUPFD_CLOEXEC, 3); });
    if (r >= 0) return Fd(r);
    if (errno == EBADF) return Fd();
    if (errno != EINTR) fail(errno, call_text("dup", fd));
  }
}

TRAP_CHILD_PATH int self_pid() { return pid_cache().load(std::memory_order_relaxed); }

void count_spawn() noexcept { ++fork_counter(); }

TRAP_CHILD_PATH unsigned long fork_count() {
  return fork_counter().load(std::memory_order_relaxed);
}

TRAP_CHILD_PATH void dup2(int from, int to) {
  while (attempt("dup2", [&] { return ::dup2(from, to); }) < 0) {
    if (errno != EINTR && errno != EBUSY) fail(errno, call_text("dup2", from, to));
  }
}

std::pair<Fd, Fd> pipe() {
  int p[2];
  while (attempt("pipe2", [&] { return ::pipe2(p, O_CLOEXEC); }) < 0) {
    if (errno != EINTR) fail(errno, "pipe2");
  }
  Fd read_end(p[0]), write_end(p[1]);
  return {off_standard_fds(std::move(read_end)), off_standard_fds(std::move(write_end))};
}

Fd memfd(const char* name) {
  for (;;) {
    int r = attempt("memfd_create",
                    [&] { return ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING); });
    if (r >= 0) return off_standard_fds(Fd(r));
    if (errno == ENOSYS || errno == EINVAL) return Fd();
    if (errno != EINTR) fail(errno, "memfd_create");
  }
}

Fd temp_file(const std::string& dir) {
  const std::string what = "cannot create temp file in \"" + dir + "\"";
  int r;
  do {
    r = attempt("open", [&] { return ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600); });
  } while (r < 0 && errno == EINTR);
  if (r >= 0) return off_standard_fds(Fd(r));
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) fail(errno, what + " (open)");
  // No O_TMPFILE here: a named file, unlinked at once.
  std::string path;
  do {
    path = dir + "/trap-XXXXXX";
    r = attempt("mkstemp", [&] { return ::mkostemp(path.data(), O_CLOEXEC); });
  } while (r < 0 && errno == EINTR);
  if (r < 0) fail(errno, what + " (mkstemp)");
  Fd file(r);
  if (::unlink(path.c_str()) != 0) fail(errno, what + " (unlink \"" + path + "\")");
  return off_standard_fds(std::move(file));
}

std::string temp_dir() {
  // Bazel gives each test a private TEST_TMPDIR, and may leave TMPDIR alone.
  for (const char* name : {"TEST_TMPDIR", "TMPDIR"})
    if (const char* d = std::getenv(name); d && *d) return d;
  return "/tmp";
}

NamedFile named_temp_file(const std::string& dir, const std::string& prefix,
                          const std::string& suffix) {
  std::string path;
  int r;
  do {
    path = dir + "/" + prefix + "XXXXXX" + suffix;
    r = attempt("mkstemp", [&] {
      return ::mkostemps(path.data(), static_cast<int>(suffix.size()), O_CLOEXEC);
    });
  } while (r < 0 && errno == EINTR);
  if (r < 0) fail(errno, "cannot create temp file in \"" + dir + "\" (mkstemp)");
  Fd file;
  try {
    file = off_standard_fds(Fd(r));
  } catch (...) {
    ::unlink(path.c_str());  // nobody else knows its name
    throw;
  }
  return {std::move(file), std::move(path)};
}

ssize_t read_some(int fd, char* buf, std::size_t n) {
  for (;;) {
    const int e = take_fault("read");
    ssize_t r = -1;
    if (e > 0)
      errno = e;
    else
      r = ::read(fd, buf, e < 0 && n > 1 ? 1 : n);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    fail(errno, call_text("read", fd));
  }
}

ssize_t read_nowait(int fd, char* buf, std::size_t n) {
  for (;;) {
    const int e = take_fault("read");
    if (e < 0) return -1;  // an injected short read: the caller asks FIONREAD
    ssize_t r = -1;
    if (e > 0) {
      errno = e;
    } else {
      iovec v{buf, n};
      r = ::preadv2(fd, &v, 1, -1, RWF_NOWAIT);
    }
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EOPNOTSUPP || errno == ENOSYS ||
        errno == EINVAL || errno == EPERM)  // EPERM, ENOSYS: a seccomp filter
      return -1;
    fail(errno, call_text("read", fd));
  }
}

TRAP_CHILD_PATH void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const int e = take_fault("write");
    ssize_t r = -1;
    if (e > 0)
      errno = e;
    else
      r = ::write(fd, data, e < 0 ? 1 : n);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_writable(fd);
        continue;
      }
      fail(errno, call_text("write", fd));
    }
    data += r;
    n -= static_cast<std::size_t>(r);
  }
}

TRAP_CHILD_PATH std::size_t read_from(int fd, std::size_t offset, std::string& out) {
  const std::size_t base = out.size();
  constexpr std::size_t kMaxChunk = 1u << 20;
  std::size_t chunk = 4096, done = 0, expected = 0;
  bool sized = false;
  for (;;) {
    const int e = take_fault("pread");
    std::size_t want = e < 0 ? 1 : done < expected ? expected - done : chunk;
    // The first read goes to the stack: an empty or short file (a fork
    // trap's record, most captures) costs the string no chunk-sized growth,
    // so no allocation, and no fresh heap page written in a process that
    // has just forked (each such page is a fault).
    char small[512];
    const bool to_stack = done == 0 && want >= sizeof small;
    if (to_stack)
      want = sizeof small;
    else
      out.resize(base + done + want);
    char* into = to_stack ? small : out.data() + base + done;
    ssize_t r = -1;
    if (e > 0)
      errno = e;
    else
      r = ::pread(fd, into, want, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) {
      out.resize(base + done);
      continue;
    }
    if (r < 0) {
      out.resize(base);
      fail(errno, call_text("pread", fd));
    }
    if (to_stack) out.append(small, static_cast<std::size_t>(r));
    done += static_cast<std::size_t>(r);
    out.resize(base + done);
    // A regular file reads short only at its end.
    if (r == 0 || (static_cast<std::size_t>(r) < want && e == 0)) return done;
    // More than a first chunk: make room for the whole file at once, and
    // for one more read that finds its end (or what was appended since). A
    // string grown as it fills is copied, and its fresh pages faulted in,
    // at each doubling, which costs more than the reads.
    if (!sized) {
      sized = true;
      struct stat st {};
      if (::fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) > offset + done) {
        expected = static_cast<std::size_t>(st.st_size) - offset;
        out.reserve(base + expected + kMaxChunk);
      }
    }
    if (chunk < kMaxChunk) chunk *= 2;
  }
}

void truncate_rewind(int fd) {
  while (attempt("ftruncate", [&] { return ::ftruncate(fd, 0); }) < 0) {
    if (errno != EINTR) fail(errno, call_text("ftruncate", fd));
  }
  if (::lseek(fd, 0, SEEK_SET) < 0) fail(errno, call_text("lseek", fd));
}

bool seal_shrink(int fd) noexcept { return ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0; }

std::size_t file_size(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(errno, call_text("fstat", fd));
  return static_cast<std::size_t>(st.st_size);
}

TRAP_CHILD_PATH std::optional<std::size_t> file_size_limit() noexcept {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<std::size_t>(rl.rlim_cur);
}

namespace {
struct SigxfszHold {
  ForkSafeMutex& mutex = ForkSafeMutex::make();  // a fork trap's child may hold the signal too
  int holders = 0;
  bool ignored_here = false;  // SIG_IGN is ours, to undo
};
SigxfszHold& sigxfsz_hold() {
  static auto* h = new SigxfszHold;  // never destroyed: exit paths end captures, fork locks it
  return *h;
}
[[maybe_unused]] SigxfszHold& sigxfsz_hold_at_start = sigxfsz_hold();
}  // namespace

void hold_sigxfsz() noexcept {
  SigxfszHold& h = sigxfsz_hold();
  std::lock_guard lock(h.mutex);
  if (h.holders++ > 0) return;
  struct sigaction old {};
  if (::sigaction(SIGXFSZ, nullptr, &old) != 0 || old.sa_handler != SIG_DFL ||
      (old.sa_flags & SA_SIGINFO))
    return;  // the program handles or ignores it: its choice stands
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  h.ignored_here = ::sigaction(SIGXFSZ, &ign, nullptr) == 0;
}

void release_sigxfsz() noexcept {
  SigxfszHold& h = sigxfsz_hold();
  std::lock_guard lock(h.mutex);
  if (h.holders == 0 || --h.holders > 0 || !h.ignored_here) return;
  h.ignored_here = false;
  struct sigaction now {};
  // Set otherwise meanwhile (by the code): left as the code set it.
  if (::sigaction(SIGXFSZ, nullptr, &now) != 0 || now.sa_handler != SIG_IGN) return;
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGXFSZ, &dfl, nullptr);
}

void set_append(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_APPEND) < 0) fail(errno, call_text("fcntl", fd));
}

std::size_t readable_bytes(int fd) {
  int n = 0;
  for (;;) {
    int e = take_fault("ioctl");
    int r = e > 0 ? (errno = e, -1) : ::ioctl(fd, FIONREAD, &n);
    if (r == 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) fail(errno, call_text("ioctl", fd));
  }
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    fail(errno, call_text("fcntl", fd));
}

void set_cloexec(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

bool set_pipe_size(int fd, int bytes) noexcept { return ::fcntl(fd, F_SETPIPE_SZ, bytes) >= 0; }

FileId file_id(int fd) noexcept {
  struct stat st;
  if (::fstat(fd, &st) < 0) return {};
  return {static_cast<unsigned long>(st.st_dev), static_cast<unsigned long>(st.st_ino),
          S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)};
}

Fd epoll() {
  if (int e = take_fault("epoll_create1"); e > 0) fail(e, "epoll_create1");
  int r = ::epoll_create1(EPOLL_CLOEXEC);
  if (r < 0) fail(errno, "epoll_create1");
  return off_standard_fds(Fd(r));
}

void epoll_add(int ep, int fd, std::uint64_t key) {
  epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = key;
  for (;;) {
    int e = take_fault("epoll_ctl");
    int r = e > 0 ? (errno = e, -1) : ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    if (r == 0) return;
    if (errno != EINTR) fail(errno, call_text("epoll_ctl", ep, fd));
  }
}

void epoll_remove(int ep, int fd) noexcept {
  epoll_event ev = {};  // ignored, but kernels before 2.6.9 wanted one
  ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, &ev);
}

int epoll_wait_keys(int ep, EpollReady* ready, int n, int timeout_ms) {
  epoll_event ev[16];
  if (n > 16) n = 16;
  for (;;) {
    int r = ::epoll_wait(ep, ev, n, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(errno, call_text("epoll_wait", ep));
    for (int i = 0; i < r; ++i) ready[i] = {ev[i].data.u64, (ev[i].events & EPOLLHUP) != 0};
    return r;
  }
}

}  // namespace trap::posix
