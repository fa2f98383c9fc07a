// SPDX-License-Identifier: BSL-1.0
/// @file
/// Which subtests a standalone program runs: list them, run some by name,
/// or run one shard of them (Bazel's test sharding), from environment
/// variables (no change to `main` needed) or from the command line.
///
/// Only **top-level** subtests, those that no other trap::subtest()
/// encloses, are listed, filtered and sharded; a subtest inside one runs
/// whenever its parent does. They are numbered in the order they are
/// called. All of this applies to standalone programs only: under a host
/// framework's formatter (Boost.Test, GoogleTest, Catch2, doctest) the
/// framework's own options choose what runs, and these are ignored.
///
/// | Environment            | Command line (trap::parse_arguments) | Effect |
/// |------------------------|--------------------|--------|
/// | `TRAP_LIST=1`          | `--list`           | print each top-level subtest's name on its own
/// line on stdout, run none, exit 0 | | `TRAP_FILTER=PATTERNS` | `--filter=PATTERNS`| run only the
/// subtests whose names match | | `TEST_TOTAL_SHARDS`, `TEST_SHARD_INDEX` | | run the subtests
/// whose ordinal (from 0, among those the filter lets through) modulo the total is the index | |
/// `TEST_SHARD_STATUS_FILE` | | touched (created) to tell Bazel the program shards | |
/// `XML_OUTPUT_FILE`      | | a JUnit report (trap::junit_report) is written there too | |
/// `TEST_TMPDIR`          | | capture files are made there (before `TMPDIR`, then `/tmp`) |
///
/// PATTERNS is GoogleTest's filter syntax: glob patterns (`*` any text, `?`
/// one character) separated by `:`; after the first `-`, the patterns of
/// names to leave out (`a*:b*-*slow*`, or `-*slow*` for all but those). A
/// backslash makes the next character plain: `round\-trip` is the name
/// `round-trip`. An empty TRAP_FILTER is no filter.
///
/// A subtest that is not selected is neither run nor reported: the TAP plan
/// counts what ran. Test methods called outside any subtest are plain calls
/// that cannot be skipped: they run, and their results are reported and
/// counted as usual, except in list mode, where they still run but nothing
/// but the list is printed. A filter that matches no subtest is an error
/// (`# trap: TRAP_FILTER="x" matches none of the 3 top-level subtests`,
/// exit status 255), as Test::More's "No tests run!"; a shard that gets no
/// subtest, when there are more shards than subtests, prints
/// `1..0 # SKIP no subtest in shard index 3 of 4 shards` and exits 0. A bad value of a
/// variable (`TEST_SHARD_INDEX="4" is not less than TEST_TOTAL_SHARDS="4"`)
/// is printed as a `# trap:` line, no subtest runs, and the exit status is
/// 255.
///
/// docs/ci-and-sharding.md says more, with trap_discover_tests (one ctest
/// test per subtest) and Bazel.
#pragma once

namespace trap {

/// Takes trap's own options out of a standalone program's command line and
/// leaves the others, in their order, for the program: `--list` (as
/// `TRAP_LIST=1`) and `--filter=PATTERNS` (as `TRAP_FILTER`; see this
/// file's description for both). They override the environment's. @p argc
/// is decreased by the number taken and `argv[argc]` stays null.
/// @snippet 14-sharded.cpp synopsis
/// @throws UsageError for `--filter` without `=`, a pattern that ends with
/// a lone backslash, a bad value of an environment variable above (the
/// message names it), or a call after the first top-level subtest.
void parse_arguments(int& argc, char** argv);

}  // namespace trap
