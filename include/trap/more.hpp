// SPDX-License-Identifier: BSL-1.0
/// @file
/// Test::More's plain assertions, for programs that need no test framework:
/// each sends one test result to the current hub (trap::current_hub()) at
/// the caller's line, with Test::More's diagnostics, and returns whether it
/// passed. Under the Boost.Test or GoogleTest adapter each is one assertion
/// of that framework. Included by `<trap/trap.hpp>`.
///
/// @code
/// // r = trap::trap([] { std::cout << "usage: prog FILE\n"; return 2; });
/// trap::is(r.return_value<int>(), 2, "returns 2");
/// trap::like(r.out(), "^usage:", "prints its usage");
/// trap::cmp_ok(r.out().size(), "<", 80, "on one short line");
/// trap::ok(r.err().empty(), "nothing on stderr");
/// @endcode
#pragma once

#include <string_view>

#include <trap/source_location.hpp>
#include <trap/value.hpp>

namespace trap {

/// Passes if @p test is true (Test::More's `ok`).
bool ok(bool test, std::string_view name = {},
        trap::source_location where = trap::source_location::current());

/// Passes if @p got equals @p expected (Test::More's `is`): values compare
/// as trap::Value does, and a failure shows both as Test::More does
/// (`got: 'x'` / `expected: 'y'`, undef unquoted).
/// @throws UsageError if they are of different kinds (a string and a
/// number), which are never equal.
bool is(const Expected& got, const Expected& expected, std::string_view name = {},
        trap::source_location where = trap::source_location::current());

/// Passes if @p got does not equal @p expected (Test::More's `isnt`).
/// @throws UsageError if they are of different kinds.
bool isnt(const Expected& got, const Expected& expected, std::string_view name = {},
          trap::source_location where = trap::source_location::current());

/// Passes if the Perl-syntax regex @p pattern matches @p got as text (a
/// number as its digits, undef as ""), as Test::More's `like` with
/// `qr/pattern/`. @throws UsageError for a pattern that is not a regex.
bool like(const Expected& got, std::string_view pattern, std::string_view name = {},
          trap::source_location where = trap::source_location::current());

/// Passes if @p pattern does not match @p got (Test::More's `unlike`).
/// @throws UsageError for a pattern that is not a regex.
bool unlike(const Expected& got, std::string_view pattern, std::string_view name = {},
            trap::source_location where = trap::source_location::current());

/// Passes if @p got and @p expected are equal element by element (Test::More's
/// `is_deeply`; `std::vector`s become arrays); a failure says where they
/// first differ. @throws UsageError for elements of different kinds.
bool is_deeply(const Expected& got, const Expected& expected, std::string_view name = {},
               trap::source_location where = trap::source_location::current());

/// Passes if `got OP expected` holds, for Perl's operator @p op: `==`,
/// `!=`, `<`, `<=`, `>`, `>=` compare numbers (a string that is a number
/// counts as one), `eq`, `ne`, `lt`, `le`, `gt`, `ge` compare texts byte by
/// byte (a number as its digits). @throws UsageError for another operator,
/// or a numeric operator given a value that is not a number.
bool cmp_ok(const Expected& got, std::string_view op, const Expected& expected,
            std::string_view name = {},
            trap::source_location where = trap::source_location::current());

/// A test that passes (Test::More's `pass`).
bool pass(std::string_view name = {},
          trap::source_location where = trap::source_location::current());

/// A test that fails (Test::More's `fail`); returns false.
bool fail(std::string_view name = {},
          trap::source_location where = trap::source_location::current());

}  // namespace trap
