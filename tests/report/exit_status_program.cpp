// SPDX-License-Identifier: BSL-1.0
// A standalone TAP program whose exit status is what the test checks: each
// scenario (argv[1]) reports some results and then ends the way a user's
// program might, usually without done_testing(). The exit status must follow
// Test::More's END rules whatever main returned.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/trap.hpp>

#include "posix/fd.hpp"

namespace {

trap::Trap returned() {
  return trap::trap(":flow", [] { return 1; });
}
void pass(const std::string& name) { returned().did_return(name); }
void fail(const std::string& name) { returned().did_exit(name); }

const std::map<std::string, std::function<int()>> scenarios = {
    {"passes",
     [] {
       pass("a");
       pass("b");
       return 0;
     }},
    {"fails",
     [] {
       pass("a");
       fail("b");
       return 0;
     }},
    {"fails_300",
     [] {
       for (int i = 0; i < 300; ++i) fail("f");
       return 0;
     }},
    {"fails_after_done_testing",
     [] {
       fail("a");
       trap::done_testing();
       return 0;
     }},
    {"returns_done_testing",
     [] {
       pass("a");
       fail("b");
       return trap::done_testing();
     }},
    {"plan_not_met",
     [] {
       trap::hub().plan(3);
       pass("a");
       return 0;
     }},
    {"plan_without_tests",
     [] {
       trap::hub().plan(2);
       return 0;
     }},
    {"done_testing_without_tests",
     [] {
       trap::done_testing();
       return 0;
     }},
    {"skip_all",
     [] {
       trap::hub().plan("SKIP");
       return 0;
     }},
    {"exit_7_after_passing",
     []() -> int {
       pass("a");
       std::exit(7);
     }},
    {"nothing", [] { return 0; }},
    {"no_ending",
     [] {
       fail("a");
       trap::hub().set_no_ending(true);
       return 0;
     }},
    {"todo_failure",
     [] {
       trap::todo("later", [] { fail("a"); });
       pass("b");
       return 0;
     }},
    // A plain fork() child that ends normally: only the parent ends the hub.
    {"forked_child_exits",
     [] {
       pass("before the fork");
       pid_t pid = ::fork();
       if (pid == 0) std::exit(0);
       int status = 0;
       ::waitpid(pid, &status, 0);
       pass("after the fork");
       return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 99;
     }},
    // A plain fork() child that exits with a status of its own: its
    // parent's hub is not its own to end, or to say how it ended.
    {"forked_child_exits_3",
     [] {
       pass("before the fork");
       pid_t pid = ::fork();
       if (pid == 0) std::exit(3);
       int status = 0;
       ::waitpid(pid, &status, 0);
       pass("after the fork");
       return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 0 : 99;
     }},
    {"exit_7_after_failing",
     []() -> int {
       fail("a");
       std::exit(7);
     }},
    // A result reported in a forked child reaches the parent and counts.
    {"forked_child_fails",
     [] {
       pid_t pid = ::fork();
       if (pid == 0) {
         fail("in the child");
         std::exit(0);
       }
       int status = 0;
       ::waitpid(pid, &status, 0);
       pass("in the parent");
       return 0;
     }},
    // The only results come from a forked child: the parent ends the hub.
    {"only_a_child_reports",
     [] {
       pid_t pid = ::fork();
       if (pid == 0) {
         fail("in the child");
         std::exit(0);
       }
       int status = 0;
       ::waitpid(pid, &status, 0);
       return 0;
     }},
    // The results a child sent cannot be read when the hub ends: said, and
    // the program fails rather than losing them without a word.
    {"child_results_unreadable",
     [] {
       pid_t pid = ::fork();
       if (pid == 0) {
         pass("in the child");
         std::exit(0);
       }
       int status = 0;
       ::waitpid(pid, &status, 0);
       trap::posix::inject_fault("pread", 1, EIO);
       return 0;
     }},
    {"quick_exit_passes",
     []() -> int {
       pass("a");
       pass("b");
       std::quick_exit(0);
     }},
    {"quick_exit_fails",
     []() -> int {
       pass("a");
       fail("b");
       std::quick_exit(0);
     }},
    {"fails_after_done_testing_with_junit",
     [] {
       if (const char* path = std::getenv("TRAP_TEST_JUNIT")) trap::junit_report(trap::hub(), path);
       pass("a");
       trap::done_testing();
       fail("b");
       return 0;
     }},
    {"junit_then_chdir",
     [] {
       trap::junit_report(trap::hub(), std::getenv("TRAP_TEST_JUNIT"));
       pass("a");
       if (::chdir("sub") != 0) return 100;
       return 0;
     }},
    {"junit_then_exit_at_once",
     [] {
       trap::junit_report(trap::hub(), std::getenv("TRAP_TEST_JUNIT"));
       pass("a");
       std::_Exit(0);
       return 0;
     }},
    // Under Bazel (XML_OUTPUT_FILE), no report of its own.
    {"exit_at_once",
     [] {
       pass("a");
       std::_Exit(0);
       return 0;
     }},
    {"junit_unwritable",
     [] {
       trap::junit_report(trap::hub(), "/nonexistent-dir/results.xml");
       pass("a");
       return 0;
     }},
    {"bails_out",
     [] {
       // A JUnit report where argv's scenario asks for one (TRAP_TEST_JUNIT).
       if (const char* path = std::getenv("TRAP_TEST_JUNIT")) trap::junit_report(trap::hub(), path);
       pass("a");
       trap::Event bail;
       bail.kind = trap::Event::Kind::bail;
       bail.name = "the database is gone";
       trap::hub().send(bail);
       pass("never");  // the bail-out ended the program
       return 0;
     }},
    {"bails_out_in_a_subtest",
     [] {
       pass("a");
       trap::subtest("s", [] {
         pass("inner");
         trap::bail_out("cannot go on");
         pass("never");
       });
       pass("never");
       return 0;
     }},
    {"bails_out_in_a_fork_trap",
     [] {
       pass("a");
       trap::trap(":fork", [] {
         trap::bail_out("from the child");
         pass("the child goes on, as under Test2");
       });
       pass("never: the parent gives up before its next result");
       return 0;
     }},
    {"bails_out_in_a_trap",
     [] {
       pass("a");
       auto r = trap::trap([] { trap::bail_out("inside"); });
       r.exit_is(255, "the bail-out's exit was caught");
       pass("b");
       return 0;
     }},
    {"listener_throws_in_intercept",
     [] {
       pass("a");
       trap::intercept([] {
         trap::current_hub().listen([](trap::Hub&, const trap::Event&, std::size_t) {
           throw std::runtime_error("listener broke");
         });
         pass("intercepted");
       });
       return 0;
     }},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || !scenarios.count(argv[1])) return 100;
  return scenarios.at(argv[1])();
}
