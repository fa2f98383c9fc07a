// SPDX-License-Identifier: BSL-1.0
// Comparisons shared by the trap's standard tests (tests.cpp) and
// Test::More's plain assertions (more.cpp): Perl-flavoured regex matching,
// the rule that only values of one kind compare, and where two structures
// first differ.
#pragma once

#include <string>
#include <vector>

#include <trap/value.hpp>

namespace trap::detail {

/// Value::str() cut at 1000 bytes, with the full length after it.
std::string truncated(const Value& v);

/// Whether Perl-syntax @p pattern matches somewhere in @p subject, `$`
/// matching before a final newline as Perl's does.
/// @throws UsageError naming the pattern if it is not a valid regex.
bool regex_matches(const std::string& pattern, const std::string& subject);

/// @throws UsageError if @p got and @p want are of different kinds (null
/// aside), naming both and @p where (e.g. "stdout()" or "$got->[1]").
void require_same_kind(const Value& got, const Value& want, const std::string& where);

/// How a value is shown in a diagnostic.
using Rendering = std::string (*)(const Value&);

/// Compares @p got with @p want element by element and, where they first
/// differ, appends Test::More's "Structures begin differing at:" lines to
/// @p out, values shown with @p render. @p where names the compared value
/// (for the error of a comparison of different kinds); @p path is the
/// position inside it ("->[1]").
/// @throws UsageError for elements of different kinds.
bool deep_diff(const Value& got, const Value& want, const std::string& where,
               const std::string& path, Rendering render, std::vector<std::string>& out);

}  // namespace trap::detail
