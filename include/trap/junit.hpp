/// @file
/// A JUnit XML report of a hub's results, written beside any formatter.
#pragma once

#include <string>

#include <trap/hub.hpp>

namespace trap {

/// Listens to @p hub and, when testing ends (done_testing() or program end),
/// writes its test results to @p path as JUnit XML: one `<testcase>` per
/// result, a `<failure>` with the diagnostics for each failed one, in one
/// `<testsuite>` named @p suite. CI servers read it; the formatter is
/// untouched.
/// @code
/// trap::junit_report(trap::hub(), "results.xml");
/// @endcode
/// @throws UsageError for an empty path. A file that cannot be written is
/// reported on stderr when testing ends, and counts as a failure.
HubHandle junit_report(Hub& hub, std::string path, std::string suite = "trap");

}  // namespace trap
