// SPDX-License-Identifier: BSL-1.0
/// @file
/// A JUnit XML report of a hub's results, written beside any formatter.
#pragma once

#include <string>

#include <trap/hub.hpp>

namespace trap {

/// Listens to @p hub and, when testing ends (done_testing() or program end),
/// writes its top-level test results to @p path (a relative one taken from
/// the working directory of this call) as JUnit XML, in one
/// `<testsuite>` named @p suite. CI servers read it; the formatter is
/// untouched. A result sent after that (a test after done_testing()) writes
/// the file again with it, as TAP and the exit status count it. Until
/// testing ends, the file holds one failing case, "the test program did not
/// end": a program that crashes, is killed or calls `_exit()` leaves that,
/// not the report of an earlier run.
///
/// The counts are TAP's: `tests` is every result, `failures` the failed
/// ones that are not TODO, `skipped` the skipped ones, `errors` 0. Each
/// result is a `<testcase>` (unnamed ones are called "test N") with:
/// - `<failure message="name">` and the diagnostics when it failed; a failed
///   subtest's message names its failing tests, and the text lists them
///   with their diagnostics;
/// - `<skipped message="reason"/>` when it was skipped;
/// - nothing but a `<system-out>` saying "TODO failed: reason" (or "TODO
///   passed") for a TODO test, which TAP counts as passing either way.
///
/// A testcase's `time` is the time since the previous result (or since
/// this call), in seconds; the testsuite's `time` is from this call to the
/// end, with a UTC `timestamp` of this call and the `hostname`. The file is
/// well-formed XML 1.0 in UTF-8 whatever the strings hold: control
/// characters XML cannot hold and bytes that are not UTF-8 are written
/// `\xNN`. A text longer than 1 MiB (a failure's diagnostics, a TODO's
/// output, a name or a reason) is cut there, at a character's start, and
/// ends with a note of how many bytes were left out, so that libxml2-based
/// readers, which reject a text past 10 MB, read the file.
/// @code
/// trap::junit_report(trap::hub(), "results.xml");
/// @endcode
/// @throws UsageError for an empty path. A file that cannot be written is
/// reported on stderr when testing ends, and counts as a failure; a
/// standalone program then ends with status 255.
HubHandle junit_report(Hub& hub, std::string path, std::string suite = "trap");

}  // namespace trap
