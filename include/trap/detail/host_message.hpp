// SPDX-License-Identifier: BSL-1.0
/// @file
/// The text a framework adapter gives the assertion it makes of a trap test
/// result (trap/catch2.hpp, trap/doctest.hpp), and the way a framework's own
/// failure made in a forked child reaches the parent (trap/gtest.hpp).
#pragma once

#include <string>
#include <string_view>

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

/// Whether a result sent on this thread now goes to a parent process's
/// hub: in the child of a fork or fork(exec) trap, or of a plain fork().
bool results_go_to_parent() noexcept;

/// In such a child: sends a failure the host framework recorded there (a
/// GoogleTest `EXPECT_*` inside a fork trap) to the parent's hub, as a
/// failed test named @p message at @p file line @p line; the parent's
/// adapter makes it a failure of the test that runs there. Returns false,
/// sending nothing, where results_go_to_parent() is false.
bool send_failure_to_parent(std::string_view message, const char* file, int line);

}  // namespace trap::detail
