// SPDX-License-Identifier: BSL-1.0
/// @file
/// Reports trap's test methods as Boost.Test assertions.
///
/// Include it in a Boost.Test program (after defining BOOST_TEST_MODULE where
/// you do) and link `trap::boost_test`: every test method (`r.stdout_is(...)`)
/// becomes one Boost.Test check at the caller's file and line, and a failure
/// carries trap's diagnostics. trap::diag() and trap::note() become log
/// messages. A `BOOST_CHECK` that fails inside a `fork` trap is logged by
/// the child and then fails the test case in the parent. From
/// examples/04-boost-test.cpp:
/// @snippet 04-boost-test.cpp synopsis
#pragma once

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/tree/global_fixture.hpp>
#include <boost/test/unit_test.hpp>
#include <boost/test/unit_test_parameters.hpp>

#include <trap/detail/host_message.hpp>
#include <trap/detail/original_stream.hpp>
#include <trap/detail/reexec.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

namespace trap {

/// A Formatter that turns events into Boost.Test assertions and log messages.
class BoostTestFormatter final : public Formatter {
 public:
  /// Reports @p event to Boost.Test's framework and log.
  void write(const Event& event) override {
    namespace tt = boost::test_tools::tt_detail;
    const boost::unit_test::const_string file(event.where.file_name());
    const std::size_t line = event.where.line();
    switch (event.kind) {
      case Event::Kind::ok: {
        // A TODO test's failure is expected: it passes, with a note.
        boost::test_tools::assertion_result result(event.pass || !event.todo.empty());
        if (!event.pass && !event.todo.empty()) result.message() << " (TODO: " << event.todo << ")";
        for (const auto& d : event.diagnostics) result.message() << "\n" << d;
        const std::string what = event.name.empty() ? std::string("trap test") : event.name;
        tt::report_assertion(result, BOOST_TEST_LAZY_MSG(what), file, line, tt::CHECK,
                             tt::CHECK_MSG, 0);
        return;
      }
      case Event::Kind::diag:
      case Event::Kind::note:
        boost::unit_test::unit_test_log << boost::unit_test::log::begin(file, line)
                                        << boost::unit_test::log_messages << event.name
                                        << boost::unit_test::log::end();
        return;
      case Event::Kind::bail: {
        boost::test_tools::assertion_result result(false);
        tt::report_assertion(result, BOOST_TEST_LAZY_MSG("Bail out! " << event.name), file, line,
                             tt::REQUIRE, tt::CHECK_MSG, 0);
        return;
      }
      case Event::Kind::plan:
        return;
    }
  }

  /// Records an error of the hub as a failed check of the running test
  /// case; returns false when no test case runs.
  bool hub_error(std::string_view message) override {
    if (!boost::unit_test::framework::test_in_progress()) return false;
    namespace tt = boost::test_tools::tt_detail;
    tt::report_assertion(
        boost::test_tools::assertion_result(false), BOOST_TEST_LAZY_MSG("trap: " << message),
        boost::unit_test::const_string("trap hub"), 0, tt::CHECK, tt::CHECK_MSG, 0);
    return true;
  }

  /// Boost.Test decides the exit status.
  bool host_framework() const override { return true; }
};

/// A new BoostTestFormatter.
inline std::unique_ptr<Formatter> make_boost_test_formatter() {
  return std::make_unique<BoostTestFormatter>();
}

namespace detail {
/// Installs the Boost.Test formatter on the root hub when the program
/// starts, so including this header is all it takes.
inline const bool boost_test_formatter_installed =
    (hub().format(make_boost_test_formatter()), true);

/// Points Boost.Test's log, when it goes to stdout or stderr (the default),
/// past trap's captures: a BOOST_TEST inside trapped code is reported, not
/// trapped. Runs when testing starts, after Boost.Test read its options.
struct BoostLogPastCaptures {
  BoostLogPastCaptures() {
    using boost::unit_test::output_format;
    auto& log = boost::unit_test::unit_test_log;
    for (output_format f : {boost::unit_test::OF_CLF, boost::unit_test::OF_XML,
                            boost::unit_test::OF_JUNIT, boost::unit_test::OF_CUSTOM_LOGGER}) {
      std::ostream* s = log.get_stream(f);
      if (s == &std::cout) log.set_stream(f, original_ostream(1));
      if (s == &std::cerr) log.set_stream(f, original_ostream(2));
    }
  }
};
/// Registers BoostLogPastCaptures with Boost.Test.
inline const boost::unit_test::ut_detail::global_configuration_impl<BoostLogPastCaptures>
    boost_log_past_captures;

// fork(exec): a trap re-runs the current test alone, with Boost.Test
// silent, in a new process, with the program's own arguments (those after
// "--", which Boost.Test leaves to the master test suite); trap counts
// fork(exec) traps per test case.
struct BoostForkExec : boost::unit_test::global_configuration {
  BoostForkExec() { set_reexec_arguments(&arguments); }
  void test_unit_start(const boost::unit_test::test_unit& unit) override {
    if (unit.p_type == boost::unit_test::TUT_CASE) new_test_started();
  }
  // A check that fails in a forked child (a BOOST_CHECK inside a fork
  // trap) goes to the parent, where it fails the test case that runs
  // there: the child's own run never reports. Boost.Test tells an observer
  // no more than that it failed; the child's log shows which, above.
  void assertion_result(boost::unit_test::assertion_result result) override {
    if (result == boost::unit_test::AR_FAILED && results_go_to_parent())
      send_failure_to_parent(
          "in a forked child: a Boost.Test check failed (the child's log above says which)", "", 0);
  }
  static std::vector<std::string> arguments() {
    const auto& test = boost::unit_test::framework::current_test_case();
    std::vector<std::string> args{"--run_test=" + test.full_name(), "--log_level=nothing",
                                  "--report_level=no", "--catch_system_errors=no",
                                  "--color_output=no"};
    const auto& master = boost::unit_test::framework::master_test_suite();
    if (master.argc > 1) {
      args.emplace_back("--");
      for (int i = 1; i < master.argc; ++i) args.emplace_back(master.argv[i]);
    }
    return args;
  }
};
inline BoostForkExec boost_fork_exec;
}  // namespace detail

}  // namespace trap
