// SPDX-License-Identifier: BSL-1.0
// fork(exec): the child re-executes the test program, runs the current test
// again up to the trap, runs only that trap, and hands the result back, as
// GoogleTest's "threadsafe" death tests do. For programs that run threads.
#define BOOST_TEST_MODULE fork_exec
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "posix/fd.hpp"
#include "support/test_support.hpp"

namespace {

// A thread that runs for the whole test, as a program's worker would.
class Worker {
 public:
  Worker()
      : thread_([this] {
          std::unique_lock lock(m_);
          cv_.wait(lock, [this] { return done_; });
        }) {}
  ~Worker() {
    {
      std::lock_guard lock(m_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(death_test_in_a_threaded_program) {
  Worker worker;
  const int parent = ::getpid();
  auto r = trap::trap<":fork(exec)">([] {
    std::cout << "in pid " << ::getpid() << "\n";
    std::fprintf(stderr, "fatal\n");
    std::abort();
  });
  BOOST_TEST(r.leaveby() == "signal");
  BOOST_TEST(r.signal() == SIGABRT);
  BOOST_TEST(r.out().find("in pid ") == 0u);
  BOOST_TEST(r.out() != "in pid " + std::to_string(parent) + "\n");
  BOOST_TEST(r.err() == "fatal\n");
}

BOOST_AUTO_TEST_CASE(each_trap_of_a_test_runs_its_own_code) {
  Worker worker;
  auto first = trap::trap<":fork(exec)">([] { return 1; });
  auto second = trap::trap<":fork(exec)">([] {
    std::cout << "second";
    std::exit(7);
  });
  auto third = trap::trap<":fork(exec)">([] { throw std::runtime_error("third"); });
  BOOST_TEST(first.return_value<int>() == 1);
  BOOST_TEST(second.exit_code() == 7);
  BOOST_TEST(second.out() == "second");
  BOOST_TEST(third.die() == "third");
}

BOOST_AUTO_TEST_CASE(results_reported_in_the_child_reach_the_parent) {
  auto events = trap::intercept([] {
    trap::trap<":fork(exec)">([] {
      auto inner = trap::trap([] { std::cout << "x"; });
      inner.stdout_is("x", "reported from the re-run process");
    });
  });
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].name == "reported from the re-run process");
  BOOST_TEST(events[0].pass);
}

BOOST_AUTO_TEST_CASE(timeout_above_fork_exec) {
  // The re-run must start the test program again and reach the trap before
  // the deadline: 5 s, far beyond that even under a sanitizer on a loaded
  // machine.
  auto r = trap::trap<":fork(exec):timeout(5000)">([] {
    std::cout << "waiting" << std::endl;
    for (;;) ::pause();
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.out() == "waiting\n");
}

// A re-run whose code ignores every real-time signal (trap's rescue signal
// among them) is killed at the deadline without rescuing its captures: the
// parent reads the capture files it handed over, as for a plain fork.
BOOST_AUTO_TEST_CASE(timeout_above_fork_exec_whose_code_ignores_the_rescue) {
  auto r = trap::trap<":fork(exec):timeout(5000)">([] {
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) ::signal(sig, SIG_IGN);
    std::cout << "waiting" << std::endl;
    for (;;) ::pause();
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.out() == "waiting\n");
}

BOOST_AUTO_TEST_CASE(without_a_framework_hook_it_is_a_trap_error) {
  trap::detail::set_reexec_arguments(nullptr);
  BOOST_CHECK_EXCEPTION(
      trap::trap<":fork(exec)">([] {}), trap::TrapError, [](const trap::TrapError& e) {
        return std::string(e.what()).find("fork(exec): no test framework") != std::string::npos;
      });
  trap::detail::set_reexec_arguments(&trap::detail::BoostForkExec::arguments);
}

BOOST_AUTO_TEST_CASE(programs_the_trapped_code_starts_inherit_nothing_of_it) {
  // In the re-run, the result file is descriptor 198: open (the record goes
  // there at the end) but close-on-exec, and the variable that made the
  // process a re-run is gone. A program the code starts sees neither.
  auto r = trap::trap<":fork(exec)">([] {
    const int flags = ::fcntl(198, F_GETFD);
    std::string seen = flags == -1            ? "198 closed"
                       : (flags & FD_CLOEXEC) ? "198 cloexec"
                                              : "198 inherited";
    seen += std::getenv("TRAP_FORK_EXEC") ? ", variable set" : ", no variable";
    const int program = std::system(
        "test -e /proc/self/fd/198 && exit 3; test -n \"${TRAP_FORK_EXEC+x}\" && exit 4; exit 0");
    seen += "; program: " + std::to_string(WIFEXITED(program) ? WEXITSTATUS(program) : -1);
    return seen;
  });
  BOOST_TEST(r.return_value<std::string>() == "198 cloexec, no variable; program: 0");
}

BOOST_AUTO_TEST_CASE(the_first_trap_of_a_test_hands_its_rerun_no_earlier_results) {
  // Nothing comes before a test's first fork(exec) trap: its re-run gets no
  // file of earlier results on descriptor 197, so a descriptor 197 the
  // program holds (not close-on-exec) reaches that re-run as any other one
  // does. The second trap's re-run finds the first's result there, and
  // closes it once read. The first run opens it; the re-runs inherit it,
  // and the variable that says so.
  constexpr const char* held = "FORK_EXEC_TEST_HOLDS_197";
  if (!std::getenv(held)) {
    trap::posix::Fd mine = trap::posix::memfd("mine");
    BOOST_REQUIRE(::dup2(mine.get(), 197) == 197);
    ::setenv(held, "1", 1);
  }
  auto state_of_197 = [] { return std::string(::fcntl(197, F_GETFD) == -1 ? "closed" : "open"); };
  auto first = trap::trap<":fork(exec)">(state_of_197);
  auto second = trap::trap<":fork(exec)">(state_of_197);
  ::close(197);
  ::unsetenv(held);
  BOOST_TEST(first.return_value<std::string>() == "open");
  BOOST_TEST(second.return_value<std::string>() == "closed");
}

BOOST_AUTO_TEST_CASE(unknown_style_is_a_usage_error_before_anything_runs) {
  bool ran = false;
  BOOST_CHECK_EXCEPTION(trap::trap(":fork(spoon)", [&] { ran = true; }), trap::UsageError,
                        [](const trap::UsageError& e) {
                          return std::string(e.what()) ==
                                 "Layer \"fork\" takes no argument or \"exec\", not \"spoon\"";
                        });
  BOOST_TEST(!ran);
}

BOOST_AUTO_TEST_CASE(interrupted_spawn_is_retried_failed_one_is_a_trap_error) {
  trap::posix::inject_fault("posix_spawn", 1, EINTR);
  auto r = trap::trap<":fork(exec)">([] { return 5; });
  trap::posix::inject_fault("", 0, 0);
  BOOST_TEST(r.return_value<int>() == 5);
  const int fds = test_support::count_fds();
  trap::posix::inject_fault("posix_spawn", 1, EAGAIN);
  try {
    trap::trap<":fork(exec)">([] {});
    trap::posix::inject_fault("", 0, 0);
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    trap::posix::inject_fault("", 0, 0);
    BOOST_TEST(
        std::string(e.what()).find(
            "fork(exec): posix_spawn \"/proc/self/exe\": Resource temporarily unavailable") !=
            std::string::npos,
        e.what());
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::count_children() == 0);
}

// The re-run finds its files on descriptors 198 and 199: under a lower
// RLIMIT_NOFILE (`ulimit -n 150`) the trap fails naming the limit.
BOOST_AUTO_TEST_CASE(a_descriptor_limit_below_200_is_named) {
  struct rlimit old {};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  struct rlimit low = old;
  low.rlim_cur = 150;
  const int fds = test_support::count_fds();
  BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::string what = "no TrapError";
  try {
    auto r = trap::trap<":fork(exec)">([] { return 5; });
    what += ", leaveby " + r.leaveby();
  } catch (const trap::TrapError& e) {
    what = e.what();
  }
  ::setrlimit(RLIMIT_NOFILE, &old);
  BOOST_TEST(what.find("RLIMIT_NOFILE 150") != std::string::npos, what);
  BOOST_TEST(what.find("at least 200 is needed") != std::string::npos, what);
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::count_children() == 0);
}

BOOST_AUTO_TEST_CASE(fifty_fork_exec_traps_leave_nothing_behind) {
  trap::trap<":fork(exec)">([] {});
  const int fds = test_support::count_fds();
  // Each re-run runs the traps before its own as plain fork traps: keep
  // the count moderate.
  for (int i = 0; i < 50; ++i) {
    auto r = trap::trap<":fork(exec)">([] { return 3; });
    BOOST_REQUIRE(r.return_value<int>() == 3);
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::count_children() == 0);
}
