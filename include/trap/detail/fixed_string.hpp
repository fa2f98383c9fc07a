/// @file
/// A string usable as a template argument, for trap::trap<":flow">(fn).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace trap::detail {

/// A compile-time string; the layer spec of trap::trap<spec>().
template <std::size_t N>
struct FixedString {
  char text[N]{};
  /// Copies the literal; checks that its parentheses balance.
  consteval FixedString(const char (&s)[N]) {
    std::copy_n(s, N, text);
    int depth = 0;
    for (std::size_t i = 0; i + 1 < N; ++i) {
      if (s[i] == '(') ++depth;
      if (s[i] == ')') --depth;
      // Not a constant expression: reported as a compile error.
      if (depth < 0 || depth > 1) throw "trap: unbalanced parenthesis in layer spec";
    }
    if (depth != 0) throw "trap: unclosed parenthesis in layer spec";
  }
  /// The spec as a view.
  constexpr std::string_view view() const { return {text, N - 1}; }
};

}  // namespace trap::detail
