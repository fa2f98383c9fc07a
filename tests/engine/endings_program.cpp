// SPDX-License-Identifier: BSL-1.0
// How a test program ends: its failure summary, a plan not met, a skipped
// subtest, done_testing() called twice, an exit status of its own. Each scenario (argv[1]) is
// compared with Perl's Test::More running the same one (endings_program.pl) by
// support/compare_with_test_more.py: stdout, stderr and exit status.
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include <trap/hub.hpp>
#include <trap/trap.hpp>

namespace {

int status = 0;  // what main returns

const std::map<std::string, std::function<void()>> scenarios = {
    {"fail_1_of_1",
     [] {
       trap::ok(false, "a");
       trap::done_testing();
     }},
    {"fail_1_of_2",
     [] {
       trap::ok(false, "a");
       trap::ok(true, "b");
       trap::done_testing();
     }},
    {"fail_2_of_3",
     [] {
       trap::ok(false, "a");
       trap::ok(true, "b");
       trap::ok(false, "c");
       trap::done_testing();
     }},
    {"planned_1_ran_2",
     [] {
       trap::hub().plan(1);
       trap::ok(true, "a");
       trap::ok(true, "b");
     }},
    {"planned_3_ran_1_failing",
     [] {
       trap::hub().plan(3);
       trap::ok(false, "a");
     }},
    {"ran_past_the_plan_failing",
     [] {
       trap::hub().plan(1);
       trap::ok(true, "a");
       trap::ok(false, "b");
       trap::ok(true, "c");
     }},
    {"subtest_skip_all_without_reason",
     [] {
       trap::subtest("x", [] { trap::current_hub().plan("SKIP"); });
       trap::ok(true, "after");
       trap::done_testing();
     }},
    {"subtest_skip_all_with_reason",
     [] {
       trap::subtest("x", [] { trap::current_hub().plan("SKIP", "no database"); });
       trap::subtest("y", [] { trap::current_hub().plan("SKIP", "a # b"); });
       trap::ok(true, "after");
       trap::done_testing();
     }},
    {"done_testing_twice",
     [] {
       trap::ok(true, "a");
       trap::done_testing();
       trap::done_testing();
     }},
    {"failing_subtest",
     [] {
       trap::subtest("y", [] {
         trap::ok(false, "bad");
         trap::ok(true, "good");
       });
       trap::done_testing();
     }},
    {"done_testing_in_subtests",
     [] {
       trap::subtest("x", [] {
         trap::ok(true, "in");
         trap::done_testing();
       });
       trap::subtest("y", [] {
         trap::ok(false, "bad");
         trap::done_testing();
         trap::done_testing();
       });
       trap::ok(true, "after");
       trap::done_testing();
     }},
    {"failing_after_done_testing",
     [] {
       trap::ok(true, "a");
       trap::done_testing();
       trap::ok(false, "b");
     }},
    // An exit status of the program's own is kept, and said.
    {"exit_3_after_2",
     [] {
       trap::ok(true, "a");
       trap::ok(true, "b");
       std::exit(3);
     }},
    {"exit_3_after_a_failure",
     [] {
       trap::ok(false, "a");
       trap::ok(true, "b");
       std::exit(3);
     }},
    {"exit_3_planned_3_ran_2",
     [] {
       trap::hub().plan(3);
       trap::ok(true, "a");
       trap::ok(true, "b");
       std::exit(3);
     }},
    {"exit_3_after_done_testing",
     [] {
       trap::ok(true, "a");
       trap::ok(true, "b");
       trap::done_testing();
       std::exit(3);
     }},
    {"exit_3_planned_before_any_test",
     [] {
       trap::hub().plan(2);
       std::exit(3);
     }},
    {"exit_3_without_tests", [] { std::exit(3); }},
    {"exit_256_after_done_testing",
     [] {
       trap::ok(true, "a");
       trap::done_testing();
       std::exit(256);
     }},
    {"return_3_from_main",
     [] {
       trap::hub().plan(2);
       trap::ok(true, "a");
       status = 3;
     }},
    {"exit_0_after_a_failure",
     [] {
       trap::hub().plan(2);
       trap::ok(false, "a");
       std::exit(0);
     }},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || !scenarios.count(argv[1])) return 100;
  scenarios.at(argv[1])();
  return status;
}
