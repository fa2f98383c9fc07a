// SPDX-License-Identifier: BSL-1.0
/// @file
/// The text a framework adapter gives the assertion it makes of a trap test
/// result (trap/catch2.hpp, trap/doctest.hpp).
#pragma once

#include <string>

#include <trap/hub.hpp>

namespace trap::detail {

/// The test's name ("trap test" when it has none), then " (TODO: why)" for
/// a TODO test, then each diagnostic line on a line of its own.
inline std::string host_message(const Event& event) {
  std::string text = event.name.empty() ? std::string("trap test") : event.name;
  if (!event.todo.empty()) text += " (TODO: " + event.todo + ")";
  for (const auto& d : event.diagnostics) text += "\n" + d;
  return text;
}

/// The text of a skipped test: "skipped: why".
inline std::string skip_message(const Event& event) { return "skipped: " + event.skip; }

}  // namespace trap::detail
