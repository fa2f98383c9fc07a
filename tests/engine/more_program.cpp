// SPDX-License-Identifier: BSL-1.0
// Test::More's plain assertions, passing and failing: its output is
// compared with Perl's Test::More running the same assertions in the same
// order (more_program.pl) by support/compare_with_test_more.py.
#include <trap/trap.hpp>

int main() {
  using trap::Array;
  trap::ok(true, "ok passes");
  trap::ok(false, "ok fails");
  trap::ok(false);
  trap::is("x", "x", "is passes");
  trap::is("x", "y", "is fails");
  trap::is(nullptr, "y", "is undef");
  trap::is(1, 2);
  trap::is("a\nb", "a\nc", "is multi-line");
  trap::is(1.5, 2, "is numbers");
  trap::isnt("x", "x", "isnt fails");
  trap::isnt("x", "y", "isnt passes");
  trap::like("abc", "^a", "like passes");
  trap::like("abc", "^z", "like fails");
  trap::like(nullptr, "x", "like undef");
  trap::like(42, "^4", "like number");
  trap::unlike("abc", "^a", "unlike fails");
  trap::unlike("abc", "^z", "unlike passes");
  trap::is_deeply(Array{1, 2}, Array{1, 3}, "deep differs");
  trap::is_deeply(Array{1, 2}, Array{1}, "deep shorter");
  trap::is_deeply(Array{"a", Array{1, 2}}, Array{"a", Array{1, 2}}, "deep passes");
  trap::is_deeply(Array{"a", Array{1, 2}}, Array{"a", Array{1, 4}}, "deep nested");
  trap::is_deeply("a", "b", "deep scalars");
  trap::is_deeply(Array{1, nullptr}, Array{1, 2}, "deep undef");
  trap::cmp_ok(1, "<", 0, "cmp <");
  trap::cmp_ok(1, "==", 0, "cmp ==");
  trap::cmp_ok("1.0", "==", 2, "cmp == numifies");
  trap::cmp_ok(1, "!=", 1, "cmp !=");
  trap::cmp_ok("a", "eq", "b", "cmp eq");
  trap::cmp_ok("a", "ne", "a", "cmp ne");
  trap::cmp_ok("x", "lt", "a", "cmp lt");
  trap::cmp_ok(2.5, ">=", 3, "cmp >=");
  trap::cmp_ok(3, "<=", 3, "cmp <= passes");
  trap::cmp_ok("b", "gt", "a", "cmp gt passes");
  trap::cmp_ok(10, ">", 9, "cmp > is numeric");
  trap::cmp_ok("10", "lt", "9", "cmp lt is textual");
  trap::cmp_ok(9, "le", 10, "cmp le fails on text");
  trap::pass("pass");
  trap::fail("fail");
  trap::fail();
  return trap::done_testing();
}
