// SPDX-License-Identifier: BSL-1.0
// A fork trap's child inherits no lock of trap's held. Forked while other
// threads are in the middle of memory captures and warn layers (which swap
// std::cout's, std::cerr's and std::clog's buffers under their locks),
// tempfile captures (which swap `stdout` and take sinks from a pool), pipe
// and tee captures (whose pipes one drainer thread reads) and
// default traps (which divert descriptors, flush the streams and look
// their specs up), the child begins and ends captures of every built-in
// strategy and a warn layer of its own, springs a trap, and reports. So
// it does while another thread registers layers and trappers.
#define BOOST_TEST_MODULE fork_busy_threads
#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

namespace {

constexpr int kForks = 1000;

// A spec of its own for round @p i of 32: @p spec and trailing blanks, so
// that it is looked up in the spec cache, not found in the thread's memo.
std::string varied(const std::string& spec, int i) { return spec + std::string(i % 32, ' '); }

// Threads that run traps of @p spec (varied() if @p vary) until stopped;
// constructed once one has finished a trap.
class BusyThreads {
 public:
  BusyThreads(const std::string& spec, int count, bool vary = false) {
    for (int t = 0; t < count; ++t)
      threads_.emplace_back([this, spec, vary] {
        for (int i = 0; !stop_.load(); ++i) {
          (void)trap::trap(vary ? varied(spec, i) : spec, [] {
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

// Runs kForks fork traps of @p spec, each child writing to every stream
// (and, if @p nested, writing its line through a memory trap of its own),
// while BusyThreads run; returns the number of traps that did not come back
// with exactly what their child wrote. A child that waits for ever on a lock
// it inherited held is stopped by the timeout and counts as wrong.
int wrong_fork_traps(const char* spec, bool nested = false) {
  int wrong = 0;
  for (int i = 0; i < kForks; ++i) {
    const std::string n = std::to_string(i);
    auto r = trap::trap(spec, [&] {
      if (nested) {
        auto inner = trap::trap(varied(":flow:stdout(memory)", i), [&] { std::cout << "out "; });
        std::cout << inner.out();
      }
      if (!nested) std::cout << "out ";
      std::cout << n << "\n";
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

BOOST_AUTO_TEST_CASE(a_child_forked_amid_tempfile_captures_finishes) {
  BusyThreads busy(":flow:stdout(tempfile):stderr(memory):warn", 2);
  BOOST_TEST(wrong_fork_traps(":flow:stdout(tempfile):stderr(tempfile):warn:fork:timeout(30000)") ==
             0);
}

BOOST_AUTO_TEST_CASE(a_child_forked_amid_pipe_and_tee_captures_finishes) {
  BusyThreads busy(":flow:stdout(pipe):stderr(tee):warn", 2);
  BOOST_TEST(wrong_fork_traps(":flow:stdout(pipe):stderr(tee):warn:fork:timeout(30000)") == 0);
}

// The child springs a trap of its own: its spec is looked up where the
// other threads look theirs up, and it captures in memory.
BOOST_AUTO_TEST_CASE(a_child_forked_amid_default_traps_springs_a_trap_of_its_own) {
  BusyThreads busy(":stdout:stderr:warn", 2, true);
  BOOST_TEST(wrong_fork_traps(":flow:stdout:stderr:warn:fork:timeout(30000)", true) == 0);
}

// Registration takes the registry's lock for writing, which a child that
// springs a trap then takes for reading: another thread registers a layer
// again and again and makes and drops a trapper, while the children spring
// traps with that layer. A child that inherited the lock held waits for
// ever; the first one stops the test (at the timeout).
BOOST_AUTO_TEST_CASE(a_child_forked_while_another_thread_registers_springs_a_trap) {
  static trap::Trapper mine("busy::registering", &trap::standard());
  auto& builder = trap::Builder::instance();
  auto pass_through = [](trap::Trap& self, std::string_view) { self.next(); };
  builder.layer(mine, "through", pass_through);
  std::atomic<bool> stop{false};
  std::atomic<long> registered{0};
  std::thread registering([&] {
    while (!stop.load()) {
      for (int k = 0; k < 16; ++k) builder.layer(mine, "through", pass_through);
      trap::Trapper passing("busy::passing", &mine);
      if (registered.fetch_add(1) == 0) registered.notify_all();
    }
  });
  registered.wait(0);
  int i = 0;
  for (; i < kForks; ++i) {
    const std::string n = std::to_string(i);
    auto r = trap::trap(":flow:stdout:fork:timeout(30000)", [&] {
      auto inner = mine.trap(":flow:through:stdout(memory)", [&] { std::cout << n; });
      std::cout << inner.out();
    });
    if (r.leaveby() != "return" || r.out() != n) {
      BOOST_TEST_MESSAGE("trap " << i << ": " << r.leaveby() << ", out [" << r.out() << "]");
      break;
    }
  }
  stop.store(true);
  registering.join();
  BOOST_TEST(i == kForks);
  BOOST_TEST(registered.load() > 1);
}

}  // namespace
