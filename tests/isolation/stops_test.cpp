// SPDX-License-Identifier: BSL-1.0
// Jumps out of trapped code (exit() and in-process timeouts) at the edges:
// stops that come while trap holds a lock, signal masks, exceptions being
// handled, and teardown errors of the traps a jump leaves behind.
#define BOOST_TEST_MODULE stops
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <future>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

namespace {

[[noreturn]] void spin_forever() {
  for (;;) {
#ifdef TRAP_TEST_TSAN
    // ThreadSanitizer holds an asynchronous signal until the thread next
    // calls one of the C library functions it intercepts.
    ::usleep(0);
#else
    ::getpid();
#endif
  }
}

sigset_t current_mask() {
  sigset_t m;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &m);
  return m;
}

bool any_pending() {
  sigset_t pending;
  ::sigpending(&pending);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sigismember(&pending, sig) == 1) return true;
  return false;
}

bool same_mask(const sigset_t& a, const sigset_t& b) {
  for (int sig = 1; sig < NSIG; ++sig)
    if (sigismember(&a, sig) != sigismember(&b, sig)) return false;
  return true;
}

// Runs @p fn on a thread of its own and waits at most 30 s for it: a
// deadlock fails the test (and ends the program, which cannot join it)
// rather than hanging it.
void within_bounds(const char* what, std::function<void()> fn) {
  std::packaged_task<void()> task(std::move(fn));
  auto done = task.get_future();
  std::thread(std::move(task)).detach();
  if (done.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    std::fprintf(stderr, "%s did not finish within 30 s: deadlock\n", what);
    std::fflush(stderr);
    ::_exit(3);
  }
  done.get();
}

// A trapper with a layer whose teardown throws.
trap::Trapper& failing() {
  static trap::Trapper t("stops::failing", &trap::standard());
  static bool once = [] {
    trap::Builder::instance().layer(t, "bad", [](trap::Trap& self, std::string_view) {
      self.teardown([] { throw std::runtime_error("cannot undo"); });
      self.next();
    });
    return true;
  }();
  (void)once;
  return t;
}

void exit_seven(int) { std::exit(7); }

// The code springs traps and reports to a hub without end; other threads
// do the same meanwhile. Tiny deadlines stop it anywhere: a stop that
// landed while trap held the hub's or a capture's lock would leave it held,
// and the other threads, or the next trap, would wait for ever. (The
// stopped code itself stays out of stdio and malloc, whose locks a stop
// may leave held, as documented: its output goes to memory captures and
// raw writes, its events are empty.) Returns 0 if every trap timed out and
// the next ones work, 1 or 2 if not; ends the process with 3 on a deadlock.
int stopped_everywhere() {
  trap::Hub hub(nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> not_timeout{0};
  within_bounds("the stopped traps and the reporting threads", [&] {
    std::vector<std::thread> others;
    for (int t = 0; t < 2; ++t)
      others.emplace_back([&] {
        while (!stop.load()) {
          hub.send(trap::Event{});
          trap::trap(":flow:stdout(memory):stderr(dup2)", [] { std::cout << "o"; });
        }
      });
    for (int i = 0; i < 300; ++i) {
      auto r = trap::trap(":timeout(1)", [&] {
        for (;;) {
          hub.send(trap::Event{});
          trap::trap(":flow:stdout(dup2)", [] { (void)!::write(1, "x", 1); });
          trap::trap(":flow:stdout(memory):stderr(memory):warn", [] {
            std::cout << "m";
            std::clog << "w\n";
          });
        }
      });
      if (r.leaveby() != "timeout") ++not_timeout;
    }
    stop = true;
    for (auto& th : others) th.join();
  });
  if (not_timeout.load() != 0) return 1;
  bool next_ok = false;
  within_bounds("the next trap and report on a new thread", [&] {
    auto r = trap::trap([] { std::cout << "next"; });
    hub.send(trap::Event{});
    next_ok = r.out() == "next" && hub.count() > 0;
  });
  auto r = trap::trap([] { std::cout << "here too"; });
  return next_ok && r.out() == "here too" ? 0 : 2;
}

}  // namespace

BOOST_AUTO_TEST_CASE(timeouts_never_land_inside_traps_own_locks) {
  // In a child process: each stop leaks what the stopped code held (its
  // Trap handles, as documented), which is the child's to lose.
  auto child = test_support::in_child([] { ::_exit(stopped_everywhere()); });
  BOOST_TEST(child.exited(0), "status " << child.status << ", stderr: " << child.err);
}

// The code looks a capture strategy up in the registry without end, and a
// tiny deadline stops it: each lookup is a critical section too. A stop
// that left the registry's lock held would stop every later registration
// and, since fork() takes that lock, every fork. In a child process, as
// above.
BOOST_AUTO_TEST_CASE(timeouts_never_land_inside_a_registry_lookup) {
  auto child = test_support::in_child([] {
    int not_timeout = 0;
    within_bounds("the stopped lookups", [&] {
      for (int i = 0; i < 300; ++i) {
        auto r = trap::trap(":timeout(1)", [] {
          const auto& builder = trap::Builder::instance();
          for (;;)
            if (!builder.capture_strategy("memory")) ::_exit(4);
        });
        if (r.leaveby() != "timeout") ++not_timeout;
      }
    });
    if (not_timeout != 0) ::_exit(1);
    within_bounds("a registration and a fork trap after them", [] {
      static trap::Trapper after("stops::after", &trap::standard());
      trap::Builder::instance().layer(after, "through",
                                      [](trap::Trap& self, std::string_view) { self.next(); });
      auto r = after.trap(":through:fork", [] { std::cout << "forked"; });
      if (r.leaveby() != "return" || r.out() != "forked") ::_exit(2);
    });
    ::_exit(0);
  });
  BOOST_TEST(child.exited(0), "status " << child.status << ", stderr: " << child.err);
}

BOOST_AUTO_TEST_CASE(exit_from_a_signal_handler_leaves_that_signal_unblocked) {
  struct sigaction sa = {}, old = {};
  sa.sa_handler = exit_seven;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGUSR1, &sa, &old);
  const sigset_t before = current_mask();
  auto r = trap::trap(":flow", [] { ::raise(SIGUSR1); });
  const sigset_t after = current_mask();
  struct sigaction now = {};
  ::sigaction(SIGUSR1, &old, &now);
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(r.exit_code() == std::optional<int>(7));
  BOOST_TEST(sigismember(&after, SIGUSR1) == 0);
  BOOST_TEST(same_mask(before, after));
  BOOST_TEST((now.sa_handler == exit_seven));  // the handler is the program's
}

BOOST_AUTO_TEST_CASE(the_mask_comes_back_after_exit_and_timeout) {
  const sigset_t before = current_mask();
  auto block_usr2 = [] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    ::pthread_sigmask(SIG_BLOCK, &s, nullptr);
  };
  auto e = trap::trap(":flow", [&] {
    block_usr2();
    std::exit(1);
  });
  BOOST_TEST(e.leaveby() == "exit");
  BOOST_TEST(same_mask(before, current_mask()));
  auto t = trap::trap(":timeout(20)", [&] {
    block_usr2();
    spin_forever();
  });
  BOOST_TEST(t.leaveby() == "timeout");
  BOOST_TEST(same_mask(before, current_mask()));
}

BOOST_AUTO_TEST_CASE(a_timeout_while_the_code_blocks_every_signal_still_says_timeout) {
  const sigset_t before = current_mask();
  auto r = trap::trap(":timeout(20)", [] {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    // The stop signal comes and waits, blocked; then the code returns.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!any_pending() && std::chrono::steady_clock::now() < give_up) {
    }
    return 1;
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.did_timeout());
  BOOST_TEST(same_mask(before, current_mask()));
}

// A thread that blocked every signal before its trap (a fixture's or a
// framework's mask): the in-process timeout still stops the code at its
// deadline, and the thread's mask is all blocked again after. The code
// returns as soon as it sees the stop signal held back, pending: it does
// only if the timeout could not stop it.
BOOST_AUTO_TEST_CASE(a_timeout_in_a_thread_that_blocked_every_signal_stops_the_code) {
  const sigset_t before = current_mask();
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  const sigset_t blocked = current_mask();
  bool finished = false;
  auto r = trap::trap(":timeout(20)", [&finished] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!any_pending() && std::chrono::steady_clock::now() < give_up) {
    }
    finished = true;
    return 1;
  });
  const sigset_t after = current_mask();
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(!finished, "the code was stopped");
  BOOST_TEST(same_mask(blocked, after));
  BOOST_TEST(!any_pending());
}

BOOST_AUTO_TEST_CASE(the_first_timeout_of_a_process_is_cancelled_too) {
  // A fresh process's first timer may have the id 0: the code above, in a
  // child where it is the first timeout.
  auto child = test_support::in_child([] {
    auto r = trap::trap(":raw:timeout(20)", [] {
      sigset_t all;
      sigfillset(&all);
      ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!any_pending() && std::chrono::steady_clock::now() < give_up) {
      }
      return 1;
    });
    std::printf("%s", r.leaveby().c_str());
  });
  BOOST_TEST(child.exited(0));
  BOOST_TEST(child.out == "timeout");
}

BOOST_AUTO_TEST_CASE(a_failing_teardown_an_exit_jumps_past_is_reported) {
  BOOST_CHECK_EXCEPTION(
      trap::trap(":flow", [] { failing().trap(":raw:bad", [] { std::exit(3); }); }),
      trap::TrapError, [](const trap::TrapError& e) {
        return std::string(e.what()).find("Rethrowing teardown exception: cannot undo") !=
               std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(a_failing_teardown_a_timeout_jumps_past_is_reported) {
  BOOST_CHECK_EXCEPTION(
      trap::trap(":timeout(20)", [] { failing().trap(":raw:bad", [] { spin_forever(); }); }),
      trap::TrapError, [](const trap::TrapError& e) {
        return std::string(e.what()).find("Rethrowing teardown exception: cannot undo") !=
               std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(a_failing_teardown_on_the_way_to_a_real_exit_is_printed) {
  // No exit layer: exit() is the real one, after the trap's teardowns.
  auto child = test_support::in_child([] { failing().trap(":raw:bad", [] { std::exit(3); }); });
  BOOST_TEST(child.exited(3));
  BOOST_TEST(child.err.find("# trap: Rethrowing teardown exception: cannot undo\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(exit_inside_a_catch_block_leaves_no_current_exception) {
  auto r = trap::trap(":flow", [] {
    try {
      throw std::runtime_error("being handled");
    } catch (...) {
      std::exit(4);
    }
  });
  BOOST_TEST(r.exit_code() == std::optional<int>(4));
  BOOST_TEST(!std::current_exception());
  BOOST_TEST(std::uncaught_exceptions() == 0);
}

BOOST_AUTO_TEST_CASE(exit_during_stack_unwinding_leaves_no_exception_in_flight) {
  // In a child process: the exception abandoned in flight is lost memory.
  auto child = test_support::in_child([] {
    struct ExitsOnDestruction {
      ~ExitsOnDestruction() { std::exit(5); }
    };
    auto r = trap::trap(":flow", [] {
      try {
        ExitsOnDestruction e;
        throw 1;
      } catch (...) {
      }
    });
    const bool clean = r.exit_code() == std::optional<int>(5) && std::uncaught_exceptions() == 0 &&
                       !std::current_exception();
    ::_exit(clean ? 0 : 1);
  });
  BOOST_TEST(child.exited(0));
}

BOOST_AUTO_TEST_CASE(a_timeout_inside_a_catch_block_leaves_no_current_exception) {
  auto r = trap::trap(":timeout(20)", [] {
    try {
      throw std::runtime_error("being handled");
    } catch (...) {
      spin_forever();
    }
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(!std::current_exception());
}

BOOST_AUTO_TEST_CASE(a_trap_sprung_inside_a_catch_block_keeps_that_exception) {
  try {
    throw std::logic_error("outer");
  } catch (const std::logic_error&) {
    auto r = trap::trap(":flow", [] {
      try {
        throw std::runtime_error("inner");
      } catch (...) {
        std::exit(6);
      }
    });
    BOOST_TEST(r.exit_code() == std::optional<int>(6));
    BOOST_CHECK_THROW(std::rethrow_exception(std::current_exception()), std::logic_error);
  }
  BOOST_TEST(!std::current_exception());
}
