// SPDX-License-Identifier: BSL-1.0
// What a failing test on a trap::run trap adds to its diagnostics (the
// command line, how the program ended, the tail of its stderr), and the
// shell quoting of the command line.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <trap/trap_object.hpp>

namespace trap::detail {

/// What trap::run knows of one call, beside what its trap records.
struct RunRecord {
  std::vector<std::string> argv;
  /// The program's own timeout, when it was the deadline that applied
  /// (empty when there was none or an outer timeout layer's came first).
  std::optional<std::chrono::milliseconds> timeout;
  /// When the program could not be started: the OS error's message.
  std::optional<std::string> start_error;
  /// Whether the signal that ended the program made it dump core
  /// (WCOREDUMP of its wait status).
  bool core_dumped = false;
};

/// @p arg quoted for a shell only where needed: as it is if it holds only
/// `A-Za-z0-9_@%+=:,./-` (and is not empty); in single quotes, each `'`
/// written `'"'"'`, as Python's shlex.quote, if it holds only printable
/// characters; else in bash's `$'...'` (POSIX.1-2024), a control character,
/// DEL or a byte that is not UTF-8 written `\n`, `\t`, `\r` or `\xNN`, so
/// that the line holds nothing a report would escape or break.
std::string shell_quoted(std::string_view arg);

/// @p argv as one line that bash splits back into @p argv (Python's
/// shlex.join but for the `$'...'` quotes).
std::string shell_command(const std::vector<std::string>& argv);

/// The last @p max lines of @p err as diagnostics: a heading ("stderr:",
/// or "last 10 of 57 lines of stderr:" when cut, or "stderr: (empty)"), the
/// lines indented under it (each cut to a few hundred bytes), and a note
/// when the text does not end with a newline.
std::vector<std::string> stderr_tail(std::string_view err, std::size_t max = 10);

/// The diagnostics a failing test on trap::run's trap @p t adds: the command
/// line, how the program ended (from @p t as it is now) and stderr's tail.
std::vector<std::string> run_failure_context(const RunRecord& run, const Trap& t);

}  // namespace trap::detail
