// SPDX-License-Identifier: BSL-1.0
// The hub: numbering and counts, formatter swaps, filters, listeners,
// follow-ups and plans, whatever formatter (if any) shows the results.
#define BOOST_TEST_MODULE hub
#include <atomic>
#include <cstdio>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

namespace {

using test_support::CountingFormatter;
using test_support::ok;

class Throwing final : public trap::Formatter {
 public:
  void write(const trap::Event&) override { throw std::runtime_error("formatter broke"); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(format_returns_the_previous_formatter) {
  trap::Hub h(nullptr);
  int writes = 0;
  auto old = h.format(std::make_unique<CountingFormatter>(writes));
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
  BOOST_TEST(child.err ==
             "# trap: the formatter threw: formatter broke\n"
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
  BOOST_CHECK_EXCEPTION(
      trap::Hub(nullptr).plan("NO PLAN", "why"), trap::UsageError, [](const trap::UsageError& e) {
        return std::string(e.what()) == "plan(): \"NO PLAN\" takes no reason; only \"SKIP\" does";
      });
  trap::Hub skip_why(nullptr);
  skip_why.plan("SKIP", "no database");
  BOOST_CHECK_THROW(skip_why.plan("SKIP", "again"), trap::UsageError);

  trap::Hub none(nullptr);
  none.plan("NO PLAN");
  none.send(ok(true, "a"));
  none.finish();
  BOOST_TEST(!none.check_plan().has_value());
  BOOST_TEST(none.is_passing());
}

BOOST_AUTO_TEST_CASE(is_passing_can_be_set) {
  trap::Hub h(nullptr);
  BOOST_TEST(h.is_passing());
  h.is_passing(false);
  BOOST_TEST(!h.is_passing());
  h.is_passing(true);
  BOOST_TEST(h.is_passing());
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
