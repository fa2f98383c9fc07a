// The hub and the TAP formatter: numbering, counts, formatter swaps, and the
// exact TAP text (compared with tests/core/expected/).
#define BOOST_TEST_MODULE hub
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "test_support.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces this file's path with "FILE", so the pinned text does not
// depend on where the tree is checked out.
std::string normalised(std::string text) {
  const std::string file = __FILE__;
  for (std::size_t at; (at = text.find(file)) != std::string::npos;)
    text.replace(at, file.size(), "FILE");
  return text;
}

class Counter final : public trap::Formatter {
 public:
  explicit Counter(int& writes) : writes_(writes) {}
  void write(const trap::Event&) override { ++writes_; }

 private:
  int& writes_;
};

class Throwing final : public trap::Formatter {
 public:
  void write(const trap::Event&) override { throw std::runtime_error("formatter broke"); }
};

// The TAP session the pinned files show: run in a child whose stdout and
// stderr are files, with the root hub formatting TAP.
void tap_session() {
  trap::hub().format(trap::make_tap_formatter());
  auto r = trap::trap([] {
    std::cout << "y";
    return 1;
  });
  r.stdout_is("y", "stdout is y");
  r.stdout_is("x", "stdout is x");          // not ok 2
  r.did_exit();                             // not ok 3, unnamed
  r.return_is(1, "name with # hash");
  trap::diag("a diagnostic\nover two lines");
  trap::note("a note");
  // A test method inside an active capture still reports to the real stdout.
  auto outer = trap::trap([&] {
    std::cout << "captured";
    r.did_return("inside a capture");
  });
  outer.stdout_is("captured", "the capture saw only its own output");
  std::exit(trap::done_testing());
}

}  // namespace

BOOST_AUTO_TEST_CASE(tap_output_is_pinned) {
  auto child = test_support::in_child(tap_session);
  BOOST_TEST(child.exited(2));  // two failures
  const std::string dir = TRAP_EXPECTED_DIR;
  BOOST_TEST(child.out == read_file(dir + "/tap.out"));
  BOOST_TEST(normalised(child.err) == read_file(dir + "/tap.err"));
}

BOOST_AUTO_TEST_CASE(tap_is_accepted_by_prove_style_parsers) {
  // Every line of stdout is a TAP line: ok, not ok, a plan, or a comment.
  auto child = test_support::in_child(tap_session);
  std::istringstream lines(child.out);
  int plans = 0;
  for (std::string line; std::getline(lines, line);) {
    bool known = line.starts_with("ok ") || line.starts_with("not ok ") ||
                 line.starts_with("1..") || line.starts_with("#");
    BOOST_TEST(known, "line: " << line);
    plans += line.starts_with("1..");
  }
  BOOST_TEST(plans == 1);
}

BOOST_AUTO_TEST_CASE(format_returns_the_previous_formatter) {
  trap::Hub h(nullptr);
  int writes = 0;
  auto old = h.format(std::make_unique<Counter>(writes));
  BOOST_TEST(!old);
  trap::Event e;
  h.send(e);
  e.pass = false;
  h.send(e);
  BOOST_TEST(writes == 2);
  BOOST_TEST(h.count() == 2u);
  BOOST_TEST(h.failed() == 1u);
  BOOST_TEST(!h.is_passing());
  auto mine = h.format(nullptr);
  BOOST_TEST(static_cast<bool>(mine));
  h.send(e);  // no formatter: counted, not shown
  BOOST_TEST(writes == 2);
  BOOST_TEST(h.count() == 3u);
  h.reset_state();
  BOOST_TEST(h.count() == 0u);
  BOOST_TEST(h.is_passing());
}

BOOST_AUTO_TEST_CASE(a_throwing_formatter_loses_no_count) {
  trap::Hub h(std::make_unique<Throwing>());
  trap::Event e;
  e.pass = false;
  h.send(e);
  h.send(e);
  BOOST_TEST(h.failed() == 2u);
}

BOOST_AUTO_TEST_CASE(plan_twice_is_a_usage_error) {
  trap::Hub h(nullptr);
  h.plan(3);
  BOOST_CHECK_EXCEPTION(h.plan(4), trap::UsageError, [](const trap::UsageError& e) {
    return std::string(e.what()) == "You tried to plan twice";
  });
}

BOOST_AUTO_TEST_CASE(events_are_numbered_and_intercept_nests) {
  auto r = trap::trap([] {});
  std::vector<trap::Event> inner;
  auto outer = trap::intercept([&] {
    r.did_return("one");
    inner = trap::intercept([&] { r.did_return("inner"); });
    r.did_return("two");
  });
  BOOST_REQUIRE_EQUAL(outer.size(), 2u);
  BOOST_TEST(outer[0].number == 1u);
  BOOST_TEST(outer[1].number == 2u);
  BOOST_TEST(outer[1].name == "two");
  BOOST_REQUIRE_EQUAL(inner.size(), 1u);
  BOOST_TEST(inner[0].number == 1u);
}

BOOST_AUTO_TEST_CASE(done_testing_returns_failures_capped) {
  auto child = test_support::in_child([] {
    trap::hub().format(nullptr);
    auto r = trap::trap([] {});
    for (int i = 0; i < 300; ++i) r.did_die();
    std::_Exit(trap::done_testing());
  });
  BOOST_TEST(child.exited(254));
}
