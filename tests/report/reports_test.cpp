// SPDX-License-Identifier: BSL-1.0
// What any string becomes in a report: TAP lines that keep their count and
// directive, YAML scalars, XML text, and the JUnit file's counts. The real
// consumers (prove, PyYAML, xmllint, junitparser) read the same output in
// the report_reports_* tests.
#define BOOST_TEST_MODULE reports
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/hub.hpp>
#include <trap/junit.hpp>

#include "engine/state.hpp"
#include "report/report_text.hpp"
#include "support/test_support.hpp"

using namespace std::string_literals;
namespace d = trap::detail;

namespace {

trap::Event result(bool pass, std::string name) {
  trap::Event e;
  e.pass = pass;
  e.name = std::move(name);
  return e;
}

// What the TAP formatter writes for @p events: stdout, then stderr.
test_support::ChildResult tap_of(std::vector<trap::Event> events) {
  return test_support::in_child([&] {
    auto tap = trap::make_tap_formatter();
    std::size_t n = 0;
    for (auto& e : events) {
      if (e.kind == trap::Event::Kind::ok) e.number = ++n;
      tap->write(e);
    }
  });
}

bool valid_utf8(const std::string& text) {
  for (std::size_t at = 0; at < text.size();) {
    std::size_t n = d::utf8_length(text, at);
    if (n == 0) return false;
    at += n;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tap)

BOOST_AUTO_TEST_CASE(a_newline_in_a_name_continues_as_a_comment) {
  auto child = tap_of({result(true, "a\nb # c"), result(true, "ends\n"), result(true, "x\r\ny")});
  BOOST_TEST(child.out == "ok 1 - a\n# b # c\nok 2 - ends\nok 3 - x\n# y\n");
}

BOOST_AUTO_TEST_CASE(a_hash_in_a_name_never_starts_a_directive) {
  auto child = tap_of({result(true, "# TODO no"), result(true, "a \\# SKIP no"),
                       result(true, "trailing \\"), result(true, "plain \\ back")});
  BOOST_TEST(child.out ==
             "ok 1 - \\# TODO no\n"
             "ok 2 - a \\\\\\# SKIP no\n"
             "ok 3 - trailing \\\\\n"
             "ok 4 - plain \\ back\n");
}

BOOST_AUTO_TEST_CASE(a_todo_whose_name_has_a_newline_is_still_a_todo) {
  trap::Event e = result(false, "first\nnot ok 5 - second");
  e.todo = "why\nok 6";
  auto child = tap_of({e});
  BOOST_TEST(child.out ==
             "not ok 1 - first # TODO why\n"
             "# not ok 5 - second\n"
             "# ok 6\n"
             "#   Failed (TODO) test 'first\n"
             "# not ok 5 - second'\n"
             "#   at  line 0.\n");
}

BOOST_AUTO_TEST_CASE(a_skip_reason_with_a_newline_keeps_the_directive) {
  trap::Event e = result(true, "");
  e.skip = "no network\nnot ok 2";
  auto child = tap_of({e});
  BOOST_TEST(child.out == "ok 1 # skip no network\n# not ok 2\n");
}

BOOST_AUTO_TEST_CASE(control_characters_and_invalid_utf8_are_shown_as_hex) {
  trap::Event e = result(false, "nul \0 cr \r bad \xff ok \xc3\xa9 tab \t."s);
  e.diagnostics = {"diag \0 \x1b \xc3"s};
  auto child = tap_of({e});
  BOOST_TEST(child.out == "not ok 1 - nul \\x00 cr \\x0D bad \\xFF ok \xc3\xa9 tab \t.\n");
  BOOST_TEST(child.err ==
             "#   Failed test 'nul \\x00 cr \\x0D bad \\xFF ok \xc3\xa9 tab \t.'\n"
             "#   at  line 0.\n"
             "# diag \\x00 \\x1B \\xC3\n");
}

BOOST_AUTO_TEST_CASE(plan_bail_and_messages_keep_their_line) {
  trap::Event plan;
  plan.kind = trap::Event::Kind::plan;
  plan.name = "SKIP no\nnot ok 1";
  trap::Event bail;
  bail.kind = trap::Event::Kind::bail;
  bail.name = "stop\n1..9";
  trap::Event note;
  note.kind = trap::Event::Kind::note;
  note.name = "n\nok 1\n\n\xfe";
  auto child = tap_of({plan, note, bail});
  BOOST_TEST(child.out ==
             "1..0 # SKIP no\n# not ok 1\n"
             "# n\n# ok 1\n#\n# \\xFE\n"
             "Bail out!  stop\n# 1..9\n");
}

BOOST_AUTO_TEST_CASE(tap14_puts_the_yaml_block_right_under_the_test_line) {
  auto child = test_support::in_child([] {
    auto tap = trap::make_tap14_formatter();
    trap::Event e = result(false, "two\nlines");
    e.number = 1;
    e.diagnostics = {"  got: x", "", "key: v", "\xff"};
    tap->write(e);
  });
  BOOST_TEST(child.out ==
             "TAP version 13\n"
             "not ok 1 - two\n"
             "  ---\n"
             "  message: \"two\\nlines\"\n"
             "  severity: fail\n"
             "  at:\n"
             "    file: \"\"\n"
             "    line: 0\n"
             "  diagnostics:\n"
             "    - \"  got: x\"\n"
             "    - \"\"\n"
             "    - \"key:\\x20v\"\n"
             "    - \"\\xFF\"\n"
             "  ...\n"
             "# lines\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(utf8_length_rejects_what_is_not_utf8) {
  BOOST_TEST(d::utf8_length("a", 0) == 1u);
  BOOST_TEST(d::utf8_length("\xc3\xa9", 0) == 2u);
  BOOST_TEST(d::utf8_length("\xf0\x9f\x98\x80", 0) == 4u);
  BOOST_TEST(d::utf8_length("\xc0\x80", 0) == 0u);          // overlong
  BOOST_TEST(d::utf8_length("\xe0\x80\x80", 0) == 0u);      // overlong
  BOOST_TEST(d::utf8_length("\xed\xa0\x80", 0) == 0u);      // surrogate
  BOOST_TEST(d::utf8_length("\xf4\x90\x80\x80", 0) == 0u);  // past U+10FFFF
  BOOST_TEST(d::utf8_length("\xe2\x82", 0) == 0u);          // truncated
  BOOST_TEST(d::utf8_length("\x80", 0) == 0u);              // continuation
}

BOOST_AUTO_TEST_CASE(yaml_scalars_escape_what_yaml_cannot_hold) {
  BOOST_TEST(d::yaml_quoted("a\"b\\c\n\t\r") == "\"a\\\"b\\\\c\\n\\t\\r\"");
  BOOST_TEST(d::yaml_quoted("\0\x7f\xff"s) == "\"\\x00\\x7F\\xFF\"");
  BOOST_TEST(d::yaml_quoted("\xc2\x85 \xef\xbf\xbe \xc3\xa9") ==
             "\"\\xC2\\x85 \\xEF\\xBF\\xBE \xc3\xa9\"");
}

BOOST_AUTO_TEST_CASE(yaml_pieces_cut_a_long_text_between_escapes_and_characters) {
  BOOST_TEST(d::yaml_pieces("short") == std::vector<std::string>{"\"short\""});
  BOOST_TEST(d::yaml_pieces("") == std::vector<std::string>{"\"\""});
  // "\xFF" and "é" are never cut; each piece is a sequence item of its own.
  BOOST_TEST((d::yaml_pieces("ab\xff\xc3\xa9 key: c", 6) ==
              std::vector<std::string>{"\"ab\\xFF\"", "\"\xc3\xa9 key\"", "\":\\x20c\""}));
  BOOST_TEST((d::yaml_pieces("xkey: value", 7) ==
              std::vector<std::string>{"\"xkey:\\x20v\"", "\"alue\""}));
  std::string joined;
  for (auto& p : d::yaml_pieces(std::string(20000, 'x') + "\n", 8192)) {
    BOOST_TEST(p.size() <= 8192 + 2);
    joined += p.substr(1, p.size() - 2);
  }
  BOOST_TEST(joined == std::string(20000, 'x') + "\\n");
}

BOOST_AUTO_TEST_CASE(yaml_sequence_items_never_read_as_mappings_in_yamlish) {
  BOOST_TEST(d::yaml_sequence_item("key: value") == "\"key:\\x20value\"");
  BOOST_TEST(d::yaml_sequence_item("key : value") == "\"key :\\x20value\"");
  BOOST_TEST(d::yaml_sequence_item("  key: value") == "\"  key: value\"");
  BOOST_TEST(d::yaml_sequence_item("a b: c") == "\"a b: c\"");
  BOOST_TEST(d::yaml_sequence_item("a :b") == "\"a :b\"");
  BOOST_TEST(d::yaml_sequence_item("word:") == "\"word:\"");
}

BOOST_AUTO_TEST_CASE(xml_text_is_always_well_formed) {
  BOOST_TEST(d::xml_text("<a & 'b' \"c\">") == "&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;");
  BOOST_TEST(d::xml_text("\0\x1b\xff\xef\xbf\xbe \xc3\xa9"s) ==
             "\\x00\\x1B\\xFF\\xEF\\xBF\\xBE \xc3\xa9");
  BOOST_TEST(d::xml_text("a\nb\tc\rd") == "a\nb\tc&#13;d");
  BOOST_TEST(d::xml_text("a\nb\tc", true) == "a&#10;b&#9;c");
}

BOOST_AUTO_TEST_CASE(escape_shows_bytes_that_are_not_utf8) {
  BOOST_TEST(d::escape("\xc3\xa9\xff\xc3") == "\xc3\xa9\\xFF\\xC3");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(junit)

std::string written(const std::function<void(trap::Hub&)>& send) {
  const std::string path = "/tmp/trap-reports-" + std::to_string(::getpid()) + ".xml";
  {
    trap::Hub h(nullptr);
    trap::junit_report(h, path);
    send(h);
    h.finish();
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  ::unlink(path.c_str());
  return s.str();
}

BOOST_AUTO_TEST_CASE(counts_are_taps_and_skips_and_todos_are_not_failures) {
  const std::string xml = written([](trap::Hub& h) {
    h.send(result(true, "passes"));
    trap::Event todo = result(false, "later");
    todo.todo = "not written";
    todo.diagnostics = {"got: 1"};
    h.send(todo);
    trap::Event skip = result(true, "");
    skip.skip = "no network";
    h.send(skip);
    h.send(result(false, "fails"));
  });
  BOOST_TEST(
      xml.find("<testsuites tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"") !=
          std::string::npos,
      xml);
  BOOST_TEST(xml.find("<skipped message=\"no network\"/>") != std::string::npos, xml);
  BOOST_TEST(xml.find("name=\"later\"") != std::string::npos, xml);
  BOOST_TEST(
      xml.find("<system-out>TODO failed: not written\ngot: 1\n</system-out>") != std::string::npos,
      xml);
  BOOST_TEST(xml.find("<failure message=\"fails\">") != std::string::npos, xml);
  BOOST_TEST(xml.find("<failure message=\"later\"") == std::string::npos, xml);
  BOOST_TEST(xml.find(" timestamp=\"") != std::string::npos, xml);
  BOOST_TEST(xml.find(" hostname=\"") != std::string::npos, xml);
}

BOOST_AUTO_TEST_CASE(a_failing_subtest_names_its_failing_tests) {
  const std::string xml = written([](trap::Hub& h) {
    trap::Event sub = result(false, "group");
    trap::Event inner = result(false, "inner");
    inner.number = 2;
    inner.diagnostics = {"why"};
    sub.subevents = {result(true, "fine"), inner};
    h.send(sub);
  });
  BOOST_TEST(xml.find("<failure message=\"group (failed: inner)\">not ok 2 - inner\n    why\n"
                      "</failure>") != std::string::npos,
             xml);
}

BOOST_AUTO_TEST_CASE(any_bytes_leave_the_file_valid_utf8) {
  const std::string xml = written([](trap::Hub& h) {
    trap::Event e = result(false, "bad \xff\xfe\0 name"s);
    e.diagnostics = {"\x01\xc3 \xed\xa0\x80"};
    h.send(e);
  });
  BOOST_TEST(valid_utf8(xml));
  BOOST_TEST(xml.find("name=\"bad \\xFF\\xFE\\x00 name\"") != std::string::npos, xml);
  BOOST_TEST(xml.find("\\x01\\xC3 \\xED\\xA0\\x80") != std::string::npos, xml);
}

BOOST_AUTO_TEST_SUITE_END()
