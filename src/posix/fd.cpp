#include "posix/fd.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace trap::posix {
namespace {

struct Fault {
  std::string call;
  int countdown;
  int err;
};

std::atomic<bool> faults_armed{false};
std::mutex faults_mutex;
std::vector<Fault>& faults() {
  static std::vector<Fault> f;
  return f;
}

}  // namespace

int take_fault(const char* call) {
  if (!faults_armed.load(std::memory_order_relaxed)) return 0;
  std::lock_guard lock(faults_mutex);
  for (auto it = faults().begin(); it != faults().end(); ++it) {
    if (it->call == call && --it->countdown == 0) {
      int err = it->err;
      faults().erase(it);
      if (faults().empty()) faults_armed = false;
      return err;
    }
  }
  return 0;
}

namespace {

[[noreturn]] void fail(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

std::string call_text(const char* call, int a) {
  return std::string(call) + "(" + std::to_string(a) + ")";
}

std::string call_text(const char* call, int a, int b) {
  return std::string(call) + "(" + std::to_string(a) + ", " +
         std::to_string(b) + ")";
}

}  // namespace

void inject_fault(std::string_view call, int nth, int err) {
  std::lock_guard lock(faults_mutex);
  if (nth <= 0) {
    faults().clear();
    faults_armed = false;
    return;
  }
  faults().push_back({std::string(call), nth, err});
  faults_armed = true;
}

void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);  // close is not retried: the fd is gone anyway
  fd_ = -1;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

Fd dup(int fd) {
  if (int e = take_fault("dup"); e > 0) fail(e, call_text("dup", fd));
  int r = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (r < 0) fail(errno, call_text("dup", fd));
  return Fd(r);
}

Fd dup_if_open(int fd) {
  if (int e = take_fault("dup"); e > 0) fail(e, call_text("dup", fd));
  int r = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (r < 0 && errno == EBADF) return Fd();
  if (r < 0) fail(errno, call_text("dup", fd));
  return Fd(r);
}

namespace {
std::atomic<int> cached_pid{0};
std::atomic<unsigned long> forks{0};
void refresh_pid() { cached_pid = ::getpid(); }
void count_fork() { ++forks; }
void watch_forks() {
  static const bool registered = [] {
    refresh_pid();
    ::pthread_atfork(nullptr, count_fork, refresh_pid);
    return true;
  }();
  (void)registered;
}
}  // namespace

int self_pid() {
  watch_forks();
  return cached_pid.load(std::memory_order_relaxed);
}

void count_spawn() noexcept { ++forks; }

unsigned long fork_count() {
  watch_forks();
  return forks.load(std::memory_order_relaxed);
}

void dup2(int from, int to) {
  if (int e = take_fault("dup2"); e > 0) fail(e, call_text("dup2", from, to));
  while (::dup2(from, to) < 0) {
    if (errno != EINTR && errno != EBUSY) fail(errno, call_text("dup2", from, to));
  }
}

std::pair<Fd, Fd> pipe() {
  if (int e = take_fault("pipe2"); e > 0) fail(e, "pipe2");
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) fail(errno, "pipe2");
  return {Fd(p[0]), Fd(p[1])};
}

Fd memfd(const char* name) {
  if (int e = take_fault("memfd_create"); e > 0) fail(e, "memfd_create");
  int r = ::memfd_create(name, MFD_CLOEXEC);
  if (r < 0) {
    if (errno == ENOSYS || errno == EINVAL) return Fd();
    fail(errno, "memfd_create");
  }
  return Fd(r);
}

Fd temp_file(const std::string& dir) {
  const std::string what = "cannot create temp file in \"" + dir + "\"";
  if (int e = take_fault("open"); e > 0) fail(e, what);
  int r = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (r >= 0) return Fd(r);
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) fail(errno, what);
  std::string path = dir + "/trap-XXXXXX";
  r = ::mkostemp(path.data(), O_CLOEXEC);
  if (r < 0) fail(errno, what);
  ::unlink(path.c_str());
  return Fd(r);
}

ssize_t read_some(int fd, char* buf, std::size_t n) {
  int e = take_fault("read");
  if (e > 0) fail(e, call_text("read", fd));
  if (e < 0 && n > 1) n = 1;
  for (;;) {
    ssize_t r = ::read(fd, buf, n);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    fail(errno, call_text("read", fd));
  }
}

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    std::size_t chunk = n;
    int e = take_fault("write");
    if (e > 0) fail(e, call_text("write", fd));
    if (e < 0) chunk = 1;
    ssize_t r = ::write(fd, data, chunk);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail(errno, call_text("write", fd));
    }
    data += r;
    n -= static_cast<std::size_t>(r);
  }
}

std::size_t read_from(int fd, std::size_t offset, std::string& out) {
  const std::size_t base = out.size();
  std::size_t chunk = 4096, done = 0;
  for (;;) {
    int e = take_fault("read");
    if (e > 0) {
      out.resize(base);
      fail(e, call_text("pread", fd));
    }
    const std::size_t want = e < 0 ? 1 : chunk;
    out.resize(base + done + want);
    ssize_t r = ::pread(fd, out.data() + base + done, want, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) {
      out.resize(base + done);
      continue;
    }
    if (r < 0) {
      out.resize(base);
      fail(errno, call_text("pread", fd));
    }
    done += static_cast<std::size_t>(r);
    out.resize(base + done);
    // A regular file reads short only at its end.
    if (r == 0 || (static_cast<std::size_t>(r) < want && e == 0)) return done;
    if (chunk < (1u << 20)) chunk *= 2;
  }
}

void truncate_rewind(int fd) {
  while (::ftruncate(fd, 0) < 0) {
    if (errno != EINTR) fail(errno, call_text("ftruncate", fd));
  }
  if (::lseek(fd, 0, SEEK_SET) < 0) fail(errno, call_text("lseek", fd));
}

void set_append(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_APPEND) < 0)
    fail(errno, call_text("fcntl", fd));
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

}  // namespace trap::posix
