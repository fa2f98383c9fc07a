// SPDX-License-Identifier: BSL-1.0
// Failed system calls in trap::run: the pipes, the launch and the wait, at
// every use, and the kill of what the program left in its group.
#define BOOST_TEST_MODULE process_faults
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>

#include "support/fault_walk.hpp"

using fault_walk::Outcome;

namespace {

// A failure while running the program is the trap's die, as a program
// that cannot start is.
Outcome echo() {
  auto r = trap::run({"/bin/echo", "x"});
  if (r.leaveby() == "die") return {true, r.die()};
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(r.exit_code() == 0);
  BOOST_TEST(r.out() == "x\n");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(run_walk) {
  auto c = fault_walk::walk(echo, [] { BOOST_TEST(!echo().failed); });
  BOOST_TEST_MESSAGE("trap::run: " << fault_walk::describe(c));
  BOOST_TEST(c.counts["pipe2"] == 3);
  BOOST_TEST(c.counts["posix_spawn"] == 1);
  BOOST_TEST(c.counts["waitpid"] == 1);
  BOOST_TEST(c.counts["kill"] == 1);
  BOOST_TEST(c.points >= 6);
}

BOOST_AUTO_TEST_CASE(failed_launch_and_wait_name_the_call) {
  trap::posix::inject_fault("posix_spawn", 1, EAGAIN);
  auto r = trap::run({"/bin/echo", "x"});
  BOOST_TEST(r.die() == "cannot start \"/bin/echo\" (spawn): Resource temporarily unavailable");
  trap::posix::inject_fault("waitpid", 1, ECHILD);
  auto w = trap::run({"/bin/echo", "x"});
  trap::posix::inject_fault("", 0, 0);
  BOOST_TEST(w.die().find("waitpid(") == 0u, w.die());
  BOOST_TEST(w.die().find("No child processes") != std::string::npos, w.die());
  BOOST_TEST(test_support::count_children() == 0);
}
