// SPDX-License-Identifier: BSL-1.0
// The hub across fork(): results sent in a forked child reach the parent's
// hub once and in order (even if the child then crashes), the records they
// travel in, and a fork trap taken while another thread holds the root
// hub's lock (reporting a result), which must not deadlock in the child.
#define BOOST_TEST_MODULE hub_fork
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

#include "report/event_codec.hpp"
#include "report/hub_internals.hpp"
#include "support/test_support.hpp"

using test_support::ok;

BOOST_AUTO_TEST_CASE(fork_trap_while_another_thread_reports) {
  int wake[2];
  BOOST_REQUIRE(::pipe(wake) == 0);
  std::promise<void> holding;
  std::atomic<int> from_child{0};
  // Runs with the hub's lock held: it keeps it until the child has reported
  // (or 60 s have passed, which fails the test below rather than hanging).
  auto hold = trap::hub().listen([&](trap::Hub&, const trap::Event& e, std::size_t) {
    if (e.name == "from the child") ++from_child;
    if (e.name != "holding the hub") return;
    holding.set_value();
    pollfd p{wake[0], POLLIN, 0};
    ::poll(&p, 1, 60'000);
  });
  std::thread reporter([] {
    trap::Event e;
    e.name = "holding the hub";
    trap::hub().send(e);
  });
  holding.get_future().wait();

  auto earlier = trap::trap([] { return 1; });
  auto r = trap::trap(":fork:timeout(30000)", [&] {
    earlier.did_return("from the child");
    BOOST_REQUIRE(::write(wake[1], "x", 1) == 1);
  });
  reporter.join();
  trap::hub().unlisten(hold);
  r.did_return("the child reported and returned, no deadlock");
  BOOST_TEST(from_child.load() == 1);
  ::close(wake[0]);
  ::close(wake[1]);
}

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
  BOOST_TEST(seen ==
             (std::vector<std::string>{"post(pre(parent before))#1", "post(pre(child one))#2",
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
  BOOST_TEST(std::string(events[0].where.file_name()).find("hub_fork_test.cpp") !=
             std::string::npos);
  BOOST_TEST(events[1].name == "in the parent");
}

BOOST_AUTO_TEST_CASE(todo_skip_and_subtests_from_a_fork_trap_arrive_whole) {
  // A TODO mark, a skip and a subtest's own results are set in the child:
  // lost on the way, a TODO failure would count as a failure, a skip as a
  // pass, and a JUnit report would not say which of the subtest's failed.
  auto events = trap::intercept([] {
    trap::trap(":fork", [] {
      trap::todo("later", [] { trap::ok(false, "not yet"); });
      trap::skip("no network", 1);
      trap::subtest("inner", [] {
        trap::ok(true, "c1");
        trap::ok(false, "c2");
      });
    });
  });
  BOOST_REQUIRE_EQUAL(events.size(), 4u);  // the result, the skip, the note, the subtest
  BOOST_TEST(events[0].todo == "later");
  BOOST_TEST(!events[0].pass);
  BOOST_TEST(events[1].skip == "no network");
  BOOST_TEST(events[2].name == "Subtest: inner");
  BOOST_TEST(events[3].name == "inner");
  BOOST_TEST(!events[3].pass);
  BOOST_REQUIRE_EQUAL(events[3].subevents.size(), 3u);  // c1, c2, the plan
  BOOST_TEST(events[3].subevents[1].name == "c2");
  BOOST_TEST(!events[3].subevents[1].pass);
  BOOST_TEST(events[3].subevents[1].number == 2u);
}

// Writes what a hub shows: one line per event, '>' per level of nesting.
struct Lines final : trap::Formatter {
  explicit Lines(std::vector<std::string>& o) : out(o) {}
  void write(const trap::Event& e) override { out.push_back(std::string(e.nesting, '>') + e.name); }
  std::vector<std::string>& out;
};

BOOST_AUTO_TEST_CASE(a_subtest_in_a_fork_trap_is_shown_in_order) {
  // The child's subtest shows its results one level deeper: they go to the
  // parent too, to be shown between the subtest's note and its result, not
  // written by the child out of turn.
  std::vector<std::string> lines;
  auto before = trap::hub().format(std::make_unique<Lines>(lines));
  trap::trap(":fork", [] {
    trap::ok(true, "before");
    trap::subtest("in the child", [] { trap::ok(true, "c1"); });
  });
  trap::hub().format(std::move(before));
  BOOST_TEST(lines == (std::vector<std::string>{"before", "Subtest: in the child", ">c1", ">",
                                                "in the child"}),
             boost::test_tools::per_element());
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
  e.todo = "to\ndo";
  e.skip = "skip";
  trap::Event sub;
  sub.name = "sub\nname";
  sub.number = 3;
  sub.subevents.push_back(sub);  // a subtest in a subtest
  e.subevents = {sub, sub};
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
  BOOST_TEST(d.events[0].todo == "to\ndo");
  BOOST_TEST(d.events[0].skip == "skip");
  BOOST_REQUIRE_EQUAL(d.events[0].subevents.size(), 2u);
  BOOST_TEST(d.events[0].subevents[1].name == "sub\nname");
  BOOST_TEST(d.events[0].subevents[1].number == 3u);
  BOOST_REQUIRE_EQUAL(d.events[0].subevents[1].subevents.size(), 1u);
  BOOST_TEST(d.events[0].subevents[1].subevents[0].name == "sub\nname");
}

BOOST_AUTO_TEST_SUITE_END()
