// SPDX-License-Identifier: BSL-1.0
// Readable differences between two texts, for failure diagnostics.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace trap::detail {

/// A unified diff (`--- expected`, `+++ got`, hunks with three lines of
/// context) of two multi-line texts, lines escaped. It is a shortest diff
/// (Myers' O(ND) algorithm after the common start and end are set aside,
/// memory O(N + M + D^2)) when the texts differ in at most @p max_changes
/// lines; otherwise it shows the first @p max_changes changed lines of such
/// a diff and ends with a line saying it stopped. Time and size are so
/// bounded whatever the texts' length.
std::vector<std::string> unified_diff(std::string_view expected, std::string_view got,
                                      std::size_t max_changes = 500);

/// Where two single-line texts first differ, with some context around it:
/// "first difference at offset N:" and the two excerpts.
std::vector<std::string> first_difference(std::string_view got, std::string_view expected);

}  // namespace trap::detail
