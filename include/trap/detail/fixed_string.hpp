// SPDX-License-Identifier: BSL-1.0
/// @file
/// A string usable as a template argument, for trap::trap<":flow">(fn).
#pragma once

#include <cstddef>
#include <string_view>

#include <trap/detail/spec_grammar.hpp>

namespace trap::detail {

/// A compile-time string; the layer spec of trap::trap<spec>().
template <std::size_t N>
struct FixedString {
  char text[N]{};
  /// Copies the literal. trap::trap<spec>() checks its syntax
  /// (spec_syntax_ok), in a static_assert, where every compiler shows the
  /// `throw` that says what is wrong.
  consteval FixedString(const char (&s)[N]) {
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  /// The spec as a view.
  constexpr std::string_view view() const { return {text, N - 1}; }
};

/// Checks that @p spec is a well-formed layer spec, as the run-time parser
/// would: a malformed one is not a constant expression, so the build stops
/// at the `throw` that says what is wrong.
constexpr bool spec_syntax_ok(std::string_view spec) {
  check_spec_syntax(spec);
  return true;
}

/// Checks one element's argument, if its layer is built in, as resolving it
/// at run time would.
constexpr void check_builtin_layer_argument(std::string_view name, std::string_view arg) {
  if (arg.empty() && name != "on_fail" && name != "timeout") return;
  if (name == "raw" || name == "die" || name == "exit" || name == "flow" || name == "default" ||
      name == "warn")
    throw "trap: this layer takes no argument";
  if (name == "fork" && arg != "exec") throw "trap: the fork layer takes no argument or \"exec\"";
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

/// Checks the arguments of the built-in layers named in a compile-time
/// spec, as resolving it at run time would: a bad one is not a constant
/// expression, so the build stops at the `throw` that says what is wrong.
/// Layers it does not know are left to run time. Evaluated at run time, it
/// throws that message (a const char*).
constexpr bool builtin_layer_arguments_ok(std::string_view spec) {
  parse_layer_spec(spec, [](const SpecElement& e) { check_builtin_layer_argument(e.name, e.arg); });
  return true;
}

}  // namespace trap::detail
