// SPDX-License-Identifier: BSL-1.0
// Which top-level subtests a standalone program runs: TRAP_LIST,
// TRAP_FILTER, Bazel's TEST_TOTAL_SHARDS / TEST_SHARD_INDEX /
// TEST_SHARD_STATUS_FILE / XML_OUTPUT_FILE, and trap::parse_arguments().
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <trap/hub.hpp>

namespace trap::detail {

/// A filter of subtest names in GoogleTest's syntax: `:`-separated glob
/// patterns (`*` any text, `?` one character), and after the first `-` the
/// negative ones. A backslash makes the next character plain.
class SubtestFilter {
 public:
  /// Parses @p text; @p source names where it came from, for errors.
  /// @throws UsageError for a pattern ending with a lone backslash.
  SubtestFilter(std::string_view text, std::string source);
  /// True if @p name matches a positive pattern (or there is none) and no
  /// negative one.
  bool matches(std::string_view name) const;
  /// The filter as given, and where it came from (`TRAP_FILTER="..."`).
  std::string describe() const;

 private:
  struct Glyph {
    char c;
    bool wild;  // an unescaped * or ?
  };
  using Pattern = std::vector<Glyph>;
  static bool match(const Pattern& p, std::string_view name);
  std::vector<Pattern> positive_, negative_;
  std::string text_, source_;
};

/// A name written so that SubtestFilter matches exactly it: each of
/// `\ * ? : -` gets a backslash.
std::string escape_for_filter(std::string_view name);

/// What the environment and trap::parse_arguments() ask for.
struct Selection {
  bool list = false;                    // print the names, run nothing
  std::optional<SubtestFilter> filter;  // run only the subtests it matches
  std::size_t shards = 1;               // run those whose ordinal % shards == shard
  std::size_t shard = 0;
  bool broken = false;  // a bad setting was reported: run no subtest
};

/// True if TRAP_LIST asks for list mode (set, not empty, not "0").
bool list_from_environment();

/// Reads TRAP_LIST, TRAP_FILTER, TEST_TOTAL_SHARDS and TEST_SHARD_INDEX,
/// and touches TEST_SHARD_STATUS_FILE when it is set.
/// @throws UsageError naming the variable whose value is bad.
Selection selection_from_environment();

/// For a subtest called where no other subtest encloses it, in a program
/// whose root hub reports on its own (no host framework): true to run it.
/// In list mode, prints its name instead (when selected) and returns false.
bool run_top_level_subtest(std::string_view name);

/// At the root hub's creation: drops its results in list mode (TRAP_LIST),
/// writes JUnit to XML_OUTPUT_FILE when set.
void prepare_root_hub(Hub& root);

/// Before the root hub ends (program end or done_testing()): a filter that
/// matched no subtest is an error, and a shard that got no subtest and no
/// result plans "SKIP". False in list mode: the hub must not end then.
/// Runs once; later calls return the same.
bool end_selection(Hub& root);

/// Reports @p message as a hub error that is not a test result: a
/// `# trap:` line on the original stderr, and the exit status 255.
void report_run_error(const std::string& message);

/// As trap::junit_report(), but the file is written only if @p hub's
/// formatter is not a host framework's when testing ends.
void junit_report_standalone(Hub& hub, std::string path, std::string suite);

}  // namespace trap::detail
