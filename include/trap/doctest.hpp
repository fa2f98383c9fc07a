// SPDX-License-Identifier: BSL-1.0
/// @file
/// Reports trap's test methods as doctest assertions (doctest 2.4).
///
/// Include it in a doctest program and link `trap::doctest`: every test
/// method (`r.stdout_is(...)`) becomes one doctest assertion at the
/// caller's file and line. A passing one counts as a passing `CHECK`
/// (shown with `--success`); a failing one is an error that carries trap's
/// diagnostics and lets the test case go on, like `FAIL_CHECK`. A failing
/// TODO test and a skipped test ("skipped: why") are messages, like
/// `MESSAGE`, and count as no assertion; so is trap::diag(), and so is
/// trap::note() but only with `--success`. A trap::subtest() shows its
/// results one by one and then its own result, which fails if any of them
/// failed. An error of trap's hub fails the running test case.
///
/// doctest's own report must go past trap's captures for a `CHECK` that
/// fails inside trapped code to be shown rather than captured into the
/// trap's `out()`. doctest fixes its report's stream before any hook of
/// its runs, so the program's main sets it: define `TRAP_DOCTEST_MAIN`
/// instead of `DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN` in one file, before
/// including this header, or call trap::report_past_captures() on the
/// `doctest::Context` of your own main. With doctest's own main the report
/// is written to std::cout, which a trap captures. A `CHECK` that fails
/// inside a `fork` trap is shown by the child and then fails the test case
/// in the parent, as an error "in a forked child: ...".
///
/// A `fork(exec)` trap re-runs the current test case alone
/// (`--test-case=` and `--test-suite=` with its names, commas escaped).
///
/// From examples/13-doctest.cpp:
/// @snippet 13-doctest.cpp synopsis
#pragma once

#ifdef TRAP_DOCTEST_MAIN
#ifdef DOCTEST_LIBRARY_INCLUDED
#error "define TRAP_DOCTEST_MAIN and include <trap/doctest.hpp> before <doctest/doctest.h>"
#endif
#define DOCTEST_CONFIG_IMPLEMENT
#endif

#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <trap/detail/host_message.hpp>
#include <trap/detail/original_stream.hpp>
#include <trap/detail/reexec.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

namespace trap {

/// A Formatter that turns events into doctest assertions and messages.
class DoctestFormatter final : public Formatter {
 public:
  /// Reports @p event to the running doctest test case.
  /// @throws std::logic_error when doctest is not running (a hub error).
  void write(const Event& event) override {
    using doctest::assertType::is_check;
    using doctest::assertType::is_warn;
    switch (event.kind) {
      case Event::Kind::ok:
        if (!event.skip.empty()) return message(is_warn, event.where, detail::skip_message(event));
        if (event.pass) return pass(event.where, event.name);
        return message(event.todo.empty() ? is_check : is_warn, event.where,
                       detail::host_message(event));
      case Event::Kind::diag:
        return message(is_warn, event.where, event.name);
      case Event::Kind::note:  // shown with --success, like a passing check
        running(event.name);
        if (!doctest::getContextOptions()->success) return;
        return message(is_warn, event.where, event.name);
      case Event::Kind::bail:
        return message(is_check, event.where, "Bail out! " + event.name);
      case Event::Kind::plan:
        return;
    }
  }

  /// Records an error of the hub as a failure of the running test case;
  /// returns false when doctest is not running.
  bool hub_error(std::string_view text) override {
    if (!doctest::is_running_in_test) return false;
    log("trap hub", 0, doctest::assertType::is_check, "trap: " + std::string(text));
    return true;
  }

  /// doctest decides the exit status.
  bool host_framework() const override { return true; }

 private:
  static void running(const std::string& what) {
    if (!doctest::is_running_in_test)
      throw std::logic_error("a test result was reported outside a doctest run: " + what);
  }
  // A passing CHECK named after the test.
  static void pass(const trap::source_location& where, const std::string& name) {
    const std::string expr = name.empty() ? std::string("trap test") : name;
    running(expr);
    doctest::detail::ResultBuilder result(doctest::assertType::DT_CHECK, where.file_name(),
                                          static_cast<int>(where.line()), expr.c_str());
    result.m_failed = false;
    result.m_decomp = "passed";
    result.log();
  }
  // A message (is_warn) or a failure that lets the test go on (is_check).
  static void message(doctest::assertType::Enum severity, const trap::source_location& where,
                      const std::string& text) {
    running(text);
    log(where.file_name(), static_cast<int>(where.line()), severity, text);
  }
  static void log(const char* file, int line, doctest::assertType::Enum severity,
                  const std::string& text) {
    doctest::detail::MessageBuilder mb(file, line, severity);
    mb << doctest::String(text.c_str());
    mb.log();
    mb.react();
  }
};

/// A new DoctestFormatter.
inline std::unique_ptr<Formatter> make_doctest_formatter() {
  return std::make_unique<DoctestFormatter>();
}

/// Makes @p context write its report to what stdout was before any trap's
/// capture, so that a doctest assertion failing inside trapped code is
/// shown, not trapped; unless @p argv (the program's arguments, which
/// @p context was made with) sends the report to a file (`--out`) or
/// silences it (`--quiet`), in any of doctest's spellings.
/// @code{.cpp}
/// int main(int argc, char** argv) {
///   doctest::Context context(argc, argv);
///   trap::report_past_captures(context, argc, argv);
///   return context.run();
/// }
/// @endcode
inline void report_past_captures(doctest::Context& context, int argc, const char* const* argv) {
  static const std::regex elsewhere("--?(dt-)?(o|out|q|quiet)(=.*)?");
  for (int i = 1; i < argc; ++i)
    if (std::regex_match(argv[i], elsewhere)) return;
  context.setCout(&detail::original_ostream(1));
}

/// doctest's main with the report past trap's captures (see
/// trap::report_past_captures()); what `TRAP_DOCTEST_MAIN` runs.
inline int doctest_main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  report_past_captures(context, argc, argv);
  return context.run();
}

namespace detail {
/// Installs the doctest formatter on the root hub when the program starts,
/// so including this header is all it takes.
inline const bool doctest_formatter_installed = (hub().format(make_doctest_formatter()), true);

/// fork(exec): a trap re-runs the current test case alone in a new process
/// (`--test-case=` and `--test-suite=` with its names); trap counts
/// fork(exec) traps per test case, across the runs of its subcases.
class DoctestForkExec final : public doctest::IReporter {
 public:
  /// Registers the way to re-run a test case.
  explicit DoctestForkExec(const doctest::ContextOptions&) { set_reexec_arguments(&arguments); }
  /// A test case begins: its fork(exec) traps are counted from 1.
  void test_case_start(const doctest::TestCaseData& test) override {
    current() = {test.m_name, test.m_test_suite};
    new_test_started();
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  /// A failure made in a forked child (a `CHECK` inside a fork trap) goes
  /// to the parent, where it fails the test case that runs there: the
  /// child's own doctest run never reports.
  void log_assert(const doctest::AssertData& a) override {
    if (!a.m_failed || !results_go_to_parent()) return;
    std::string text = std::string("in a forked child: ") + doctest::assertString(a.m_at) + "( " +
                       a.m_expr + " ) is NOT correct!";
    if (a.m_threw)
      text += std::string("\n  threw exception: ") + a.m_exception.c_str();
    else
      text += std::string("\n  values: ") + doctest::assertString(a.m_at) + "( " +
              a.m_decomp.c_str() + " )";
    send_failure_to_parent(text, a.m_file, a.m_line);
  }
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

  /// The arguments that run the current test case alone.
  static std::vector<std::string> arguments() {
    const auto& [name, suite] = current();
    std::vector<std::string> args{"--test-case=" + escaped(name)};
    if (!suite.empty()) args.push_back("--test-suite=" + escaped(suite));
    return args;
  }

 private:
  // The running test case's name and suite.
  static std::pair<std::string, std::string>& current() {
    static std::pair<std::string, std::string> names;
    return names;
  }
  // @p name as a doctest filter that matches it: ',' and '\' escaped.
  static std::string escaped(const std::string& name) {
    std::string out;
    for (char c : name) {
      if (c == ',' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  }
};
/// Registers DoctestForkExec with doctest, as a listener.
inline const int doctest_fork_exec =
    doctest::registerReporter<DoctestForkExec>("trap-fork-exec", 0, false);
}  // namespace detail

}  // namespace trap

#ifdef TRAP_DOCTEST_MAIN
/// doctest's main, with its report past trap's captures.
int main(int argc, char** argv) { return trap::doctest_main(argc, argv); }
#endif
