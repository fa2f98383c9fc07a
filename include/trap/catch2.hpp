// SPDX-License-Identifier: BSL-1.0
/// @file
/// Reports trap's test methods as Catch2 assertions (Catch2 v2, the
/// single header `<catch2/catch.hpp>`, Debian's `catch2` 2.13).
///
/// Include it in a Catch2 test program and link `trap::catch2` (and
/// `Catch2::Catch2WithMain`, or define `CATCH_CONFIG_MAIN` in one file):
/// every test method (`r.stdout_is(...)`) becomes one Catch2 assertion at
/// the caller's file and line. A passing one counts as a passing assertion
/// (shown with `-s`); a failing one is a failure that carries trap's
/// diagnostics and lets the test case go on, like `CHECK`. A failing TODO
/// test is reported as Catch2's "FAILED - but was ok" (like `CHECK_NOFAIL`);
/// a skipped test is a warning ("skipped: why"), not an assertion.
/// trap::diag() is a warning (always shown) and trap::note() an info
/// message (shown with `-s`). A trap::subtest() shows its results one by
/// one and then its own result, which fails if any of them failed. An error
/// of trap's hub fails the running test case.
///
/// Catch2's own report goes past trap's captures: a `CHECK` that fails
/// inside trapped code is shown, not captured into the trap's `out()`
/// (the reporter's stream, when it is stdout, writes to what stdout was
/// before any capture). Catch2's `-o file` is left as it is. With the
/// JUnit or XML reporter, which capture std::cout themselves, a trap sees
/// no output from std::cout. A `CHECK` that fails inside a `fork` trap is
/// shown by the child and then fails the test case in the parent, as a
/// failure "in a forked child: ...".
///
/// A test method called outside a test case (no Catch2 run in progress)
/// is a hub error: it is printed as a `# trap:` line on stderr and makes
/// the exit status 255.
///
/// A `fork(exec)` trap re-runs the current test case alone: its name,
/// escaped, as the test spec, with the run's `--rng-seed`, so that its
/// sections and generators take the path they took in the first run.
///
/// This header defines `CATCH_CONFIG_EXTERNAL_INTERFACES` (for Catch2's
/// listener API): include it before, or instead of, `<catch2/catch.hpp>`.
///
/// Catch2 v3 is not supported. An adapter for it would include
/// `<catch2/catch_test_macros.hpp>`, `<catch2/reporters/catch_reporter_event_listener.hpp>`
/// and `<catch2/reporters/catch_reporter_registrars.hpp>`; report through
/// the same `Catch::AssertionHandler` (in v3 `handleMessage` takes the
/// message as `std::string&&`), map a skipped test to v3's
/// `ResultWas::ExplicitSkip`, derive the listener from
/// `Catch::EventListenerBase`, and point the reporters' `IStream` past the
/// captures (v3 writes to an `IStream`, chosen with `-o %stdout`).
///
/// From examples/12-catch2.cpp:
/// @snippet 12-catch2.cpp synopsis
#pragma once

#if defined(TWOBLUECUBES_SINGLE_INCLUDE_CATCH_HPP_INCLUDED) && \
    !defined(CATCH_CONFIG_EXTERNAL_INTERFACES)
#error "include <trap/catch2.hpp> before <catch2/catch.hpp>: it needs Catch2's listener API"
#endif
#ifndef CATCH_CONFIG_EXTERNAL_INTERFACES
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#endif

#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include <trap/detail/host_message.hpp>
#include <trap/detail/original_stream.hpp>
#include <trap/detail/reexec.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

namespace trap {

/// A Formatter that turns events into Catch2 assertions and messages.
class Catch2Formatter final : public Formatter {
 public:
  /// Reports @p event to the running Catch2 test case.
  /// @throws std::logic_error when no test case runs (a hub error).
  void write(const Event& event) override {
    using Catch::ResultWas;
    switch (event.kind) {
      case Event::Kind::ok:
        if (!event.skip.empty())
          return report(ResultWas::Warning, event.where, detail::skip_message(event));
        return report(event.pass ? ResultWas::Ok : ResultWas::ExplicitFailure, event.where,
                      detail::host_message(event), !event.todo.empty());
      case Event::Kind::diag:
        return report(ResultWas::Warning, event.where, event.name);
      case Event::Kind::note:
        return report(ResultWas::Info, event.where, event.name);
      case Event::Kind::bail:
        return report(ResultWas::ExplicitFailure, event.where, "Bail out! " + event.name);
      case Event::Kind::plan:
        return;
    }
  }

  /// Records an error of the hub as a failure of the running test case;
  /// returns false when no test case runs.
  bool hub_error(std::string_view message) override {
    if (!running()) return false;
    assert_that(Catch::ResultWas::ExplicitFailure, Catch::SourceLineInfo("trap hub", 0),
                "trap: " + std::string(message), false);
    return true;
  }

  /// Catch2 decides the exit status.
  bool host_framework() const override { return true; }

 private:
  static bool running() {
    Catch::IResultCapture* capture = Catch::getCurrentContext().getResultCapture();
    return capture && !capture->getCurrentTestName().empty();
  }
  static void report(Catch::ResultWas::OfType type, const trap::source_location& where,
                     const std::string& message, bool todo = false) {
    if (!running())
      throw std::logic_error("a test result was reported outside a Catch2 test case: " + message);
    assert_that(type, Catch::SourceLineInfo(where.file_name(), where.line()), message, todo);
  }
  // One assertion, as FAIL_CHECK / SUCCEED / WARN make it: never throws
  // (ContinueOnFailure), and a TODO failure does not fail the test case.
  static void assert_that(Catch::ResultWas::OfType type, const Catch::SourceLineInfo& where,
                          const std::string& message, bool todo) {
    auto flags = Catch::ResultDisposition::ContinueOnFailure;
    if (todo) flags = flags | Catch::ResultDisposition::SuppressFail;
    Catch::AssertionHandler handler("trap", where, Catch::StringRef(), flags);
    handler.handleMessage(type, message);
    handler.complete();
  }
};

/// A new Catch2Formatter.
inline std::unique_ptr<Formatter> make_catch2_formatter() {
  return std::make_unique<Catch2Formatter>();
}

namespace detail {
/// Installs the Catch2 formatter on the root hub when the program starts,
/// so including this header is all it takes.
inline const bool catch2_formatter_installed = (hub().format(make_catch2_formatter()), true);

/// A Catch2 listener that points the reporters' stream, when it is stdout
/// (Catch2's default), past trap's captures: a `CHECK` inside trapped code
/// is reported, not trapped. Made when the run starts, after Catch2 read
/// its options.
struct Catch2OutputPastCaptures final : Catch::TestEventListenerBase {
  /// Redirects @p config's stream.
  explicit Catch2OutputPastCaptures(const Catch::ReporterConfig& config)
      : TestEventListenerBase(config) {
    std::ostream& s = config.stream();
    if (s.rdbuf() == std::cout.rdbuf()) s.rdbuf(original_ostream(1).rdbuf());
  }
};
/// Registers Catch2OutputPastCaptures with Catch2.
inline const Catch::ListenerRegistrar<Catch2OutputPastCaptures> catch2_output_past_captures;

/// fork(exec): a trap re-runs the current test case alone in a new process
/// (its name as the test spec, with the run's random seed, so that its
/// sections and generators take the same path); trap counts fork(exec)
/// traps per test case, across the runs of its sections.
struct Catch2ForkExec final : Catch::TestEventListenerBase {
  /// Registers the way to re-run a test case.
  explicit Catch2ForkExec(const Catch::ReporterConfig& config) : TestEventListenerBase(config) {
    set_reexec_arguments(&arguments);
  }
  /// A test case begins: its fork(exec) traps are counted from 1.
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    TestEventListenerBase::testCaseStarting(info);
    new_test_started();
  }
  /// A failure made in a forked child (a `CHECK` inside a fork trap) goes
  /// to the parent, where it fails the test case that runs there: the
  /// child's own Catch2 run never reports.
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    const Catch::AssertionResult& a = stats.assertionResult;
    if (a.isOk() || !results_go_to_parent()) return false;
    std::string text = a.hasExpression() ? a.getExpressionInMacro() : std::string();
    if (a.hasExpandedExpression()) text += "\nwith expansion:\n  " + a.getExpandedExpression();
    if (a.hasMessage()) text += (text.empty() ? "" : "\n") + a.getMessage();
    for (const auto& info : stats.infoMessages) text += "\n" + info.message;
    const Catch::SourceLineInfo where = a.getSourceInfo();
    send_failure_to_parent("in a forked child: " + text, where.file, static_cast<int>(where.line));
    return false;
  }
  /// The arguments that run the current test case alone.
  static std::vector<std::string> arguments() {
    std::string spec;
    for (char c : Catch::getResultCapture().getCurrentTestName()) {
      if (std::string_view("\\,[]\"*~").find(c) != std::string_view::npos) spec += '\\';
      spec += c;
    }
    const auto seed = Catch::getCurrentContext().getConfig()->rngSeed();
    return {spec, "--rng-seed", std::to_string(seed)};
  }
};
/// Registers Catch2ForkExec with Catch2.
inline const Catch::ListenerRegistrar<Catch2ForkExec> catch2_fork_exec;
}  // namespace detail

}  // namespace trap
