// SPDX-License-Identifier: BSL-1.0
// A standalone trap program with awkward subtest names and one subtest that
// fails on purpose: each is one ctest test, and only that one fails.
#include <cstdio>

#include <trap/trap.hpp>

int main(int argc, char** argv) {
  trap::parse_arguments(argc, argv);
  trap::subtest("plain", [] { trap::ok(true, "plain"); });
  trap::subtest("with spaces; and a semicolon", [] { trap::ok(true, "spaces"); });
  trap::subtest("colon:and-dash", [] {
    trap::ok(true, "outer");
    trap::subtest("nested", [] { trap::ok(true, "nested runs with its parent"); });
  });
  trap::subtest("star*and?[brackets]", [] {
    auto r = trap::trap([] { std::puts("hello"); });
    r.stdout_is("hello\n");
  });
  trap::subtest("fails on purpose", [] { trap::ok(false, "this one fails"); });
  return trap::done_testing();
}
