// The hub across fork(): a fork trap taken while another thread holds the
// root hub's lock (reporting a result) must not deadlock in the child.
#define BOOST_TEST_MODULE hub_fork
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

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
