// SPDX-License-Identifier: BSL-1.0
// What the formatters write: TAP's plans, skips and TODOs, TAP 14's YAML
// blocks, and the JUnit report beside any formatter. Whole programs' output
// is pinned by the golden files (tests/report/golden/).
#define BOOST_TEST_MODULE formatters
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

namespace {

using test_support::CountingFormatter;
using test_support::ok;

// Replaces this file's path with "FILE", so the pinned text does not depend
// on where the tree is checked out. Line numbers are kept: the expected
// text names them, so a wrong `line: N` fails.
std::string normalised(std::string text) {
  const std::string file = __FILE__;
  for (std::size_t at; (at = text.find(file)) != std::string::npos;)
    text.replace(at, file.size(), "FILE");
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tap_says_when_the_plan_was_not_met) {
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    trap::hub().plan(2);
    trap::hub().send(ok(true, "only one"));
    std::exit(trap::done_testing());
  });
  BOOST_TEST(child.exited(255));
  BOOST_TEST(child.out == "1..2\nok 1 - only one\n");
  BOOST_TEST(child.err == "# Looks like you planned 2 tests but ran 1.\n");
}

BOOST_AUTO_TEST_CASE(skip_plan_in_tap) {
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    trap::hub().plan("SKIP");
    std::exit(trap::done_testing());
  });
  BOOST_TEST(child.out == "1..0 # SKIP\n");
}

BOOST_AUTO_TEST_CASE(skip_and_todo_in_tap) {
  constexpr unsigned kTodoLine = __LINE__ + 7;  // the line of return_is below
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    auto r = trap::trap([] { return 1; });
    r.did_return("runs");
    trap::skip("no network here", 2);
    trap::todo("not written yet", [&] {
      r.return_is(2, "future behaviour");
      static_assert(__LINE__ == kTodoLine + 1);
      r.did_return("already works");
    });
    std::exit(trap::done_testing());
  });
  BOOST_TEST(child.exited(0));  // the TODO failure does not count
  BOOST_TEST(child.out ==
             "ok 1 - runs\n"
             "ok 2 # skip no network here\n"
             "ok 3 # skip no network here\n"
             "not ok 4 - future behaviour # TODO not written yet\n"
             "#   Failed (TODO) test 'future behaviour'\n"
             "#   at " +
                 std::string(__FILE__) + " line " + std::to_string(kTodoLine) +
                 ".\n"
                 "#          got: 1\n"
                 "#     expected: 2\n"
                 "ok 5 - already works # TODO not written yet\n"
                 "1..5\n");
  BOOST_TEST(child.err == "");
}

BOOST_AUTO_TEST_CASE(tap14_puts_failures_in_yaml_blocks) {
  constexpr unsigned kLine = __LINE__ + 7;
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap14_formatter());
    auto r = trap::trap([] {
      std::cout << "y";
      return 1;
    });
    r.stdout_is("x", "stdout is x");
    static_assert(__LINE__ == kLine + 1);
    trap::subtest("sub", [&] { r.did_return("returned"); });
    std::exit(trap::done_testing());
  });
  BOOST_TEST(child.exited(1));
  BOOST_TEST(normalised(child.out) ==
             "TAP version 13\n"
             "not ok 1 - stdout is x\n"
             "  ---\n"
             "  message: \"stdout is x\"\n"
             "  severity: fail\n"
             "  at:\n"
             "    file: \"FILE\"\n"
             "    line: " +
                 std::to_string(kLine) +
                 "\n"
                 "  diagnostics:\n"
                 "    - \"         got: \\\"y\\\"\"\n"
                 "    - \"    expected: \\\"x\\\"\"\n"
                 "  ...\n"
                 "# Subtest: sub\n"
                 "    ok 1 - returned\n"
                 "    1..1\n"
                 "ok 2 - sub\n"
                 "1..2\n");
}

BOOST_AUTO_TEST_SUITE(junit)

std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

BOOST_AUTO_TEST_CASE(writes_results_as_junit_xml_beside_the_formatter) {
  const std::string path = "/tmp/trap-junit-" + std::to_string(::getpid()) + ".xml";
  int formatted = 0;
  trap::Hub h(std::make_unique<CountingFormatter>(formatted));
  trap::junit_report(h, path, "my <suite>");
  h.send(ok(true, "passes"));
  trap::Event bad = ok(false, "fails & \"quotes\"");
  bad.diagnostics = {"         got: \"a\\x01\"", "    expected: <b>"};
  h.send(bad);
  trap::Event note;
  note.kind = trap::Event::Kind::note;
  note.name = "not a result";
  h.send(note);
  h.finish();
  BOOST_TEST(formatted == 3);  // the formatter saw everything too
  const std::string xml = slurp_file(path);
  ::unlink(path.c_str());
  BOOST_TEST(xml.find("<testsuites tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\"") !=
                 std::string::npos,
             xml);
  BOOST_TEST(xml.find("<testsuite name=\"my &lt;suite&gt;\" tests=\"2\" failures=\"1\" "
                      "errors=\"0\" skipped=\"0\"") != std::string::npos,
             xml);
  BOOST_TEST(xml.find("name=\"passes\"") != std::string::npos);
  BOOST_TEST(xml.find("<failure message=\"fails &amp; &quot;quotes&quot;\">") != std::string::npos,
             xml);
  BOOST_TEST(xml.find("expected: &lt;b&gt;") != std::string::npos, xml);
  BOOST_TEST(xml.find("not a result") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unwritable_report_is_reported) {
  auto child = test_support::in_child([] {
    trap::Hub h(nullptr);
    trap::junit_report(h, "/nonexistent/dir/results.xml");
    h.send(ok(true, "x"));
    h.finish();
    std::printf("failed=%zu\n", h.failed());
    std::fflush(stdout);
    std::_Exit(0);
  });
  BOOST_TEST(child.out == "failed=1\n");
  BOOST_TEST(child.err ==
             "# trap: a follow-up threw: cannot write the JUnit report to "
             "\"/nonexistent/dir/results.xml\": No such file or directory\n");
  BOOST_CHECK_THROW(trap::junit_report(trap::hub(), ""), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
