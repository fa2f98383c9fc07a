// SPDX-License-Identifier: BSL-1.0
// An in-process timeout that jumps past a nested `fork` trap, `fork(exec)`
// trap or trap::run abandons them: their child is killed and reaped, and
// their descriptors closed, by the abandoned trap's teardown.
#define BOOST_TEST_MODULE abandoned_children
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TRAP_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRAP_TEST_LSAN 1
#endif
#endif
#ifdef TRAP_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace {

// The jump of a timeout skips the destructors between it and the stopped
// code, as the README says: what the abandoned traps held on the stack
// leaks by design, and LeakSanitizer is told so for this thread meanwhile.
struct LeaksByDesign {
#ifdef TRAP_TEST_LSAN
  LeaksByDesign() { __lsan_disable(); }
  ~LeaksByDesign() { __lsan_enable(); }
#endif
};

// What is left after @p abandon: children of this process (running or
// zombie) and descriptors beyond those open before.
struct Leftovers {
  int children = 0;
  int descriptors = 0;
};

// Counted after @p warm_up, the same traps without a hang: the capture
// pool keeps its files open for the next trap.
template <class WarmUp, class Fn>
Leftovers left_by(WarmUp warm_up, Fn abandon) {
  warm_up();
  const int fds = test_support::count_fds();
  {
    [[maybe_unused]] LeaksByDesign leaks;
    abandon();
  }
  return {test_support::count_children(), test_support::settled_fd_count(fds) - fds};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_nested_fork_trap) {
  Leftovers left = left_by(
      [] { trap::trap<":timeout(300)">([] { trap::trap<":fork">([] {}); }); },
      [] {
        auto outer = trap::trap<":timeout(300)">([] { trap::trap<":fork">([] { ::pause(); }); });
        BOOST_TEST(outer.leaveby() == "timeout");
      });
  BOOST_TEST(left.children == 0);
  BOOST_TEST(left.descriptors == 0);
}

BOOST_AUTO_TEST_CASE(a_nested_fork_trap_with_its_own_timeout) {
  Leftovers left = left_by(
      [] { trap::trap<":timeout(300)">([] { trap::trap<":fork:timeout(30000)">([] {}); }); },
      [] {
        auto outer = trap::trap<":timeout(300)">(
            [] { trap::trap<":fork:timeout(30000)">([] { ::pause(); }); });
        BOOST_TEST(outer.leaveby() == "timeout");
      });
  BOOST_TEST(left.children == 0);
  BOOST_TEST(left.descriptors == 0);
}

BOOST_AUTO_TEST_CASE(a_nested_fork_exec_trap) {
  // Set after the test case began: set from the start only in a re-run,
  // which makes the same traps, without the timeouts.
  if (std::getenv("ABANDONED_TEST_RERUN")) {
    trap::trap<":fork(exec)">([] {});
    trap::trap<":fork(exec)">([] { ::pause(); });
    return;
  }
  ::setenv("ABANDONED_TEST_RERUN", "1", 1);
  Leftovers left = left_by(
      [] { trap::trap<":timeout(1000)">([] { trap::trap<":fork(exec)">([] {}); }); },
      [] {
        auto outer =
            trap::trap<":timeout(1000)">([] { trap::trap<":fork(exec)">([] { ::pause(); }); });
        BOOST_TEST(outer.leaveby() == "timeout");
      });
  ::unsetenv("ABANDONED_TEST_RERUN");
  BOOST_TEST(left.children == 0);
  BOOST_TEST(left.descriptors == 0);
}

BOOST_AUTO_TEST_CASE(a_nested_run) {
  Leftovers left = left_by([] { trap::trap<":timeout(300)">([] { trap::run({"true"}); }); },
                           [] {
                             auto outer = trap::trap<":timeout(300)">([] {
                               trap::run({"sh", "-c", "sleep 30 & exec sleep 30"});
                             });
                             BOOST_TEST(outer.leaveby() == "timeout");
                           });
  BOOST_TEST(left.children == 0);
  BOOST_TEST(left.descriptors == 0);
  // The calling thread is fit to run programs again.
  auto r = trap::run({"sh", "-c", "cat; echo err >&2"}, {.input = "in"});
  BOOST_TEST(r.out() == "in");
  BOOST_TEST(r.err() == "err\n");
  BOOST_TEST((r.exit_code() == 0));
}
