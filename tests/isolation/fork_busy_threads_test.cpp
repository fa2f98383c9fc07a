// SPDX-License-Identifier: BSL-1.0
// A fork trap's child inherits no lock of trap's held. Forked while other
// threads are in the middle of memory captures and warn layers (which swap
// std::cout's, std::cerr's and std::clog's buffers under their locks) and
// of default traps (which divert descriptors and flush the streams), the
// child begins and ends memory captures, a warn layer and a tempfile
// capture of its own, and reports.
#define BOOST_TEST_MODULE fork_busy_threads
#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

namespace {

constexpr int kForks = 2000;

// Threads that run traps of @p spec until stopped; constructed once each
// has finished one.
class BusyThreads {
 public:
  BusyThreads(const char* spec, int count) {
    for (int t = 0; t < count; ++t)
      threads_.emplace_back([this, spec] {
        while (!stop_.load()) {
          (void)trap::trap(spec, [] {
            std::cout << "busy\n";
            std::cerr << "busy\n";
            std::clog << "busy\n";
          });
          if (done_.fetch_add(1) == 0) done_.notify_all();
        }
      });
    done_.wait(0);
  }
  BusyThreads(const BusyThreads&) = delete;
  BusyThreads& operator=(const BusyThreads&) = delete;
  ~BusyThreads() {
    stop_.store(true);
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> done_{0};
  std::vector<std::thread> threads_;
};

// Runs kForks fork traps of @p spec, each child writing to every stream,
// while BusyThreads run; returns the number of traps that did not come back
// with exactly what their child wrote. A child that waits for ever on a lock
// it inherited held is stopped by the timeout and counts as wrong.
int wrong_fork_traps(const char* spec) {
  int wrong = 0;
  for (int i = 0; i < kForks; ++i) {
    const std::string n = std::to_string(i);
    auto r = trap::trap(spec, [&] {
      std::cout << "out " << n << "\n";
      std::clog << "warn " << n << "\n";
    });
    if (r.leaveby() != "return" || r.out() != "out " + n + "\n" ||
        r.warn() != std::vector<std::string>{"warn " + n + "\n"}) {
      if (wrong++ == 0)
        BOOST_TEST_MESSAGE("first wrong trap: " << i << ", " << r.leaveby() << ", out [" << r.out()
                                                << "], " << r.warn().size() << " warnings");
    }
  }
  return wrong;
}

BOOST_AUTO_TEST_CASE(a_child_forked_amid_memory_captures_and_warn_layers_finishes) {
  BusyThreads busy(":flow:stdout(memory):stderr(memory):warn", 2);
  BOOST_TEST(wrong_fork_traps(":flow:stdout(memory):stderr(memory):warn:fork:timeout(30000)") == 0);
}

BOOST_AUTO_TEST_CASE(a_child_forked_amid_default_traps_finishes) {
  BusyThreads busy(":flow:stdout(tempfile):stderr(memory):warn", 2);
  BOOST_TEST(wrong_fork_traps(":flow:stdout(tempfile):stderr(tempfile):warn:fork:timeout(30000)") ==
             0);
}

}  // namespace
