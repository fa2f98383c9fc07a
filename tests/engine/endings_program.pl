# SPDX-License-Identifier: BSL-1.0
# The scenarios of endings_program.cpp, with Test::More.
use strict;
use warnings;
use Test::More;

my %scenarios = (
  fail_1_of_1 => sub { ok(0, 'a'); done_testing() },
  fail_1_of_2 => sub { ok(0, 'a'); ok(1, 'b'); done_testing() },
  fail_2_of_3 => sub { ok(0, 'a'); ok(1, 'b'); ok(0, 'c'); done_testing() },
  planned_1_ran_2 => sub { plan tests => 1; ok(1, 'a'); ok(1, 'b') },
  planned_3_ran_1_failing => sub { plan tests => 3; ok(0, 'a') },
  ran_past_the_plan_failing => sub { plan tests => 1; ok(1, 'a'); ok(0, 'b'); ok(1, 'c') },
  subtest_skip_all_without_reason => sub {
    subtest x => sub { plan skip_all => '' };
    ok(1, 'after');
    done_testing();
  },
  subtest_skip_all_with_reason => sub {
    subtest x => sub { plan skip_all => 'no database' };
    subtest y => sub { plan skip_all => 'a # b' };
    ok(1, 'after');
    done_testing();
  },
  done_testing_twice => sub { ok(1, 'a'); done_testing(); done_testing() },
  failing_subtest => sub {
    subtest y => sub { ok(0, 'bad'); ok(1, 'good') };
    done_testing();
  },
  done_testing_in_subtests => sub {
    subtest x => sub { ok(1, 'in'); done_testing() };
    subtest y => sub { ok(0, 'bad'); done_testing(); done_testing() };
    ok(1, 'after');
    done_testing();
  },
  failing_after_done_testing => sub { ok(1, 'a'); done_testing(); ok(0, 'b') },
  exit_3_after_2 => sub { ok(1, 'a'); ok(1, 'b'); exit 3 },
  exit_3_after_a_failure => sub { ok(0, 'a'); ok(1, 'b'); exit 3 },
  exit_3_planned_3_ran_2 => sub { plan tests => 3; ok(1, 'a'); ok(1, 'b'); exit 3 },
  exit_3_after_done_testing => sub { ok(1, 'a'); ok(1, 'b'); done_testing(); exit 3 },
  exit_3_planned_before_any_test => sub { plan tests => 2; exit 3 },
  exit_3_without_tests => sub { exit 3 },
  exit_256_after_done_testing => sub { ok(1, 'a'); done_testing(); exit 256 },
  return_3_from_main => sub { plan tests => 2; ok(1, 'a'); exit 3 },
  exit_0_after_a_failure => sub { plan tests => 2; ok(0, 'a'); exit 0 },
);
my $scenario = $scenarios{ $ARGV[0] // '' } or exit 100;
$scenario->();
