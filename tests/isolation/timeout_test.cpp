// SPDX-License-Identifier: BSL-1.0
// The timeout layer: in process (the code is stopped on its own thread) and
// above a fork layer (the child's process group is killed at the deadline).
#define BOOST_TEST_MODULE timeout
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/detail/timeout_deadline.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void spin_forever() {
  volatile unsigned long n = 0;
  for (;;) {
    n = n + 1;
#ifdef TRAP_TEST_TSAN
    // ThreadSanitizer holds an asynchronous signal until the thread next
    // calls into the C library: a loop that never does cannot be stopped
    // in process there.
    ::usleep(0);
#endif
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(in_process)

// A deadline the code must reach its point of interest before (print,
// block signals, fork) is 2 s: far beyond what that takes even on a loaded
// machine or under a sanitizer. Only what needs nothing first is shorter.

BOOST_AUTO_TEST_CASE(busy_loop_is_stopped_and_output_kept) {
  trap::trap([] {});  // the capture files' pool is filled
  const int fds = test_support::count_fds();
  auto start = Clock::now();
  auto r = trap::trap<":timeout(2000)">([] {
    std::cout << "started\n";
    spin_forever();
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.did_timeout());
  BOOST_TEST(r.timeout_ok());
  BOOST_TEST(r.test("timeout_is", true, "timed out"));
  BOOST_TEST(r.out() == "started\n");
  BOOST_TEST((Clock::now() - start >= std::chrono::milliseconds(2000)));
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  // The streams are back: output after the trap is not captured.
  auto after = trap::trap([] { std::cout << "after"; });
  BOOST_TEST(after.out() == "after");
}

BOOST_AUTO_TEST_CASE(sleeping_code_is_stopped) {
  auto r = trap::trap<":timeout(50)">([] { ::sleep(30); });
  BOOST_TEST(r.leaveby() == "timeout");
}

BOOST_AUTO_TEST_CASE(code_that_finishes_in_time_is_untouched) {
  for (int i = 0; i < 200; ++i) {
    auto r = trap::trap<":timeout(10000)">([] { return 7; });
    BOOST_REQUIRE(r.leaveby() == "return");
    BOOST_REQUIRE(r.return_value<int>() == 7);
    BOOST_REQUIRE(!r.has("timeout"));
  }
  BOOST_TEST(test_support::settled_thread_count(1) == 1);
}

BOOST_AUTO_TEST_CASE(nested_traps_and_exit_targets_are_unwound) {
  static std::atomic<bool> inner_entered{false};
  auto r = trap::trap<":timeout(2000)">([] {
    trap::trap([] {
      inner_entered = true;
      std::cout << "inner";
      spin_forever();
    });
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(inner_entered.load(), "the deadline came inside the inner trap");
  // exit() after the jump must not go to a frame that is gone.
  auto e = trap::trap([] { std::exit(9); });
  BOOST_TEST(e.exit_code() == 9);
  auto o = trap::trap([] { std::cout << "clean"; });
  BOOST_TEST(o.out() == "clean");
}

BOOST_AUTO_TEST_CASE(bad_limits_are_usage_errors) {
  BOOST_CHECK_EXCEPTION(trap::trap(":timeout(0)", [] {}), trap::UsageError,
                        [](const trap::UsageError& e) {
                          return std::string(e.what()).find("not \"0\"") != std::string::npos;
                        });
  BOOST_CHECK_THROW(trap::trap(":timeout(-5)", [] {}), trap::UsageError);
  BOOST_CHECK_THROW(trap::trap(":timeout(soon)", [] {}), trap::UsageError);
  BOOST_CHECK_THROW(trap::trap(":timeout", [] {}), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(with_fork)

BOOST_AUTO_TEST_CASE(hanging_child_is_killed_and_output_kept) {
  auto r = trap::trap<":fork:timeout(2000)">([] {
    std::cout << "working" << std::endl;
    std::cerr << "still working\n";
    for (;;) ::pause();
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.test("timeout_is", true, "timed out"));
  BOOST_TEST(r.out() == "working\n");
  BOOST_TEST(r.err() == "still working\n");
}

BOOST_AUTO_TEST_CASE(child_that_ignores_the_request_is_killed) {
  // The child says (one byte on a pipe) when it blocks every signal: the
  // deadline must find it so, or the test proves nothing.
  int ready[2];
  BOOST_REQUIRE(::pipe(ready) == 0);
  auto start = Clock::now();
  auto r = trap::trap<":fork:timeout(2000)">([&] {
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    if (::write(ready[1], "b", 1) != 1) std::abort();
    spin_forever();
  });
  ::close(ready[1]);
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(test_support::read_byte_within(ready[0]) == 'b', "it blocked signals in time");
  ::close(ready[0]);
  BOOST_TEST((Clock::now() - start < std::chrono::seconds(20)));
}

// A program that ignores every real-time signal before its trap (trap's
// rescue signal among them): the child still rescues its captures at the
// deadline, stdio's unflushed buffer with them.
BOOST_AUTO_TEST_CASE(rescue_works_in_a_program_that_ignores_it) {
  std::vector<struct sigaction> old(static_cast<std::size_t>(SIGRTMAX - SIGRTMIN + 1));
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig)
    ::sigaction(sig, &ignore, &old[static_cast<std::size_t>(sig - SIGRTMIN)]);
  auto r = trap::trap<":fork:timeout(2000)">([] {
    std::printf("buffered");  // only a flush in the child saves it
    for (;;) ::pause();
  });
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig)
    ::sigaction(sig, &old[static_cast<std::size_t>(sig - SIGRTMIN)], nullptr);
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.out() == "buffered");
}

// A child stopped (SIGSTOP, SIGTSTP) when the deadline comes: it is
// continued after the rescue signal, and hands over its captures.
BOOST_AUTO_TEST_CASE(stopped_child_is_continued_and_rescued) {
  for (int stop : {SIGSTOP, SIGTSTP}) {
    auto start = Clock::now();
    auto r = trap::trap<":fork:timeout(1000)">([stop] {
      std::printf("buffered");  // only the rescue's flush saves it
      ::raise(stop);
      for (;;) ::pause();
    });
    BOOST_TEST(r.leaveby() == "timeout");
    BOOST_TEST(r.out() == "buffered");
    BOOST_TEST((Clock::now() - start < std::chrono::seconds(20)));
  }
}

// A child whose rescue copy of its captures is cut short (here by the file
// size limit it set, as a kill in the middle of the copy would): the
// parent reads the capture files the child handed over instead, whole.
// With a limit of 5 bytes the copy's first header is cut; with 40000, the
// copy of stdout.
BOOST_AUTO_TEST_CASE(rescue_cut_short_falls_back_to_the_capture_files) {
  for (rlim_t limit : {5, 40000}) {
    auto r = trap::trap<":fork:timeout(2000)">([limit] {
      const std::string line(99, 'x');
      for (int i = 0; i < 1000; ++i) std::printf("%s\n", line.c_str());
      std::fflush(stdout);
      std::fprintf(stderr, "err");
      std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails (EFBIG)
      struct rlimit fsize = {limit, limit};
      if (::setrlimit(RLIMIT_FSIZE, &fsize) != 0) std::abort();
      for (;;) ::pause();
    });
    BOOST_TEST(r.leaveby() == "timeout");
    BOOST_TEST(r.out().size() == 100000u);
    BOOST_TEST(r.err() == "err");
  }
}

BOOST_AUTO_TEST_CASE(grandchild_holding_the_output_is_killed_with_the_group) {
  int pipefd[2];
  BOOST_REQUIRE(::pipe(pipefd) == 0);
  auto r = trap::trap<":fork:timeout(2000)">([&] {
    if (::fork() == 0) {
      // The grandchild: says it is there, holds the pipe's write end and
      // sleeps.
      if (::write(pipefd[1], "g", 1) != 1) std::abort();
      for (;;) ::pause();
    }
    for (;;) ::pause();
  });
  ::close(pipefd[1]);
  BOOST_TEST(test_support::read_byte_within(pipefd[0]) == 'g', "the grandchild ran in time");
  // Every holder of the write end is gone: read sees end of file (and a
  // grandchild left running fails the test at the deadline, not ctest's).
  BOOST_TEST(test_support::read_byte_within(pipefd[0]) == test_support::kEndOfFile);
  ::close(pipefd[0]);
  BOOST_TEST(r.leaveby() == "timeout");
}

BOOST_AUTO_TEST_CASE(fast_child_is_not_a_timeout) {
  auto r = trap::trap<":fork:timeout(10000)">([] { return 5; });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<int>() == 5);
}

BOOST_AUTO_TEST_SUITE_END()

// The hand-over between a timeout layer and the layer below that keeps its
// deadline (trap/detail/timeout_deadline.hpp), on the trap the code runs in.
BOOST_AUTO_TEST_SUITE(deadline_handover)

BOOST_AUTO_TEST_CASE(one_layer_keeps_an_offered_deadline) {
  using trap::detail::DeadlineState;
  trap::trap([](trap::Trap& t) {
    BOOST_TEST(!trap::detail::claim_timeout_deadline(t), "nothing offered, nothing to claim");
    const auto when = Clock::now() + std::chrono::seconds(5);
    auto state = trap::detail::offer_timeout_deadline(t, when);
    BOOST_TEST((state->get() == DeadlineState::offered));
    auto kept = trap::detail::claim_timeout_deadline(t);
    BOOST_REQUIRE(kept);
    BOOST_TEST((kept->when == when));
    BOOST_TEST((kept->state == state));
    BOOST_TEST((state->get() == DeadlineState::kept));
    BOOST_TEST(!trap::detail::claim_timeout_deadline(t), "a kept deadline is not claimed twice");
    kept->state->give_back();
    BOOST_TEST((state->get() == DeadlineState::offered));
    auto again = trap::detail::claim_timeout_deadline(t);
    BOOST_REQUIRE(again);
    again->state->mark_passed();
    BOOST_TEST((state->get() == DeadlineState::passed));
    BOOST_TEST(!trap::detail::claim_timeout_deadline(t), "a passed deadline is not claimed");
  });
}

BOOST_AUTO_TEST_CASE(a_deadline_of_another_type_is_not_claimed) {
  trap::trap([](trap::Trap& t) {
    trap::Props& props = t.prop("timeout");
    props["deadline"] = 5;  // not a time point
    props["state"] = std::make_shared<trap::detail::DeadlineHandshake>();
    BOOST_TEST(!trap::detail::claim_timeout_deadline(t));
  });
}

BOOST_AUTO_TEST_SUITE_END()
