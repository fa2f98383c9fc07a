// SPDX-License-Identifier: BSL-1.0
// A standalone program's exit status follows Test::More's END rules without
// done_testing(), and prove judges each scenario as Test::More's would be.
#define BOOST_TEST_MODULE exit_status
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include <boost/test/unit_test.hpp>

#include "support/child.hpp"

using test_support::run_program;

namespace {
test_support::ChildResult scenario(const std::string& name) {
  return run_program({EXIT_STATUS_PROGRAM, name});
}
}  // namespace

BOOST_AUTO_TEST_CASE(all_passed_without_done_testing_prints_the_plan_and_exits_0) {
  auto r = scenario("passes");
  BOOST_TEST(r.exited(0));
  BOOST_TEST(r.out == "ok 1 - a\nok 2 - b\n1..2\n");
  BOOST_TEST(r.err == "");
}

BOOST_AUTO_TEST_CASE(a_failure_fails_the_program_even_when_main_returns_0) {
  auto r = scenario("fails");
  BOOST_TEST(r.exited(1));
  BOOST_TEST(r.out == "ok 1 - a\nnot ok 2 - b\n1..2\n");
  BOOST_TEST(r.err.find("# Looks like you failed 1 test of 2.") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(quick_exit_ends_testing_as_exit_does) {
  auto r = scenario("quick_exit_passes");
  BOOST_TEST(r.exited(0));
  BOOST_TEST(r.out == "ok 1 - a\nok 2 - b\n1..2\n");
  BOOST_TEST(r.err == "");
  r = scenario("quick_exit_fails");
  BOOST_TEST(r.exited(1));
  BOOST_TEST(r.out == "ok 1 - a\nnot ok 2 - b\n1..2\n");
  BOOST_TEST(r.err.find("# Looks like you failed 1 test of 2.") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(failures_are_capped_at_254) { BOOST_TEST(scenario("fails_300").exited(254)); }

BOOST_AUTO_TEST_CASE(a_result_of_done_testing_that_main_ignores_still_counts) {
  BOOST_TEST(scenario("fails_after_done_testing").exited(1));
  auto r = scenario("returns_done_testing");
  BOOST_TEST(r.exited(1));
  BOOST_TEST(r.out == "ok 1 - a\nnot ok 2 - b\n1..2\n");  // one plan
}

BOOST_AUTO_TEST_CASE(a_plan_not_met_exits_255) {
  auto r = scenario("plan_not_met");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.out == "1..3\nok 1 - a\n");
  BOOST_TEST(r.err == "# Looks like you planned 3 tests but ran 1.\n");
}

BOOST_AUTO_TEST_CASE(a_plan_with_no_test_is_no_tests_run) {
  auto r = scenario("plan_without_tests");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.out == "1..2\n");
  BOOST_TEST(r.err.find("# No tests run!\n") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(done_testing_with_no_test_is_no_tests_run) {
  auto r = scenario("done_testing_without_tests");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.out == "1..0\n");
  BOOST_TEST(r.err == "# No tests run!\n");
}

BOOST_AUTO_TEST_CASE(a_skipped_run_and_an_unused_hub_exit_0) {
  auto skip = scenario("skip_all");
  BOOST_TEST(skip.exited(0));
  BOOST_TEST(skip.out == "1..0 # SKIP\n");
  auto nothing = scenario("nothing");
  BOOST_TEST(nothing.exited(0));
  BOOST_TEST(nothing.out == "");
  BOOST_TEST(nothing.err == "");
}

// As Test::Builder's END: a status of the program's own is kept, and said
// instead of a plan and a summary, whether the tests passed or not.
BOOST_AUTO_TEST_CASE(a_status_the_program_chose_is_kept_and_said) {
  const std::string said =
      "# Tests were run but no plan was declared and done_testing() was not seen.\n"
      "# Looks like your test exited with 7 just after 1.\n";
  auto r = scenario("exit_7_after_passing");
  BOOST_TEST(r.exited(7));
  BOOST_TEST(r.out == "ok 1 - a\n");
  BOOST_TEST(r.err == said);
  r = scenario("exit_7_after_failing");
  BOOST_TEST(r.exited(7));
  BOOST_TEST(r.out == "not ok 1 - a\n");
  BOOST_TEST(r.err.ends_with(said), r.err);
}

BOOST_AUTO_TEST_CASE(no_ending_leaves_the_end_alone) {
  auto r = scenario("no_ending");
  BOOST_TEST(r.exited(0));
  BOOST_TEST(r.out == "not ok 1 - a\n");
}

BOOST_AUTO_TEST_CASE(a_todo_failure_does_not_fail_the_run) {
  auto r = scenario("todo_failure");
  BOOST_TEST(r.exited(0));
  BOOST_TEST(r.out.find("not ok 1 - a # TODO later\n") == 0u, r.out);
}

BOOST_AUTO_TEST_CASE(a_forked_child_does_not_end_its_parents_hub) {
  auto r = scenario("forked_child_exits");
  BOOST_TEST(r.exited(0));  // 99: the child did not exit 0
  BOOST_TEST(r.out == "ok 1 - before the fork\nok 2 - after the fork\n1..2\n");
  BOOST_TEST(r.err == "");
}

BOOST_AUTO_TEST_CASE(a_forked_child_exiting_with_its_own_status_leaves_the_hub_alone) {
  auto r = scenario("forked_child_exits_3");
  BOOST_TEST(r.exited(0));  // 99: the child did not exit 3
  BOOST_TEST(r.out == "ok 1 - before the fork\nok 2 - after the fork\n1..2\n");
  BOOST_TEST(r.err == "");
}

BOOST_AUTO_TEST_CASE(a_forked_childs_failure_fails_the_parent) {
  auto r = scenario("forked_child_fails");
  BOOST_TEST(r.exited(1));
  BOOST_TEST(r.out == "not ok 1 - in the child\nok 2 - in the parent\n1..2\n");
}

BOOST_AUTO_TEST_CASE(a_bail_out_fails_the_program_with_255_and_the_junit_report) {
  // Test::More's BAIL_OUT exits 255; a CI that reads the status or the
  // JUnit report, not the TAP stream, must see the run fail too.
  char name[] = "/tmp/trap-bail-XXXXXX";
  const int fd = ::mkstemp(name);
  BOOST_REQUIRE(fd >= 0);
  ::close(fd);
  auto r = run_program(
      {"/usr/bin/env", std::string("TRAP_TEST_JUNIT=") + name, EXIT_STATUS_PROGRAM, "bails_out"});
  std::ifstream in(name);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(name);
  BOOST_TEST(r.exited(255));
  // As Test::More's BAIL_OUT: the program ends there, with nothing after.
  BOOST_TEST(r.out == "ok 1 - a\nBail out!  the database is gone\n");
  BOOST_TEST(r.err == "");
  BOOST_TEST(xml.find("failures=\"1\"") != std::string::npos, xml);
  BOOST_TEST(xml.find("name=\"Bail out! the database is gone\"") != std::string::npos, xml);
}

BOOST_AUTO_TEST_CASE(a_failure_after_done_testing_fails_the_junit_report_too) {
  char name[] = "/tmp/trap-late-XXXXXX";
  const int fd = ::mkstemp(name);
  BOOST_REQUIRE(fd >= 0);
  ::close(fd);
  auto r = run_program({"/usr/bin/env", std::string("TRAP_TEST_JUNIT=") + name, EXIT_STATUS_PROGRAM,
                        "fails_after_done_testing_with_junit"});
  std::ifstream in(name);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(name);
  BOOST_TEST(r.exited(1));
  BOOST_TEST(r.out == "ok 1 - a\n1..1\nnot ok 2 - b\n");
  BOOST_TEST(xml.find("<testsuites tests=\"2\" failures=\"1\"") != std::string::npos, xml);
  BOOST_TEST(xml.find("name=\"b\"") != std::string::npos, xml);
}

BOOST_AUTO_TEST_CASE(a_relative_junit_path_is_where_the_program_started) {
  // A test that moves into another directory must not leave its report
  // there (and an old one where CI reads it).
  char dir[] = "/tmp/trap-cwd-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(dir));
  const std::string top = dir, sub = top + "/sub";
  BOOST_REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
  auto r =
      run_program({"/bin/sh", "-c", "cd \"$1\" && exec env TRAP_TEST_JUNIT=r.xml \"$0\" \"$2\"",
                   EXIT_STATUS_PROGRAM, top, "junit_then_chdir"});
  std::ifstream in(top + "/r.xml");
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink((top + "/r.xml").c_str());
  ::unlink((sub + "/r.xml").c_str());
  ::rmdir(sub.c_str());
  ::rmdir(top.c_str());
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(xml.find("<testsuites tests=\"1\" failures=\"0\"") != std::string::npos, xml);
}

BOOST_AUTO_TEST_CASE(a_program_that_never_ends_leaves_a_failing_junit_report) {
  // Not the green report of an earlier run: a crash, a kill or an _exit()
  // before the end leaves one failure, which says so.
  char name[] = "/tmp/trap-old-XXXXXX";
  const int fd = ::mkstemp(name);
  BOOST_REQUIRE(fd >= 0);
  const std::string old = "<testsuites tests=\"5\" failures=\"0\"/>\n";
  BOOST_REQUIRE(::write(fd, old.data(), old.size()) == static_cast<ssize_t>(old.size()));
  ::close(fd);
  auto r = run_program({"/usr/bin/env", std::string("TRAP_TEST_JUNIT=") + name, EXIT_STATUS_PROGRAM,
                        "junit_then_exit_at_once"});
  std::ifstream in(name);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(name);
  BOOST_TEST(r.exited(0));
  BOOST_TEST(xml.find("<testsuites tests=\"1\" failures=\"1\"") != std::string::npos, xml);
  BOOST_TEST(xml.find("name=\"the test program did not end\"") != std::string::npos, xml);
}

BOOST_AUTO_TEST_CASE(a_bail_out_in_a_subtest_ends_the_program_at_the_top) {
  // Test2: the subtest's hub hands the bail-out to its parent, which ends
  // the run; the line is a top-level one, the only kind prove stops at.
  auto r = scenario("bails_out_in_a_subtest");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.out == "ok 1 - a\n# Subtest: s\n    ok 1 - inner\nBail out!  cannot go on\n");
  BOOST_TEST(r.err == "");
}

BOOST_AUTO_TEST_CASE(a_bail_out_in_a_trap_is_an_exit_it_catches) {
  // As `trap { BAIL_OUT ... }` under Test::Trap: the exit is trapped, the
  // program goes on, and its status still says it gave up.
  auto r = scenario("bails_out_in_a_trap");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.out ==
             "ok 1 - a\nBail out!  inside\nok 2 - the bail-out's exit was caught\nok 3 - b\n");
}

BOOST_AUTO_TEST_CASE(a_bail_out_in_a_fork_trap_ends_the_parent_before_its_next_result) {
  auto r = scenario("bails_out_in_a_fork_trap");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.out ==
             "ok 1 - a\nBail out!  from the child\nok 2 - the child goes on, as under Test2\n");
}

BOOST_AUTO_TEST_CASE(a_report_that_cannot_be_written_fails_the_program) {
  auto r = scenario("junit_unwritable");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.err.find("# trap: a follow-up threw: cannot write the JUnit report to "
                        "\"/nonexistent-dir/results.xml\": No such file or directory\n") !=
                 std::string::npos,
             r.err);
}

// A TAP stream that cannot be written is no green run: said on stderr, and
// status 255 (Test::More's for a harness failure), whatever the results.
BOOST_AUTO_TEST_CASE(a_tap_stream_that_cannot_be_written_exits_255) {
  const std::string full = "exec \"$0\" \"$1\" >/dev/full";
  for (const char* name : {"passes", "fails", "returns_done_testing"}) {
    auto r = run_program({"/bin/sh", "-c", full, EXIT_STATUS_PROGRAM, name});
    BOOST_TEST(r.exited(255), name);
    BOOST_TEST(r.err.find("# trap: cannot write the TAP report to stdout: No space left on "
                          "device\n") != std::string::npos,
               r.err);
  }
  auto closed = run_program({"/bin/sh", "-c", "exec \"$0\" passes >&-", EXIT_STATUS_PROGRAM});
  BOOST_TEST(closed.exited(255));
  BOOST_TEST(closed.err == "# trap: cannot write the TAP report to stdout: Bad file descriptor\n");
  // A reader gone, SIGPIPE ignored (as some runners leave it): EPIPE.
  auto gone = run_program({"/usr/bin/perl", "-e",
                           "$SIG{PIPE} = 'IGNORE'; pipe(my $r, my $w) or die; close $r; "
                           "open(STDOUT, '>&', $w) or die; exec @ARGV or die",
                           EXIT_STATUS_PROGRAM, "passes"});
  BOOST_TEST(gone.exited(255));
  BOOST_TEST(gone.err == "# trap: cannot write the TAP report to stdout: Broken pipe\n");
}

BOOST_AUTO_TEST_CASE(a_parent_whose_only_results_come_from_a_child_ends_the_hub) {
  auto r = scenario("only_a_child_reports");
  BOOST_TEST(r.exited(1));
  BOOST_TEST(r.out == "not ok 1 - in the child\n1..1\n");
}

BOOST_AUTO_TEST_CASE(results_of_children_that_cannot_be_read_at_the_end_are_not_lost_silently) {
  auto r = scenario("child_results_unreadable");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(
      r.err.find("# trap: reading the results of forked children threw: ") != std::string::npos,
      r.err);
}

BOOST_AUTO_TEST_CASE(a_hub_error_in_a_private_hub_fails_the_program) {
  auto r = scenario("listener_throws_in_intercept");
  BOOST_TEST(r.exited(255));
  BOOST_TEST(r.out == "ok 1 - a\n1..1\n");
  BOOST_TEST(r.err.find("# trap: a listener threw: listener broke") != std::string::npos, r.err);
}

// prove reads the program as a CI would: green exactly when Test::More's
// program would be.
BOOST_AUTO_TEST_CASE(prove_agrees) {
  for (const char* green : {"passes", "skip_all", "todo_failure", "forked_child_exits"}) {
    auto r = run_program({PROVE_PROGRAM, "--exec", EXIT_STATUS_PROGRAM, green});
    BOOST_TEST(r.exited(0), green << ":\n" << r.out << r.err);
  }
  for (const char* red :
       {"fails", "fails_after_done_testing", "plan_not_met", "plan_without_tests",
        "done_testing_without_tests", "forked_child_fails", "junit_unwritable", "bails_out",
        "bails_out_in_a_subtest", "bails_out_in_a_trap", "bails_out_in_a_fork_trap"}) {
    auto r = run_program({PROVE_PROGRAM, "--exec", EXIT_STATUS_PROGRAM, red});
    BOOST_TEST(!r.exited(0), red << ":\n" << r.out << r.err);
  }
}
