// SPDX-License-Identifier: BSL-1.0
// Under Boost.Test and GoogleTest the host framework decides the exit
// status; a GoogleTest failure inside trapped code is shown, not captured;
// and an error of the hub fails the host's run.
#define BOOST_TEST_MODULE host_frameworks
#include <string>

#include <boost/test/unit_test.hpp>

#include "support/child.hpp"

using test_support::run_program;

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
test_support::ChildResult gtest(const std::string& test) {
  return run_program({GTEST_HOST_PROGRAM, "--gtest_color=no", "--gtest_filter=Host." + test});
}
test_support::ChildResult boost_test(const std::string& test) {
  return run_program({BOOST_HOST_PROGRAM, "--run_test=" + test, "--color_output=no"});
}
}  // namespace

BOOST_AUTO_TEST_CASE(gtest_failure_inside_a_trap_is_shown_and_counted) {
  auto r = gtest("ExpectInsideTrapIsShown");
  BOOST_TEST(r.exited(1), r.out << r.err);
  BOOST_TEST(has(r.out, "gtest_host_program.cpp:41: Failure\n"), r.out);
  BOOST_TEST(has(r.out, "a failure inside the trap"), r.out);
  BOOST_TEST(has(r.out, "[  FAILED  ] Host.ExpectInsideTrapIsShown"), r.out);
  // The trap's own check passed: the message did not land in out().
  BOOST_TEST(!has(r.out, "the failure message was not captured"), r.out);
}

BOOST_AUTO_TEST_CASE(gtest_brief_printer_too) {
  auto r = run_program({GTEST_HOST_PROGRAM, "--gtest_color=no", "--gtest_brief=1",
                        "--gtest_filter=Host.ExpectInsideTrapIsShown"});
  BOOST_TEST(r.exited(1), r.out << r.err);
  BOOST_TEST(has(r.out, "a failure inside the trap"), r.out);
  BOOST_TEST(!has(r.out, "the failure message was not captured"), r.out);
}

BOOST_AUTO_TEST_CASE(gtest_hub_error_fails_the_test) {
  auto r = gtest("ListenerErrorFailsTheTest");
  BOOST_TEST(r.exited(1), r.out << r.err);
  BOOST_TEST(has(r.out, "trap: a listener threw: listener broke"), r.out);
  BOOST_TEST(has(r.out, "[  FAILED  ] Host.ListenerErrorFailsTheTest"), r.out);
}

BOOST_AUTO_TEST_CASE(gtest_hub_error_at_the_end_fails_the_program) {
  auto r = gtest("JunitUnwritableAtEnd");
  BOOST_TEST(!r.exited(0), r.out << r.err);
  BOOST_TEST(has(r.out, "[  PASSED  ] 1 test"), r.out);
  BOOST_TEST(has(r.err, "# trap: a follow-up threw: cannot write"), r.err);
}

BOOST_AUTO_TEST_CASE(gtest_passing_run_exits_0) {
  auto r = gtest("Passes");
  BOOST_TEST(r.exited(0), r.out << r.err);
}

BOOST_AUTO_TEST_CASE(gtest_raw_fork_child_fails_the_test_that_made_it) {
  auto r = gtest("RawForkChildFails:Host.Passes");
  BOOST_TEST(r.exited(1), r.out << r.err);
  BOOST_TEST(has(r.out, "raw fork child\n[  FAILED  ] Host.RawForkChildFails ("), r.out);
  BOOST_TEST(has(r.out, "[       OK ] Host.Passes ("), r.out);
}

BOOST_AUTO_TEST_CASE(gtest_raw_fork_child_failing_after_the_run_fails_the_program) {
  auto r = gtest("RawForkChildFailsAfterTheRun");
  BOOST_TEST(r.exited(255), r.out << r.err);
  BOOST_TEST(has(r.out, "[  PASSED  ] 1 test"), r.out);
  BOOST_TEST(
      has(r.err, "# trap: a test failed after the test framework had ended: \"late child\" at "),
      r.err);
}

// A GoogleTest failure in a fork or fork(exec) trap's child fails the test
// in the parent, shown once.
void fork_trap_failure_fails_the_test(const std::string& test, const std::string& message) {
  auto r = gtest(test + ":Host.Passes");
  BOOST_TEST(r.exited(1), r.out << r.err);
  BOOST_TEST(has(r.out, message + "\n[  FAILED  ] Host." + test + " ("), r.out);
  BOOST_TEST(r.out.find(message) == r.out.rfind(message), r.out);
  BOOST_TEST(has(r.out, "[       OK ] Host.Passes ("), r.out);
}

BOOST_AUTO_TEST_CASE(gtest_failure_inside_a_fork_trap_fails_the_test) {
  fork_trap_failure_fails_the_test("ExpectInsideForkTrapFails",
                                   "a failure in the fork trap's child");
}

BOOST_AUTO_TEST_CASE(gtest_failure_inside_a_fork_exec_trap_fails_the_test) {
  fork_trap_failure_fails_the_test("ExpectInsideForkExecTrapFails",
                                   "a failure in the fork(exec) trap's child");
}

BOOST_AUTO_TEST_CASE(boost_hub_error_fails_the_case) {
  auto r = boost_test("listener_error_fails_the_case");
  BOOST_TEST(!r.exited(0), r.out << r.err);
  BOOST_TEST(has(r.out + r.err, "trap: a listener threw: listener broke"), r.out << r.err);
  BOOST_TEST(has(r.out + r.err, "failure is detected"), r.out << r.err);
}

BOOST_AUTO_TEST_CASE(boost_hub_error_at_the_end_fails_the_program) {
  auto r = boost_test("junit_unwritable_at_end");
  BOOST_TEST(!r.exited(0), r.out << r.err);
  BOOST_TEST(has(r.out + r.err, "No errors detected"), r.out << r.err);
  BOOST_TEST(has(r.err, "# trap: a follow-up threw: cannot write"), r.err);
}

BOOST_AUTO_TEST_CASE(boost_passing_run_exits_0) {
  auto r = boost_test("passes");
  BOOST_TEST(r.exited(0), r.out << r.err);
  BOOST_TEST(r.out.find("1..") == std::string::npos, r.out);  // no TAP plan
}

BOOST_AUTO_TEST_CASE(boost_check_inside_a_fork_trap_fails_the_case) {
  auto r = boost_test("check_inside_a_fork_trap_fails,passes");
  BOOST_TEST(!r.exited(0), r.out << r.err);
  BOOST_TEST(has(r.out + r.err, "check 1 == 2 has failed [1 != 2]"), r.out << r.err);
  BOOST_TEST(has(r.out + r.err, "in a forked child: a Boost.Test check failed"), r.out << r.err);
  BOOST_TEST(has(r.out + r.err, "1 failure is detected"), r.out << r.err);
}
