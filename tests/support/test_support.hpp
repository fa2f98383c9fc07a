// SPDX-License-Identifier: BSL-1.0
// Helpers shared by the tests: descriptor, thread and temp-file accounting,
// events a piece of code sends, and (child.hpp) code run in a child process.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/hub.hpp>
#include <trap/trap.hpp>

#include "support/child.hpp"

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<int>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::size_t>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<bool>)

#if defined(__SANITIZE_ADDRESS__)
#define TRAP_TEST_ASAN 1  // freed memory sits in quarantine: RSS says nothing
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRAP_TEST_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define TRAP_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TRAP_TEST_TSAN 1
#endif
#endif

// Resident memory says nothing about our leaks under ASan (quarantine) or
// TSan (shadow memory grows with every address touched).
#if defined(TRAP_TEST_ASAN) || defined(__SANITIZE_THREAD__)
#define TRAP_TEST_RSS_MEANINGLESS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TRAP_TEST_RSS_MEANINGLESS 1
#endif
#endif

namespace test_support {

/// What `out << value` writes, for the tests of a type's printing.
template <class T>
std::string printed(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

/// The number of open descriptors of this process, as one read of /proc.
inline int read_fd_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    --n;  // the directory stream itself
  }
  return n;
}

// A sanitizer's runtime may hold descriptors for a moment, in any thread:
// UBSan's vptr check (the ASan preset is address,undefined) finds out
// whether memory is readable by writing it into a pipe that it opens and
// closes at once. Another thread's check can so add two descriptors to a
// count. Such a pipe only ever adds, so under a sanitizer the counts below
// take the least of several reads; elsewhere one read is exact.
#if defined(TRAP_TEST_ASAN) || defined(TRAP_TEST_TSAN)
inline constexpr int kFdReads = 10;          // ~10 ms from the first to the last
inline constexpr int kFdSettleReads = 2000;  // ~1 s
#else
inline constexpr int kFdReads = 1;
inline constexpr int kFdSettleReads = 1;
#endif

/// The number of descriptors open in this process, leaving out any that a
/// sanitizer's runtime holds for a moment (above).
inline int count_fds() {
  int n = read_fd_count();
  for (int i = 1; i < kFdReads; ++i) {
    ::usleep(1000);
    n = std::min(n, read_fd_count());
  }
  return n;
}

/// The descriptor count; under a sanitizer, read again (boundedly, ~1 s)
/// while it is above @p at_most, which a pipe of the runtime's may make it
/// for a moment (above). For `settled_fd_count(fds) == fds` after
/// `fds = count_fds()`: a descriptor left open stays open, so that fails.
inline int settled_fd_count(int at_most) {
  int n = read_fd_count();
  for (int i = 1; i < kFdSettleReads && n > at_most; ++i) {
    ::usleep(500);
    n = read_fd_count();
  }
  return n;
}

/// The number of entries in @p dir.
inline int count_entries(const std::string& dir) {
  int n = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

/// Live and zombie children of this process, from /proc.
inline int count_children() {
  int n = 0;
  std::string me = std::to_string(::getpid());
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      std::string stat = std::string("/proc/") + e->d_name + "/stat";
      if (FILE* f = std::fopen(stat.c_str(), "r")) {
        int pid = 0, ppid = 0;
        char state = 0;
        if (std::fscanf(f, "%d %*s %c %d", &pid, &state, &ppid) == 3 && std::to_string(ppid) == me)
          ++n;
        std::fclose(f);
      }
    }
    ::closedir(d);
  }
  return n;
}

/// A fresh, empty directory made TMPDIR for as long as it lives, so a test
/// can count the temp files left behind without seeing other tests' files.
class PrivateTmpdir {
 public:
  PrivateTmpdir() {
    char templ[] = "/tmp/trap-test-XXXXXX";
    if (::mkdtemp(templ)) path_ = templ;
    const char* old = std::getenv("TMPDIR");
    if (old) old_ = old;
    had_ = old != nullptr;
    ::setenv("TMPDIR", path_.c_str(), 1);
  }
  ~PrivateTmpdir() {
    if (had_)
      ::setenv("TMPDIR", old_.c_str(), 1);
    else
      ::unsetenv("TMPDIR");
    ::rmdir(path_.c_str());
  }
  PrivateTmpdir(const PrivateTmpdir&) = delete;
  PrivateTmpdir& operator=(const PrivateTmpdir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_, old_;
  bool had_ = false;
};

/// The number of threads of this process.
inline int count_threads() { return count_entries("/proc/self/task"); }

/// The thread count once threads that were joined have left /proc (the
/// kernel removes a joined thread's entry a moment after pthread_join()
/// returns; there is no event to wait for, so this polls, boundedly).
inline int settled_thread_count(int at_most) {
  int n = count_threads();
  for (int i = 0; i < 2000 && n > at_most; ++i) {
    ::usleep(500);
    n = count_threads();
  }
  return n;
}

/// Device and inode of what descriptor @p fd points to.
inline std::pair<dev_t, ino_t> identity(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

/// Resident memory in KiB.
inline long rss_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

/// The events the code sent, and a short way to read one.
inline std::vector<trap::Event> events_of(const std::function<void()>& fn) {
  return trap::intercept(fn);
}

/// The one event that @p fn sends (fails the test case otherwise).
inline trap::Event one(const std::function<void()>& fn) {
  auto events = trap::intercept(fn);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  return events[0];
}

/// All diagnostic lines of an event, joined with newlines.
inline std::string diagnostics(const trap::Event& e) {
  std::string s;
  for (auto& d : e.diagnostics) s += d + "\n";
  return s;
}

}  // namespace test_support

namespace test_support {
/// Whether descriptor @p fd is open.
inline bool is_open_fd(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

/// Descriptor 2 pointed away for a while: closed, or at a scratch file
/// (unlinked, made before 2 is closed, so that it is not made 2), and
/// put back by restore() or the destructor. What the file got: text().
class StderrAside {
 public:
  StderrAside() {
    char name[] = "/tmp/trap-stderr-XXXXXX";
    file_ = ::mkstemp(name);
    if (file_ >= 0) ::unlink(name);
    saved_ = ::dup(2);
    BOOST_REQUIRE(file_ >= 0 && saved_ >= 0);
  }
  ~StderrAside() {
    restore();
    ::close(file_);
  }
  StderrAside(const StderrAside&) = delete;
  StderrAside& operator=(const StderrAside&) = delete;
  void close() { ::close(2); }
  void to_file() { ::dup2(file_, 2); }
  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  /// What was written to the file so far.
  std::string text() const {
    std::string out(4096, '\0');
    const ssize_t n = ::pread(file_, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }

 private:
  int file_ = -1;
  int saved_ = -1;
};

/// Raises this process's soft limit on open descriptors to @p needed when
/// it is lower (up to the hard limit, which an unprivileged process cannot
/// pass); says whether the limit now allows @p needed.
inline bool allow_descriptors(rlim_t needed) {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? needed : std::min(needed, lim.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  }
  return lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= needed;
}

/// What read_byte_within() saw, other than a byte.
constexpr int kEndOfFile = -1, kNothingInTime = -2;

/// Reads one byte from @p fd, waiting at most @p ms for it: the byte (0 to
/// 255), kEndOfFile, or kNothingInTime (also for a failed poll or read). A
/// test that waits for a child's byte with it fails at the deadline, which
/// is never reached on success, instead of hanging until ctest's timeout.
inline int read_byte_within(int fd, int ms = 30000) {
  struct pollfd p = {fd, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, ms);
  while (r < 0 && errno == EINTR);
  if (r != 1) return kNothingInTime;
  unsigned char c;
  ssize_t n;
  do n = ::read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n == 1) return c;
  return n == 0 ? kEndOfFile : kNothingInTime;
}

/// A result event, as a test method would send it.
inline trap::Event ok(bool pass, const std::string& name) {
  trap::Event e;
  e.pass = pass;
  e.name = name;
  return e;
}

/// A formatter that only counts what it is given to write.
class CountingFormatter final : public trap::Formatter {
 public:
  explicit CountingFormatter(int& writes) : writes_(writes) {}
  void write(const trap::Event&) override { ++writes_; }

 private:
  int& writes_;
};

}  // namespace test_support
