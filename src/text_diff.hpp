// Readable differences between two texts, for failure diagnostics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trap::detail {

/// A unified diff (`--- expected`, `+++ got`, hunks with three lines of
/// context) of two multi-line texts, lines escaped; empty if they are too
/// large to compare line by line (more than 4,000 lines together).
std::vector<std::string> unified_diff(std::string_view expected, std::string_view got);

/// Where two single-line texts first differ, with some context around it:
/// "first difference at offset N:" and the two excerpts.
std::vector<std::string> first_difference(std::string_view got, std::string_view expected);

}  // namespace trap::detail
