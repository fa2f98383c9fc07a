// Traps on several threads at once: the memory strategy captures per thread,
// the process-wide strategies take turns, and the hub numbers and delivers
// every event exactly once whoever sends it.
#define BOOST_TEST_MODULE concurrency
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <trap/boost_test.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

#include "posix/fd.hpp"
#include "test_support.hpp"

using test_support::identity;

namespace {

constexpr int kThreads = 8;

std::string line_of(int thread, int i) {
  return "thread " + std::to_string(thread) + " line " + std::to_string(i) + "\n";
}

// A one-shot gate: threads wait until it opens.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace

BOOST_AUTO_TEST_CASE(memory_traps_on_eight_threads_capture_only_their_own_thread) {
  // All eight are inside their traps at once (the barrier inside the code)
  // and write interleaved; each capture holds exactly its thread's lines.
  std::barrier all_inside(kThreads);
  std::vector<std::string> out(kThreads), err(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        auto r = trap::trap(":flow:stdout(memory):stderr(memory)", [&] {
          all_inside.arrive_and_wait();
          for (int i = 0; i < 50; ++i) {
            std::cout << line_of(t, i);
            std::cerr << line_of(t, i) << std::flush;
          }
          all_inside.arrive_and_wait();  // nobody ends before all wrote
        });
        std::string want;
        for (int i = 0; i < 50; ++i) want += line_of(t, i);
        if (r.out() != want || r.err() != want) {
          out[t] = r.out();
          err[t] = r.err();
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST_CONTEXT("thread " << t) {
      BOOST_TEST(out[t].empty(), "captured " << out[t].size() << " bytes of the wrong text");
      BOOST_TEST(err[t].empty(), "captured " << err[t].size() << " bytes of the wrong text");
    }
  }
  // The streams' buffers are back.
  auto after = trap::trap(":flow:stdout(memory)", [] { std::cout << "after"; });
  BOOST_TEST(after.out() == "after");
}

BOOST_AUTO_TEST_CASE(a_thread_that_captures_nothing_writes_where_the_stream_went) {
  // While another thread's memory trap is active, this thread's std::cout
  // output reaches stdout (here an outer dup2 trap of this thread), not the
  // other thread's capture.
  Gate inside, written;
  trap::Trap other;
  std::thread capturer;
  auto outer = trap::trap(":flow:stdout(dup2)", [&] {
    capturer = std::thread([&] {
      other = trap::trap(":flow:stdout(memory)", [&] {
        std::cout << "mine ";
        inside.open();
        written.wait();
        std::cout << "still mine";
      });
    });
    inside.wait();
    std::cout << "not theirs" << std::flush;
    written.open();
    capturer.join();
  });
  BOOST_TEST(other.out() == "mine still mine");
  BOOST_TEST(outer.out() == "not theirs");
}

BOOST_AUTO_TEST_CASE(memory_traps_nest_on_each_thread_while_others_capture) {
  std::barrier all_inside(kThreads);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      trap::Trap inner;
      auto outer = trap::trap(":flow:stdout(memory)", [&] {
        std::cout << "outer " << t << ";";
        inner = trap::trap(":flow:stdout(memory)", [&] {
          all_inside.arrive_and_wait();
          std::cout << "inner " << t << ";";
        });
        std::cout << "outer again " << t << ";";
      });
      const std::string n = std::to_string(t);
      if (inner.out() != "inner " + n + ";") ++wrong;
      if (outer.out() != "outer " + n + ";outer again " + n + ";") ++wrong;
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(wrong.load() == 0);
}

BOOST_AUTO_TEST_CASE(memory_and_process_wide_traps_on_different_threads) {
  // A dup2 trap on one thread and memory traps on others at the same time:
  // the memory traps keep their thread's iostream output, the dup2 trap
  // gets its own.
  std::barrier all_inside(kThreads);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string spec = t == 0 ? ":flow:stdout(dup2)" : ":flow:stdout(memory)";
      auto r = trap::trap(spec, [&] {
        all_inside.arrive_and_wait();
        std::cout << line_of(t, 0) << std::flush;
        all_inside.arrive_and_wait();
      });
      if (r.out() != line_of(t, 0)) ++wrong;
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(wrong.load() == 0);
}

BOOST_AUTO_TEST_CASE(a_thread_waits_for_another_threads_process_wide_trap) {
  // The second thread's dup2 trap begins only once the first one's ended:
  // its code never runs while the first one's does.
  Gate first_inside, second_started;
  std::atomic<bool> first_done{false}, second_ran_early{false};
  trap::Trap first, second;
  std::thread a([&] {
    first = trap::trap(":flow:stdout(dup2)", [&] {
      std::cout << "first";
      first_inside.open();
      second_started.wait();
      std::cout << " still first" << std::flush;
      first_done = true;
    });
  });
  first_inside.wait();
  std::thread b([&] {
    second_started.open();
    second = trap::trap(":flow:stdout(dup2)", [&] {
      if (!first_done) second_ran_early = true;
      std::cout << "second";
    });
  });
  a.join();
  b.join();
  BOOST_TEST(!second_ran_early.load());
  BOOST_TEST(first.out() == "first still first");
  BOOST_TEST(second.out() == "second");
}

BOOST_AUTO_TEST_CASE(a_fork_trap_captures_while_another_thread_holds_a_capture) {
  // The child of a fork has only the forking thread: a process-wide capture
  // another thread held at the fork does not make the child wait.
  Gate inside, done;
  std::thread holder([&] {
    trap::trap(":flow:stdout(pipe)", [&] {
      inside.open();
      done.wait();
    });
  });
  inside.wait();
  auto r = trap::trap(":fork:timeout(20000)", [] { std::cout << "child"; });
  done.open();
  holder.join();
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.out() == "child");
}

BOOST_AUTO_TEST_CASE(the_hub_delivers_every_event_once_under_concurrent_senders) {
  struct Seen {
    std::mutex m;
    std::multiset<std::string> names;
    std::set<std::size_t> numbers;
    int duplicate_numbers = 0;
  } seen;
  trap::Hub hub(nullptr);
  hub.listen([&](trap::Hub&, const trap::Event& e, std::size_t number) {
    std::lock_guard lock(seen.m);
    seen.names.insert(e.name);
    if (!seen.numbers.insert(number).second) ++seen.duplicate_numbers;
  });
  constexpr int kEach = 2000;
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        trap::Event e;
        e.kind = trap::Event::Kind::ok;
        e.pass = (i % 7) != 0;
        e.name = std::to_string(t) + "/" + std::to_string(i);
        hub.send(std::move(e));
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::size_t total = kThreads * kEach;
  BOOST_TEST(hub.count() == total);
  BOOST_TEST(seen.names.size() == total);
  BOOST_TEST(seen.duplicate_numbers == 0);
  // Each event exactly once, numbered 1..total.
  bool each_once = true;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kEach; ++i)
      if (seen.names.count(std::to_string(t) + "/" + std::to_string(i)) != 1) each_once = false;
  BOOST_TEST(each_once);
  BOOST_TEST(*seen.numbers.begin() == 1u);
  BOOST_TEST(*seen.numbers.rbegin() == total);
  const std::size_t failures = kThreads * ((kEach + 6) / 7);
  BOOST_TEST(hub.failed() == failures);
}
