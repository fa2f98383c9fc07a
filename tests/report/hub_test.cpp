// The hub and the TAP formatter: numbering, counts, formatter swaps, and the
// exact TAP text (compared with tests/report/expected/).
#define BOOST_TEST_MODULE hub
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cctype>
#include <thread>
#include <fstream>
#include <iostream>
#include <sstream>

#include <trap/boost_test.hpp>
#include <trap/junit.hpp>
#include <trap/trap.hpp>

#include <signal.h>
#include <sys/resource.h>

#include "report/event_codec.hpp"
#include "report/hub_internals.hpp"
#include "support/test_support.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces this file's path with "FILE", so the pinned text does not depend
// on where the tree is checked out. Line numbers are kept: the expected
// text names them (see pinned()), so a wrong `at FILE line N` fails.
std::string normalised(std::string text) {
  const std::string file = __FILE__;
  for (std::size_t at; (at = text.find(file)) != std::string::npos;)
    text.replace(at, file.size(), "FILE");
  return text;
}

// The lines of tap_session()'s failing calls (each checked where it is made).
constexpr unsigned kStdoutXLine = 81, kDidExitLine = 82;

// A pinned file with its placeholders for those lines filled in.
std::string pinned(const std::string& path) {
  std::string text = read_file(path);
  for (auto [mark, line] : {std::pair{"@STDOUT_X_LINE@", kStdoutXLine},
                            std::pair{"@DID_EXIT_LINE@", kDidExitLine}}) {
    const std::string m = mark;
    for (std::size_t at; (at = text.find(m)) != std::string::npos;)
      text.replace(at, m.size(), std::to_string(line));
  }
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
  r.stdout_is("x", "stdout is x"); static_assert(__LINE__ == kStdoutXLine);  // not ok 2
  r.did_exit(); static_assert(__LINE__ == kDidExitLine);  // not ok 3, unnamed
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
  BOOST_TEST(normalised(child.err) == pinned(dir + "/tap.err"));
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
  auto child = test_support::in_child([] {
    trap::Hub h(std::make_unique<Throwing>());
    trap::Event e;
    e.pass = false;
    h.send(e);
    h.send(e);
    // Two failed tests, and each error of the formatter counts as one.
    std::printf("count=%zu failed=%zu\n", h.count(), h.failed());
    std::fflush(stdout);
    std::_Exit(0);
  });
  BOOST_TEST(child.out == "count=2 failed=4\n");
  BOOST_TEST(child.err == "# trap: the formatter threw: formatter broke\n"
                          "# trap: the formatter threw: formatter broke\n");
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

namespace {
trap::Event ok(bool pass, const std::string& name) {
  trap::Event e;
  e.pass = pass;
  e.name = name;
  return e;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(hub_api)

BOOST_AUTO_TEST_CASE(filters_change_replace_or_drop_events) {
  std::vector<trap::Event> seen;
  trap::Hub h(nullptr);
  h.listen([&](trap::Hub&, const trap::Event& e, std::size_t) { seen.push_back(e); });
  auto rename = h.filter([](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
    e.name = "[" + e.name + "]";
    return e;
  });
  auto drop = h.filter([](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
    if (e.name == "[secret]") return std::nullopt;
    return e;
  });
  h.send(ok(true, "a"));
  h.send(ok(false, "secret"));  // dropped: not counted either
  BOOST_REQUIRE_EQUAL(seen.size(), 1u);
  BOOST_TEST(seen[0].name == "[a]");
  BOOST_TEST(h.count() == 1u);
  BOOST_TEST(h.failed() == 0u);
  h.unfilter(drop);
  h.unfilter(rename);
  h.send(ok(true, "plain"));
  BOOST_TEST(seen.back().name == "plain");
}

BOOST_AUTO_TEST_CASE(pre_filters_run_before_filters) {
  std::vector<std::string> order;
  trap::Hub h(nullptr);
  h.filter([&](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
    order.push_back("filter");
    return e;
  });
  auto pre = h.pre_filter([&](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
    order.push_back("pre_filter");
    return e;
  });
  h.send(ok(true, "x"));
  BOOST_TEST(order == (std::vector<std::string>{"pre_filter", "filter"}));
  h.pre_unfilter(pre);
  BOOST_CHECK_THROW(h.pre_unfilter(pre), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(listeners_see_events_after_the_formatter_with_their_number) {
  std::vector<std::string> order;
  class Order final : public trap::Formatter {
   public:
    explicit Order(std::vector<std::string>& o) : o_(o) {}
    void write(const trap::Event& e) override { o_.push_back("format " + e.name); }

   private:
    std::vector<std::string>& o_;
  };
  trap::Hub h(std::make_unique<Order>(order));
  auto l = h.listen([&](trap::Hub&, const trap::Event& e, std::size_t n) {
    order.push_back("listen " + e.name + " " + std::to_string(n));
  });
  h.send(ok(true, "one"));
  trap::Event note;
  note.kind = trap::Event::Kind::note;
  note.name = "n";
  h.send(note);
  h.send(ok(true, "two"));
  BOOST_TEST(order == (std::vector<std::string>{"format one", "listen one 1", "format n",
                                                "listen n 1", "format two", "listen two 2"}));
  h.unlisten(l);
  BOOST_CHECK_THROW(h.unlisten(l), trap::UsageError);
  BOOST_CHECK_THROW(h.unfilter(trap::HubHandle{12345}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(a_throwing_listener_or_filter_loses_no_event) {
  auto child = test_support::in_child([] {
    trap::Hub h(nullptr);
    int seen = 0;
    h.listen([](trap::Hub&, const trap::Event&, std::size_t) {
      throw std::runtime_error("listener broke");
    });
    h.listen([&](trap::Hub&, const trap::Event&, std::size_t) { ++seen; });
    h.send(ok(true, "kept"));
    std::printf("seen=%d count=%zu failed=%zu passing=%d\n", seen, h.count(), h.failed(),
                static_cast<int>(h.is_passing()));
    std::fflush(stdout);
    std::_Exit(0);
  });
  BOOST_TEST(child.out == "seen=1 count=1 failed=1 passing=0\n");
  BOOST_TEST(child.err == "# trap: a listener threw: listener broke\n");
}

BOOST_AUTO_TEST_CASE(a_formatter_replaced_while_events_are_in_flight) {
  // Every event is written by exactly one formatter, and a formatter handed
  // back by format() is no longer in use.
  class Counting final : public trap::Formatter {
   public:
    explicit Counting(std::atomic<int>& n) : n_(n) {}
    void write(const trap::Event&) override { ++n_; }

   private:
    std::atomic<int>& n_;
  };
  std::atomic<int> written{0};
  trap::Hub h(std::make_unique<Counting>(written));
  std::thread sender([&] {
    for (int i = 0; i < 2000; ++i) h.send(ok(true, "e"));
  });
  for (int i = 0; i < 200; ++i) {
    auto old = h.format(std::make_unique<Counting>(written));
    old.reset();  // destroyed at once: must not be in use
  }
  sender.join();
  BOOST_TEST(written.load() == 2000);
  BOOST_TEST(h.count() == 2000u);
}

BOOST_AUTO_TEST_CASE(follow_ups_run_once_at_the_end) {
  trap::Hub h(nullptr);
  int runs = 0;
  h.follow_up([&](trap::Hub& hub) {
    ++runs;
    BOOST_TEST(hub.ended());
  });
  h.send(ok(true, "x"));
  BOOST_TEST(runs == 0);
  h.finish();
  h.finish();
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(plans_and_check_plan) {
  trap::Hub h(nullptr);
  BOOST_TEST(!h.check_plan().has_value());
  h.plan(2);
  BOOST_TEST(h.planned() == std::optional<std::size_t>(2));
  h.send(ok(true, "a"));
  h.finish();
  BOOST_TEST(h.check_plan() == std::optional<bool>(false));
  BOOST_TEST(!h.is_passing());  // planned 2, ran 1

  trap::Hub skip(nullptr);
  skip.plan("SKIP");
  BOOST_CHECK_EXCEPTION(skip.plan(1), trap::UsageError, [](const trap::UsageError& e) {
    return std::string(e.what()) == "You tried to plan twice";
  });
  skip.finish();
  BOOST_TEST(skip.check_plan() == std::optional<bool>(true));
  BOOST_CHECK_THROW(trap::Hub(nullptr).plan("MAYBE"), trap::UsageError);

  trap::Hub none(nullptr);
  none.plan("NO PLAN");
  none.send(ok(true, "a"));
  none.finish();
  BOOST_TEST(!none.check_plan().has_value());
  BOOST_TEST(none.is_passing());
}

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

BOOST_AUTO_TEST_CASE(is_passing_can_be_set) {
  trap::Hub h(nullptr);
  BOOST_TEST(h.is_passing());
  h.is_passing(false);
  BOOST_TEST(!h.is_passing());
  h.is_passing(true);
  BOOST_TEST(h.is_passing());
}

BOOST_AUTO_TEST_CASE(skip_plan_in_tap) {
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    trap::hub().plan("SKIP");
    std::exit(trap::done_testing());
  });
  BOOST_TEST(child.out == "1..0 # SKIP\n");
}

BOOST_AUTO_TEST_CASE(no_ending_and_active) {
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    trap::hub().send(ok(true, "x"));
    trap::hub().set_no_ending(true);
    std::exit(0);  // no trailing plan
  });
  BOOST_TEST(child.out == "ok 1 - x\n");
  auto quiet = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    trap::hub().follow_up([](trap::Hub&) { std::puts("follow-up"); });
    std::exit(0);  // never active: nothing runs at the end
  });
  BOOST_TEST(quiet.out == "");
  auto active = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    trap::hub().follow_up([](trap::Hub&) { std::puts("follow-up"); });
    trap::hub().set_active(true);
    std::exit(0);
  });
  BOOST_TEST(active.out == "follow-up\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(subtests)

BOOST_AUTO_TEST_CASE(parent_gets_one_result_with_the_subevents) {
  auto r = trap::trap([] { return 1; });
  auto events = trap::intercept([&] {
    bool passed = trap::subtest("inner", [&] {
      r.return_is(1, "one");
      r.did_return("returned");
    });
    BOOST_TEST(passed);
    trap::subtest("failing", [&] { r.return_is(2, "two"); });
  });
  // A note opens each subtest, then its result.
  BOOST_REQUIRE_EQUAL(events.size(), 4u);
  BOOST_TEST(events[0].name == "Subtest: inner");
  BOOST_TEST(events[1].name == "inner");
  BOOST_TEST(events[1].pass);
  BOOST_TEST(events[1].number == 1u);
  BOOST_REQUIRE_EQUAL(events[1].subevents.size(), 3u);  // two results and the plan
  BOOST_TEST(events[1].subevents[1].name == "returned");
  BOOST_TEST((events[1].subevents[2].kind == trap::Event::Kind::plan));
  BOOST_TEST(!events[3].pass);
  BOOST_TEST(events[3].number == 2u);
}

BOOST_AUTO_TEST_CASE(empty_or_throwing_subtests_fail) {
  auto events = trap::intercept([] {
    trap::subtest("empty", [] {});
    trap::subtest("throws", [] {
      trap::trap([] {}).did_return();
      throw std::runtime_error("oops");
    });
    trap::subtest("skipped", [] { trap::current_hub().plan("SKIP"); });
  });
  BOOST_REQUIRE_EQUAL(events.size(), 6u);
  BOOST_TEST(!events[1].pass);
  BOOST_TEST(test_support::diagnostics(events[1]) == "    No tests run for subtest \"empty\"\n");
  BOOST_TEST(!events[3].pass);
  BOOST_TEST(test_support::diagnostics(events[3]) == "    The subtest threw: oops\n");
  BOOST_TEST(events[5].pass);
}

BOOST_AUTO_TEST_CASE(inherited_filters_and_listeners_reach_subtests) {
  int inherited = 0, local = 0;
  auto r = trap::trap([] {});
  auto events = trap::intercept([&] {
    trap::Hub& h = trap::current_hub();
    h.listen([&](trap::Hub&, const trap::Event&, std::size_t) { ++inherited; }, true);
    h.listen([&](trap::Hub&, const trap::Event&, std::size_t) { ++local; });
    h.filter(
        [](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
          if (e.name == "hidden") return std::nullopt;
          return e;
        },
        true);
    trap::subtest("sub", [&] {
      r.did_return("seen");
      r.did_return("hidden");
    });
  });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[1].pass);
  BOOST_REQUIRE_EQUAL(events[1].subevents.size(), 2u);  // "seen" and the plan
  BOOST_TEST(events[1].subevents[1].count == 1u);
  BOOST_TEST(local == 2);      // the parent's note and result
  BOOST_TEST(inherited == 4);  // those, and the subtest's result and plan
}

BOOST_AUTO_TEST_CASE(tap_shows_subtests_indented) {
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    auto r = trap::trap([] { return 1; });
    r.did_return("top");
    trap::subtest("outer", [&] {
      r.return_is(1, "in outer");
      trap::subtest("inner", [&] { r.return_is(2, "in inner"); });
    });
    std::exit(trap::done_testing());
  });
  BOOST_TEST(child.exited(1));
  BOOST_TEST(child.out ==
             "ok 1 - top\n"
             "# Subtest: outer\n"
             "    ok 1 - in outer\n"
             "    # Subtest: inner\n"
             "        not ok 1 - in inner\n"
             "        1..1\n"
             "    not ok 2 - inner\n"
             "    1..2\n"
             "not ok 2 - outer\n"
             "1..2\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(results_from_children)

BOOST_AUTO_TEST_CASE(a_forked_childs_results_reach_the_parent_in_order_once) {
  std::vector<std::string> seen;
  trap::Hub h(nullptr);
  h.listen([&](trap::Hub&, const trap::Event& e, std::size_t n) {
    seen.push_back(e.name + "#" + std::to_string(n));
  });
  // Test2's rule: pre-filters in the child, filters in the parent.
  h.pre_filter([](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
    e.name = "pre(" + e.name + ")";
    return e;
  });
  h.filter([](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
    e.name = "post(" + e.name + ")";
    return e;
  });
  h.send(ok(true, "parent before"));
  pid_t pid = ::fork();
  if (pid == 0) {
    h.send(ok(true, "child one"));
    h.send(ok(false, "child two"));
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  h.send(ok(true, "parent after"));
  BOOST_TEST(seen == (std::vector<std::string>{
                         "post(pre(parent before))#1", "post(pre(child one))#2",
                         "post(pre(child two))#3", "post(pre(parent after))#4"}));
  BOOST_TEST(h.count() == 4u);
  BOOST_TEST(h.failed() == 1u);
}

BOOST_AUTO_TEST_CASE(results_sent_before_a_crash_still_arrive) {
  trap::Hub h(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGABRT, SIG_DFL);
    h.send(ok(true, "before the crash"));
    h.send(ok(false, "also before"));
    struct rlimit none = {0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    std::abort();
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  BOOST_TEST(h.count() == 2u);  // read in by count()
  BOOST_TEST(h.failed() == 1u);
}

BOOST_AUTO_TEST_CASE(results_from_children_reach_intercept) {
  auto events = trap::intercept([] {
    auto r = trap::trap([] { return 1; });
    pid_t pid = ::fork();
    if (pid == 0) {
      r.return_is(1, "in the child");
      std::_Exit(0);
    }
    ::waitpid(pid, nullptr, 0);
    r.did_return("in the parent");
  });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[0].name == "in the child");
  BOOST_TEST(events[0].where.line() > 0u);
  BOOST_TEST(std::string(events[0].where.file_name()).find("hub_test.cpp") != std::string::npos);
  BOOST_TEST(events[1].name == "in the parent");
}

BOOST_AUTO_TEST_CASE(a_malformed_record_is_a_clear_error) {
  std::vector<trap::Event> seen;
  trap::Hub h(nullptr);
  h.listen([&](trap::Hub&, const trap::Event& e, std::size_t) { seen.push_back(e); });
  pid_t pid = ::fork();
  if (pid == 0) {
    const char junk[] = "this is not an event record\n";
    (void)!::write(trap::detail::HubInternals::ipc_fd(h), junk, sizeof junk - 1);
    std::_Exit(0);
  }
  ::waitpid(pid, nullptr, 0);
  h.send(ok(true, "after"));
  BOOST_REQUIRE_EQUAL(seen.size(), 2u);
  BOOST_TEST(!seen[0].pass);
  BOOST_TEST(test_support::diagnostics(seen[0]) ==
             "    A child process wrote a malformed event record (28 bytes dropped)\n");
  BOOST_TEST(seen[1].name == "after");
  BOOST_TEST(h.failed() == 1u);
}

BOOST_AUTO_TEST_CASE(event_records_round_trip) {
  trap::Event e;
  e.kind = trap::Event::Kind::diag;
  e.pass = false;
  e.name = "multi\nline \\ name";
  e.diagnostics = {"a", "b\nc"};
  e.count = 7;
  e.nesting = 2;
  auto record = trap::detail::encode_event(e);
  auto d = trap::detail::decode_events(record + record.substr(0, 5));
  BOOST_TEST(!d.malformed);
  BOOST_TEST(d.consumed == record.size());  // the partial second record waits
  BOOST_REQUIRE_EQUAL(d.events.size(), 1u);
  BOOST_TEST(d.events[0].name == e.name);
  BOOST_TEST(d.events[0].diagnostics == e.diagnostics);
  BOOST_TEST(d.events[0].count == 7u);
  BOOST_TEST(d.events[0].nesting == 2u);
  BOOST_TEST((d.events[0].kind == trap::Event::Kind::diag));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(skip_and_todo_in_tap) {
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    auto r = trap::trap([] { return 1; });
    r.did_return("runs");
    trap::skip("no network here", 2);
    trap::todo("not written yet", [&] {
      r.return_is(2, "future behaviour");
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
             "#   at " + std::string(__FILE__) + " line " + std::to_string(__LINE__ - 12) + ".\n"
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
    r.stdout_is("x", "stdout is x"); static_assert(__LINE__ == kLine);
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
             "    line: " + std::to_string(kLine) + "\n"
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
  trap::Hub h(std::make_unique<Counter>(formatted));
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
             std::string::npos, xml);
  BOOST_TEST(xml.find("<testsuite name=\"my &lt;suite&gt;\" tests=\"2\" failures=\"1\" "
                      "errors=\"0\" skipped=\"0\"") != std::string::npos, xml);
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
             "# trap: a follow-up threw: cannot write \"/nonexistent/dir/results.xml\": No such "
             "file or directory\n");
  BOOST_CHECK_THROW(trap::junit_report(trap::hub(), ""), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
