// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::Event, what a test method reports, and the functions that shape a
/// test run: trap::subtest(), trap::skip(), trap::todo(), trap::diag(),
/// trap::note(), trap::intercept(), trap::done_testing(). Included by
/// `<trap/trap.hpp>`; the trap::Hub that events go to is in
/// `<trap/hub.hpp>`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <trap/detail/function.hpp>
#include <trap/source_location.hpp>

namespace trap {

class Hub;

/// One result or message on its way to the formatter.
struct Event {
  /// What the event is.
  enum class Kind {
    ok,    ///< a test result: `pass` says whether it passed
    diag,  ///< a diagnostic message (shown on stderr in TAP)
    note,  ///< a note (shown on stdout in TAP)
    plan,  ///< a plan: `count` tests are expected
    bail,  ///< give up the whole run: it fails (exit status 255, a JUnit failure)
  };
  Kind kind = Kind::ok;                  ///< what the event is
  bool pass = true;                      ///< for `ok`: did the test pass
  std::string name;                      ///< the test's name, or the message
  std::vector<std::string> diagnostics;  ///< lines explaining a failure
  trap::source_location where;           ///< the caller of the test method
  std::size_t number = 0;                ///< the hub's running number for `ok`
  std::size_t count = 0;                 ///< for `plan`: the number of tests
  std::size_t nesting = 0;               ///< 0 at the top, 1 inside a subtest, ...
  std::vector<Event> subevents;          ///< for a subtest's result: its events
  std::string skip;                      ///< for `ok`: why the test was skipped (empty: it was not)
  std::string todo;  ///< for `ok`: why it is expected to fail; a failure then does not count
};

/// The root hub. Its formatter is TAP unless another was installed (e.g. by
/// including `<trap/boost_test.hpp>`).
///
/// At program end (`exit()` or a return from `main`), in the process that
/// made it and unless set_no_ending(true) was called, it finishes by itself
/// as Test::More's END block does: an active hub prints its trailing plan
/// and runs its follow-ups, and, under a formatter that is not a host
/// framework's, the exit status becomes the one trap::done_testing() gives
/// whenever that is not 0 and the program ended with 0 (or with what
/// trap::done_testing() returned). A status of the program's own is kept,
/// as under Test::More: the hub then prints no plan and no summary but
/// "# Looks like your test exited with 3 just after 2." (255 for a status
/// past 255). A forked child never finishes its parent's hub.
Hub& hub();

/// The hub test methods currently report to on this thread: the root hub, or
/// the private hub of an enclosing trap::intercept().
Hub& current_hub();

/// Runs @p fn with a private hub for this thread and returns the events it
/// received, without reporting them anywhere (Test2's intercept). The way to
/// check that a test method fails with the right diagnostics.
/// @code
/// auto events = trap::intercept([&] { r.stdout_is("x"); });
/// assert(!events.at(0).pass);
/// @endcode
std::vector<Event> intercept(detail::FunctionRef<void()> fn);

/// Runs @p fn as a subtest: its test results go to a child hub, which
/// inherits the current hub's filters and listeners marked `inherit`; the
/// current hub then gets one result named @p name, passing if every test in
/// the subtest passed, at least one ran (or it planned "SKIP") and its plan,
/// if any, was met. Formatters show the subtest's own results nested (TAP 14:
/// indented, with their own plan). An exception from @p fn fails the subtest
/// and is reported in its diagnostics. Returns whether it passed.
bool subtest(std::string_view name, detail::FunctionRef<void()> fn,
             trap::source_location where = trap::source_location::current());

/// Reports @p count tests as skipped, for @p reason (TAP: `ok N # skip
/// reason`): code that cannot run here, counted as passing.
void skip(std::string_view reason, std::size_t count = 1,
          trap::source_location where = trap::source_location::current());

/// Runs @p fn with its test results marked TODO, for @p reason: they are
/// expected to fail, and a failure does not fail the run (TAP: `not ok N -
/// name # TODO reason`).
void todo(std::string_view reason, detail::FunctionRef<void()> fn);

/// Sends a diagnostic message (one event; the text may span lines).
void diag(std::string_view message, trap::source_location where = trap::source_location::current());
/// Sends a note (one event; the text may span lines).
void note(std::string_view message, trap::source_location where = trap::source_location::current());

/// Gives up the whole run, as Test::More's `BAIL_OUT`: sends a bail-out
/// event for @p reason (TAP: `Bail out!  reason`, which stops `prove`).
///
/// On the root hub under TAP the program then ends at once with status 255,
/// printing no plan or summary after the line; its JUnit report, if one was
/// asked for, is still written, with the bail-out as a failing test case.
/// Inside a trap whose layers catch `exit()`, that exit is caught like any
/// other (Test::Trap's `trap { BAIL_OUT ... }` does the same). Inside a
/// subtest, the bail-out goes up to the enclosing hub. Under trap::intercept()
/// or a host framework's formatter (Boost.Test, GoogleTest, Catch2, doctest)
/// it is only recorded, as a failure, and bail_out() returns. In a forked
/// child, the parent gives up when it takes the event in.
void bail_out(std::string_view reason,
              trap::source_location where = trap::source_location::current());

/// Declares that testing is done: prints the plan if none was declared
/// (`1..N` under TAP), finishes the root hub and returns Test::More's exit
/// status: the number of failed tests, capped at 254; else 255 if the plan
/// was not met, if no test ran ("# No tests run!"), or if a hub error could
/// not be counted as a failure; else 0.
///
/// A standalone program need not return it: at program end, the root hub
/// finishes by itself and sets the same status (see trap::hub()); calling it
/// is how to say that every planned test ran, as Test::More's done_testing.
///
/// Inside a subtest, as Test::More's, it ends the subtest's plan only (the
/// tests run so far), and returns its number of failed tests.
///
/// Called again, it is a failing test, as under Test::More: "done_testing()
/// was already called at FILE line N", naming the first call (@p where,
/// the caller's line by default). Results that come after testing ended
/// (this one, or any test after done_testing()) are summed up again at
/// program end ("# Looks like you planned 1 test but ran 2.").
int done_testing(trap::source_location where = trap::source_location::current());

}  // namespace trap
