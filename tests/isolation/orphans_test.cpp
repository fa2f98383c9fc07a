// SPDX-License-Identifier: BSL-1.0
// A trap's children do not outlive the process that trapped them: when a
// test program is killed (a ctest or CI timeout) while a `fork` child, a
// `fork(exec)` re-run or a trap::run program runs, that child goes too.
//
// Each case forks a helper, a copy of this test program, that traps code
// which reports its pid and blocks; the test kills the helper with SIGKILL
// and waits (bounded) for the reported process to end.
#define BOOST_TEST_MODULE orphans
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

namespace {

// Reads a decimal pid ended by a newline from @p fd, waiting at most 30 s
// for each byte; 0 if none came.
int read_pid(int fd) {
  std::string digits;
  for (;;) {
    int c = test_support::read_byte_within(fd);
    if (c < 0) return 0;
    if (c == '\n') break;
    digits += static_cast<char>(c);
  }
  return digits.empty() ? 0 : std::stoi(digits);
}

// Writes this process's pid and a newline to @p fd, then blocks for ever.
[[noreturn]] void report_and_block(int fd) {
  std::string line = std::to_string(::getpid()) + "\n";
  if (::write(fd, line.data(), line.size()) < 0) ::_exit(1);
  for (;;) ::pause();
}

// Runs @p trapping in a helper process, which passes @p report_fd on to the
// process that must not outlive it; kills the helper once that process has
// reported its pid, and says whether the process then ends.
bool outlives_nothing(const std::function<void()>& trapping, int report_r, int report_w) {
  std::fflush(nullptr);
  pid_t helper = ::fork();
  if (helper == 0) {
    ::close(report_r);
    trapping();
    ::_exit(0);
  }
  ::close(report_w);
  const int child = read_pid(report_r);
  ::close(report_r);
  ::kill(helper, SIGKILL);
  int status;
  ::waitpid(helper, &status, 0);
  BOOST_REQUIRE_MESSAGE(child > 0, "the trapped process reported its pid");
  BOOST_TEST(child != helper);
  const bool ended = test_support::ends_soon(child);
  if (!ended) ::kill(child, SIGKILL);
  return ended;
}

constexpr const char* kReportFd = "ORPHANS_TEST_REPORT_FD";

}  // namespace

BOOST_AUTO_TEST_CASE(a_fork_child_dies_with_the_test) {
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  BOOST_TEST(outlives_nothing([w = p[1]] { trap::trap(":fork", [w] { report_and_block(w); }); },
                              p[0], p[1]));
}

BOOST_AUTO_TEST_CASE(a_nested_fork_child_dies_with_the_test) {
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  BOOST_TEST(outlives_nothing(
      [w = p[1]] {
        trap::trap(":fork", [w] { trap::trap(":fork", [w] { report_and_block(w); }); });
      },
      p[0], p[1]));
}

// The re-run takes this same test case: there, the trap runs directly (the
// variable, set after the test case began, is set from the start in the
// re-run only), and its descriptor is inherited.
BOOST_AUTO_TEST_CASE(a_fork_exec_rerun_dies_with_the_test) {
  if (const char* fd = std::getenv(kReportFd)) {
    const int w = std::atoi(fd);
    trap::trap(":fork(exec)", [w] { report_and_block(w); });
    return;
  }
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  ::setenv(kReportFd, std::to_string(p[1]).c_str(), 1);
  BOOST_TEST(outlives_nothing(
      [w = p[1]] { trap::trap(":fork(exec)", [w] { report_and_block(w); }); }, p[0], p[1]));
  ::unsetenv(kReportFd);
}

BOOST_AUTO_TEST_CASE(a_program_dies_with_the_test) {
  test_support::PrivateTmpdir tmp;
  const std::string fifo = tmp.path() + "/pid";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  // The helper relays the program's pid from the fifo to the pipe.
  BOOST_TEST(outlives_nothing(
      [&fifo, w = p[1]] {
        if (::fork() == 0) {
          int r = ::open(fifo.c_str(), O_RDONLY);
          char buf[32];
          ssize_t n = ::read(r, buf, sizeof buf);
          if (n > 0 && ::write(w, buf, static_cast<std::size_t>(n)) < 0) ::_exit(1);
          ::_exit(0);
        }
        trap::run({"sh", "-c", "echo $$ > \"$1\"; exec sleep 30", "sh", fifo});
      },
      p[0], p[1]));
  ::unlink(fifo.c_str());
}
