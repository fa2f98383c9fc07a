// SPDX-License-Identifier: BSL-1.0
// A program whose JUnit report would hold texts of tens of MiB: a failure's
// diagnostics, a TODO's output, a skip reason and a test name.
// check_huge_junit.py runs it and reads the report with xmllint and
// junitparser, which reject a text past 10 MB.
//
// Usage: huge_reports_program --junit FILE
#include <cstring>
#include <string>

#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/trap.hpp>

namespace {

// "a" then "é" (two bytes) repeated: a cut at 1 MiB falls inside a character.
std::string huge_text(std::size_t mib) {
  std::string text = "a";
  while (text.size() < (mib << 20)) text += "\xc3\xa9";
  return text;
}

trap::Event result(bool pass, std::string name) {
  trap::Event e;
  e.pass = pass;
  e.name = std::move(name);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--junit") == 0) trap::junit_report(trap::hub(), argv[i + 1]);
  trap::Event failure = result(false, "huge diagnostics");
  failure.diagnostics = {huge_text(30)};
  trap::current_hub().send(failure);
  trap::todo("huge output", [] {
    trap::Event e = result(false, "todo");
    e.diagnostics = {huge_text(30)};
    trap::current_hub().send(e);
  });
  trap::skip(huge_text(12));
  trap::current_hub().send(result(false, huge_text(12)));
  return trap::done_testing();
}
