// SPDX-License-Identifier: BSL-1.0
// A deliberately failing TAP program whose names, reasons, diagnostics and
// values hold everything that could break a report: newlines, "#", "not
// ok", "# TODO", NUL, control characters, invalid UTF-8, YAML syntax. It
// makes every test method fail once. check_reports.py runs it and feeds
// its TAP to prove, its YAML blocks to PyYAML and YAMLish, and its JUnit
// file to xmllint and junitparser.
//
// Usage: hostile_reports_program [--tap14] [--junit FILE]
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/trap.hpp>

using namespace std::string_literals;

namespace {

// Lines that break a naive YAML block or TAP line, binary ones included.
const std::vector<std::string> kHostileLines = {
    "   leading spaces",
    "",
    "key: value",
    "- looks like an item",
    "colon after : space",
    "# a comment?",
    "ends with spaces   ",
    "\ttab\tinside",
    "--- and ...",
    "...",
    "quote \" and backslash \\ and \\n",
    "NUL \0 BEL \a ESC \x1b DEL \x7f"s,
    "CR \r alone",
    "invalid UTF-8 \xff\xfe \xc3 \xed\xa0\x80",
    "valid UTF-8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
    "not ok 99 - fake # TODO fake",
    "{flow: [mapping]} & *alias !tag %directive @at `tick`",
    "'single quoted'",
    "\"",
};

const std::string kHostileName = "name\nnot ok 42 - fake\n# TODO fake\r\nwith \\# and \0 and \xff"s;

// Lines longer than one YAMLish scalar may be (65,533 characters): a report
// writes them in pieces, whose joins fall on escapes, UTF-8 characters and
// "word: " (which YAMLish would take for a mapping at the start of a piece).
std::vector<std::string> long_lines() {
  std::string mixed;
  while (mixed.size() < 150 * 1024)
    mixed += "key: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\ \" \xff\x01\n";
  return {std::string(70000, 'x'), mixed};
}

std::vector<std::string> round_trip_lines() {
  std::vector<std::string> lines = kHostileLines;
  for (auto& line : long_lines()) lines.push_back(line);
  return lines;
}

std::string hex(const std::string& bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

// What check_reports.py and tap_check.pl compare the next YAML block with.
void announce_round_trip(const std::string& message, const std::vector<std::string>& lines) {
  std::string list;
  for (std::size_t i = 0; i < lines.size(); ++i) list += (i ? "," : "") + hex(lines[i]);
  trap::note("round-trip message: " + hex(message));
  trap::note("round-trip diagnostics: " + list);
}

trap::Event result(bool pass, std::string name) {
  trap::Event e;
  e.pass = pass;
  e.name = std::move(name);
  return e;
}

void hostile_strings() {
  trap::current_hub().send(result(true, "a\nb # c"));
  trap::current_hub().send(result(true, "# TODO not a todo"));
  trap::current_hub().send(result(true, "ends with a backslash \\"));
  trap::current_hub().send(result(true, "backslash then hash \\# SKIP not a skip"));
  trap::current_hub().send(result(true, "NUL \0 and invalid \xff\xfe and CR \r end"s));
  trap::current_hub().send(result(true, "trailing newline\n"));
  trap::current_hub().send(result(false, "fails\nnot ok 7 - fake\n1..1"));
  trap::todo("reason\nnot ok 8 - fake", [] {
    trap::current_hub().send(result(false, "todo with a\nnewline in its name"));
    trap::current_hub().send(result(true, "todo that passes\r\nok 9"));
  });
  trap::skip("skip reason\nnot ok 10 - fake # TODO fake");
  trap::skip("skip with NUL \0 and \xff"s);
  trap::diag("diag\nnot ok 11\n\0\xff"s);
  trap::note("note\nnot ok 12\n1..3");
  announce_round_trip(kHostileName, round_trip_lines());
  trap::Event e = result(false, kHostileName);
  e.diagnostics = round_trip_lines();
  trap::current_hub().send(e);
  trap::subtest("subtest\nwith # newline", [] {
    trap::current_hub().send(result(true, "inner\nnot ok 1"));
    trap::current_hub().send(result(false, "inner failure"));
    trap::subtest("deeper", [] { trap::current_hub().send(result(false, "deepest\nfailure")); });
  });
}

// Values that are multi-line and binary, so each method's diagnostics quote
// them.
trap::Trap hostile_trap(int how) {
  return trap::trap([how]() -> std::string {
    std::cout << "out line 1\n   out: indented\n\0\xff binary\n"s;
    std::cerr << "err # comment\nnot ok 1\n";
    std::clog << "warning: \xff\n";
    if (how == 1) throw std::runtime_error("died\nnot ok 2\n\xff");
    if (how == 2) std::exit(3);
    return "returned\n- item\n\xff";
  });
}

// Calls test method @p method by name, with the method's name as the test's.
template <class... Args>
void check(trap::Trap& t, const std::string& method, Args&&... args) {
  t.test(trap::MethodName(method), std::forward<Args>(args)..., method);
}

void every_method_fails() {
  auto r = hostile_trap(0), d = hostile_trap(1), x = hostile_trap(2);
  const std::string pattern = "^no( match)?: \\d+$";
  for (const std::string a : {"stdout", "stderr"}) {
    check(r, a + "_nok");
    check(r, a + "_is", "expected\n   other: text\n\0\x01 bytes\n"s);
    check(r, a + "_isnt", a == "stdout" ? r.out() : r.err());
    check(r, a + "_like", pattern);
    check(r, a + "_unlike", ".");
  }
  x.stdout_ok("stdout_ok on an exit");
  for (const std::string a : {"die", "exit", "return", "leaveby"}) {
    for (auto* t : {&r, &d, &x}) {
      check(*t, a + "_ok");
      // An exit code is a number: it is compared with a number only.
      if (a == "exit")
        check(*t, a + "_is", 42);
      else
        check(*t, a + "_is", "something\nelse \xfe");
      check(*t, a + "_like", pattern);
    }
    check(d, a + "_nok");
    check(d, a + "_isnt", a == "leaveby" ? "die" : a == "die" ? d.die() : "");
    check(d, a + "_unlike", ".");
  }
  r.die_isa<std::logic_error>("die_isa");
  d.die_isa<std::logic_error>("die_isa on a runtime_error");
  r.warn_ok(3, "warn_ok");
  r.warn_nok(0, "warn_nok");
  r.warn_is(0, "other\n", "warn_is");
  r.warn_isnt(0, "warning: \xff\n", "warn_isnt");
  r.warn_like(0, pattern, "warn_like");
  r.warn_unlike(0, ".", "warn_unlike");
  r.warn_is_deeply({trap::Value("a\nb"), trap::Value(2)}, "warn_is_deeply");
  d.did_return("did_return");
  r.did_die("did_die");
  r.did_exit("did_exit");
  r.quiet("quiet");
  r.did_signal("did_signal");
  r.signal_is(9, "signal_is");
  r.stdout_is(std::string(3000, 'x') + "\n" + std::string(3000, 'y') + "\n", "long is");
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tap14") == 0) trap::hub().format(trap::make_tap14_formatter());
    if (std::strcmp(argv[i], "--junit") == 0 && i + 1 < argc)
      trap::junit_report(trap::hub(), argv[++i]);
  }
  // What the stream must say: counted here from the events, not the output.
  std::size_t tests = 0, failed = 0, todo = 0, skipped = 0;
  trap::hub().listen([&](trap::Hub&, const trap::Event& e, std::size_t) {
    if (e.kind != trap::Event::Kind::ok || e.nesting != 0) return;
    ++tests;
    failed += !e.pass && e.todo.empty();
    todo += !e.todo.empty();
    skipped += !e.skip.empty();
  });
  hostile_strings();
  every_method_fails();
  trap::note("expected counts: tests=" + std::to_string(tests) +
             " failed=" + std::to_string(failed) + " todo=" + std::to_string(todo) +
             " skipped=" + std::to_string(skipped));
  return trap::done_testing();
}
