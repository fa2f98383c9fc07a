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

/// Checks the arguments of the built-in layers named in a compile-time
/// spec, as resolving it at run time would: a bad one is not a constant
/// expression, so the build stops at the `throw` that says what is wrong.
/// Layers it does not know are left to run time.
constexpr bool builtin_layer_arguments_ok(std::string_view spec) {
  auto separator = [](char c) { return c == ':' || c == ' ' || c == '\t' || c == '\n'; };
  std::size_t i = 0;
  while (i < spec.size()) {
    if (separator(spec[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < spec.size() && !separator(spec[i]) && spec[i] != '(') ++i;
    std::string_view name = spec.substr(start, i - start), arg;
    if (i < spec.size() && spec[i] == '(') {
      std::size_t close = spec.find(')', i);
      arg = spec.substr(i + 1, close - i - 1);
      i = close + 1;
    }
    if (arg.empty() && name != "on_fail" && name != "timeout") continue;
    if (name == "raw" || name == "die" || name == "exit" || name == "flow" ||
        name == "default" || name == "warn")
      throw "trap: this layer takes no argument";
    if (name == "fork" && arg != "exec")
      throw "trap: the fork layer takes no argument or \"exec\"";
    if (name == "on_fail" && arg.empty())
      throw "trap: the on_fail layer needs the name of a method, e.g. on_fail(diag_all)";
    if (name == "timeout") {
      long long ms = 0;
      for (char c : arg) {
        if (c < '0' || c > '9' || ms > 86'400'000)
          throw "trap: the timeout layer takes a whole number of milliseconds";
        ms = ms * 10 + (c - '0');
      }
      if (ms < 1 || ms > 86'400'000)
        throw "trap: the timeout layer takes a number of milliseconds from 1 to 86400000";
    }
  }
  return true;
}

}  // namespace trap::detail
