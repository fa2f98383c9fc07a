// SPDX-License-Identifier: BSL-1.0
// Fork traps in a parent that works against them: SIGCHLD ignored, or
// SA_NOCLDWAIT set, or another thread reaping every child with
// waitpid(-1). The child's exit status may then be lost: the trap is given
// whole from the record the child wrote, or throws an error naming the
// cause, never a made-up exit status.
#define BOOST_TEST_MODULE hostile_parent
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iostream>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "support/child.hpp"

namespace {

// SIGCHLD's disposition set for a scope, the old one put back after.
class ChildSignal {
 public:
  ChildSignal(void (*handler)(int), int flags) {
    struct sigaction sa = {};
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGCHLD, &sa, &old_);
  }
  ~ChildSignal() { ::sigaction(SIGCHLD, &old_, nullptr); }
  ChildSignal(const ChildSignal&) = delete;
  ChildSignal& operator=(const ChildSignal&) = delete;

 private:
  struct sigaction old_ = {};
};

void ignore_signal(int) {}

// A thread that reaps every child of the process as it ends, until stopped.
class Reaper {
 public:
  Reaper()
      : thread_([this] {
          while (!stop_.load()) {
            int status;
            if (::waitpid(-1, &status, 0) < 0 && errno == ECHILD) ::usleep(1000);
          }
        }) {}
  ~Reaper() {
    stop_.store(true);
    // Its waitpid(-1) ends with the next child: one that exits at once.
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    thread_.join();
    ::waitpid(pid, nullptr, 0);  // unless the thread reaped it
  }
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void check_whole_trap() {
  auto r = trap::trap<":fork">([] {
    std::cout << "out" << std::flush;
    std::cerr << "err" << std::flush;
    return 7;
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<int>() == 7);
  BOOST_TEST(r.out() == "out");
  BOOST_TEST(r.err() == "err");
}

void check_exit_is_whole() {
  auto r = trap::trap<":fork">([]() -> int { std::exit(3); });
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(r.exit_code().value_or(-1) == 3);
}

// A child that leaves no record (killed outright): its exit status is
// lost, and the trap says why instead of reporting one. With @p may_see
// the parent may have won the race for the status: then it is the real one.
void check_lost_status_named(const std::string& cause, bool may_see = false) {
  try {
    auto r = trap::trap<":fork">([] { ::raise(SIGKILL); });
    if (!may_see) BOOST_ERROR("no error; leaveby " << r.leaveby());
    BOOST_TEST(r.leaveby() == "signal");
    BOOST_TEST(r.get("signal")->as<int>() == SIGKILL);
  } catch (const trap::TrapError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("exit status") != std::string::npos, what);
    BOOST_TEST(what.find(cause) != std::string::npos, what);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(sigchld_ignored_gives_the_whole_trap_from_the_record) {
  ChildSignal ignored(SIG_IGN, 0);
  check_whole_trap();
  check_exit_is_whole();
  check_lost_status_named("SIGCHLD is ignored");
}

BOOST_AUTO_TEST_CASE(sigchld_ignored_gives_a_fork_exec_trap_whole_too) {
  ChildSignal ignored(SIG_IGN, 0);
  auto r = trap::trap<":fork(exec)">([] {
    std::cout << "out" << std::flush;
    return 7;
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<int>() == 7);
  BOOST_TEST(r.out() == "out");
}

BOOST_AUTO_TEST_CASE(sa_nocldwait_gives_the_whole_trap_from_the_record) {
  ChildSignal no_wait(ignore_signal, SA_NOCLDWAIT);
  check_whole_trap();
  check_exit_is_whole();
  check_lost_status_named("SA_NOCLDWAIT");
}

BOOST_AUTO_TEST_CASE(another_threads_wait_gives_the_whole_trap_from_the_record) {
  Reaper reaper;
  for (int i = 0; i < 20; ++i) check_whole_trap();
  for (int i = 0; i < 5; ++i) check_lost_status_named("reaped by another wait", true);
}

BOOST_AUTO_TEST_CASE(a_timed_out_child_reaped_elsewhere_is_a_timeout) {
  ChildSignal ignored(SIG_IGN, 0);
  auto r = trap::trap<":fork:timeout(100)">([] {
    std::cout << "working" << std::flush;
    for (;;) ::pause();
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.out() == "working");
}

// Under a process limit that is reached (RLIMIT_NPROC, `ulimit -u`) fork
// fails with EAGAIN, which says nothing of it: the error names the limit.
// Root is exempt from it, so the trap runs in a child that has become
// nobody where this is root.
BOOST_AUTO_TEST_CASE(a_process_limit_reached_is_named) {
  auto child = test_support::in_child([] {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    struct rlimit one = {1, 1};
    if (::setrlimit(RLIMIT_NPROC, &one) != 0) ::_exit(4);
    try {
      auto r = trap::trap<":fork">([] { return 1; });
      std::cout << "leaveby " << r.leaveby();
    } catch (const trap::TrapError& e) {
      std::cout << e.what();
    }
  });
  BOOST_REQUIRE(child.exited(0));
  BOOST_TEST(child.out ==
                 "fork layer: fork (the process limit RLIMIT_NPROC 1 is reached: ulimit -u): "
                 "Resource temporarily unavailable",
             child.out);
}
