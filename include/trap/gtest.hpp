// SPDX-License-Identifier: BSL-1.0
/// @file
/// Reports trap's test methods as GoogleTest assertions.
///
/// Include it in a GoogleTest program and link `trap::gtest`: every test
/// method (`r.stdout_is(...)`) becomes one GoogleTest assertion at the
/// caller's file and line (a non-fatal failure, like EXPECT_*), and a failure
/// carries trap's diagnostics. trap::diag() and trap::note() are printed as
/// `# ` lines past any capture, and so is the failure message of any
/// GoogleTest assertion (`EXPECT_EQ`...) that fails inside trapped code: it
/// is never captured into the trap's `out()`. Such a failure inside a
/// `fork` or `fork(exec)` trap, or a result a forked child reports, fails
/// the test that made the child, in the parent. A `fork(exec)` trap re-runs
/// the current test alone (`--gtest_filter=Suite.Name`, with the program's
/// arguments that are not GoogleTest's). From examples/05-gtest.cpp:
/// @snippet 05-gtest.cpp synopsis
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <trap/detail/host_message.hpp>
#include <trap/detail/original_stream.hpp>
#include <trap/detail/reexec.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

namespace trap {

/// A Formatter that turns events into GoogleTest assertions.
class GTestFormatter final : public Formatter {
 public:
  /// Reports @p event to GoogleTest (results) or prints it (messages).
  void write(const Event& event) override {
    switch (event.kind) {
      case Event::Kind::ok:
      case Event::Kind::bail: {
        std::string message = event.name.empty() ? std::string("trap test") : event.name;
        if (event.kind == Event::Kind::bail) message = "Bail out! " + message;
        for (const auto& d : event.diagnostics) message += "\n" + d;
        const auto type = event.kind == Event::Kind::bail ? testing::TestPartResult::kFatalFailure
                          : event.pass || !event.todo.empty()  // TODO: expected to fail
                              ? testing::TestPartResult::kSuccess
                              : testing::TestPartResult::kNonFatalFailure;
        testing::internal::AssertHelper(type, event.where.file_name(),
                                        static_cast<int>(event.where.line()), message.c_str()) =
            testing::Message();
        return;
      }
      case Event::Kind::diag:
      case Event::Kind::note: {
        std::ostream& os = detail::original_ostream(event.kind == Event::Kind::diag ? 2 : 1);
        const std::string pad(4 * event.nesting, ' ');
        std::string::size_type start = 0;
        while (start <= event.name.size()) {
          auto nl = event.name.find('\n', start);
          os << pad << "# " << event.name.substr(start, nl - start) << '\n';
          if (nl == std::string::npos) break;
          start = nl + 1;
        }
        os.flush();
        return;
      }
      case Event::Kind::plan:
        return;
    }
  }

  /// Records an error of the hub as a failure of the running test; returns
  /// false when no test runs.
  bool hub_error(std::string_view message) override {
    if (!testing::UnitTest::GetInstance()->current_test_info()) return false;
    const std::string text = "trap: " + std::string(message);
    testing::internal::AssertHelper(testing::TestPartResult::kNonFatalFailure, "trap hub", -1,
                                    text.c_str()) = testing::Message();
    return true;
  }

  /// GoogleTest decides the exit status.
  bool host_framework() const override { return true; }
};

/// A new GTestFormatter.
inline std::unique_ptr<Formatter> make_gtest_formatter() {
  return std::make_unique<GTestFormatter>();
}

namespace detail {
/// Installs the GoogleTest formatter on the root hub when the program
/// starts, so including this header is all it takes.
inline const bool gtest_formatter_installed = (hub().format(make_gtest_formatter()), true);

/// GoogleTest's result printer, with its failure messages written past
/// trap's captures: GoogleTest prints them on stdout, which a trap around
/// the failing code would otherwise capture. Everything else is the
/// printer's own.
class PrinterPastCaptures final : public testing::EmptyTestEventListener {
 public:
  /// Wraps @p printer, which this object then owns.
  explicit PrinterPastCaptures(testing::TestEventListener* printer) : printer_(printer) {}
  /// Prints a failure as GoogleTest does ("file:line: Failure" and the
  /// message), on the original stdout.
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (result.type() == testing::TestPartResult::kSuccess) return;
    if (result.failed() && results_go_to_parent()) return;  // the parent shows it
    std::ostream& os = original_ostream(1);
    os << testing::internal::FormatFileLocation(result.file_name(), result.line_number()) << ' '
       << (result.skipped() ? "Skipped\n" : "Failure\n") << result.message() << '\n';
    os.flush();
  }
  // The rest goes to the printer as it is.
  void OnTestProgramStart(const testing::UnitTest& u) override { printer_->OnTestProgramStart(u); }
  void OnTestIterationStart(const testing::UnitTest& u, int i) override {
    printer_->OnTestIterationStart(u, i);
  }
  void OnEnvironmentsSetUpStart(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsSetUpStart(u);
  }
  void OnEnvironmentsSetUpEnd(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsSetUpEnd(u);
  }
  void OnTestSuiteStart(const testing::TestSuite& s) override { printer_->OnTestSuiteStart(s); }
#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
  void OnTestCaseStart(const testing::TestCase& c) override { printer_->OnTestCaseStart(c); }
  void OnTestCaseEnd(const testing::TestCase& c) override { printer_->OnTestCaseEnd(c); }
#endif
  void OnTestStart(const testing::TestInfo& t) override { printer_->OnTestStart(t); }
  void OnTestDisabled(const testing::TestInfo& t) override { printer_->OnTestDisabled(t); }
  /// A test ends: the results its forked children sent are taken in
  /// first (Hub::cull()), so that they count in this test and show before
  /// its verdict.
  void OnTestEnd(const testing::TestInfo& t) override {
    hub().cull();
    printer_->OnTestEnd(t);
  }
  void OnTestSuiteEnd(const testing::TestSuite& s) override { printer_->OnTestSuiteEnd(s); }
  void OnEnvironmentsTearDownStart(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsTearDownStart(u);
  }
  void OnEnvironmentsTearDownEnd(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsTearDownEnd(u);
  }
  /// The run ends: results forked children sent after their test ended
  /// are taken in before the summary, and fail the run.
  void OnTestIterationEnd(const testing::UnitTest& u, int i) override {
    hub().cull();
    printer_->OnTestIterationEnd(u, i);
  }
  void OnTestProgramEnd(const testing::UnitTest& u) override { printer_->OnTestProgramEnd(u); }

 private:
  std::unique_ptr<testing::TestEventListener> printer_;
};

/// Puts PrinterPastCaptures in place of GoogleTest's result printer. An
/// environment, so that it runs after GoogleTest read its flags (which may
/// choose another printer) and outside its listener loops.
class PrinterSwap final : public testing::Environment {
 public:
  /// Swaps the printers, once.
  void SetUp() override {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    testing::TestEventListener* printer = listeners.default_result_printer();
    if (!printer) return;  // swapped already, or the program removed it
    listeners.Release(printer);
    listeners.Append(new PrinterPastCaptures(printer));
  }
};
/// Registers PrinterSwap with GoogleTest.
inline testing::Environment* const gtest_printer_swap =
    testing::AddGlobalTestEnvironment(new PrinterSwap);

/// fork(exec): a trap re-runs the current test alone in a new process
/// (`--gtest_filter=Suite.Name`), with the program's own arguments (those
/// not GoogleTest's); trap counts fork(exec) traps per test.
class GTestForkExec final : public testing::EmptyTestEventListener {
 public:
  GTestForkExec() { set_reexec_arguments(&arguments); }
  /// A test begins: its fork(exec) traps are counted from 1.
  void OnTestStart(const testing::TestInfo&) override { new_test_started(); }
  /// A failure made in a forked child (an `EXPECT_*` inside a fork trap)
  /// goes to the parent, where it fails the test that runs there: the
  /// child's own GoogleTest never reports.
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (result.failed())
      send_failure_to_parent(result.message(), result.file_name(), result.line_number());
  }
  /// A test ends: its forked children's results are taken in, in this test
  /// (PrinterPastCaptures does it first when GoogleTest's printer is on).
  void OnTestEnd(const testing::TestInfo&) override { hub().cull(); }
  /// The run ends: late results of forked children fail the run.
  void OnTestIterationEnd(const testing::UnitTest&, int) override { hub().cull(); }
  /// The arguments that run the current test alone.
  static std::vector<std::string> arguments() {
    std::vector<std::string> args = program_arguments();
    std::erase_if(args, [](const std::string& a) {
      return a.rfind("--gtest_", 0) == 0 || a.rfind("-gtest_", 0) == 0;
    });
    const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
    args.push_back(std::string("--gtest_filter=") + test->test_suite_name() + "." + test->name());
    // A disabled test runs only when asked to be (and was, to get here).
    if (GTEST_FLAG_GET(also_run_disabled_tests))
      args.emplace_back("--gtest_also_run_disabled_tests");
    return args;
  }
};
/// Registers GTestForkExec with GoogleTest.
inline const bool gtest_fork_exec_installed =
    (testing::UnitTest::GetInstance()->listeners().Append(new GTestForkExec), true);
}  // namespace detail

}  // namespace trap
