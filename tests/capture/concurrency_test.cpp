// SPDX-License-Identifier: BSL-1.0
// Traps on several threads at once: the memory strategy captures per thread,
// the process-wide strategies take turns, and the hub numbers and delivers
// every event exactly once whoever sends it.
#define BOOST_TEST_MODULE concurrency
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

#include "capture/capture.hpp"
#include "posix/fd.hpp"
#include "support/test_support.hpp"

using test_support::identity;

namespace {

constexpr int kThreads = 8;

std::string line_of(int thread, int i) {
  return "thread " + std::to_string(thread) + " line " + std::to_string(i) + "\n";
}

// How long a thread waits for another before the test gives up on it: far
// more than any step here takes, and reached only when something is wrong.
constexpr auto kPatience = std::chrono::seconds(30);

// A one-shot gate: threads wait until it opens, or kPatience (then wait()
// says false).
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, kPatience, [&] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A reusable barrier for a fixed number of threads, as std::barrier, but
// one that gives up: when a thread does not arrive within kPatience, every
// wait (then and after) says false, so the others end and the test fails
// instead of hanging until ctest's timeout.
class Barrier {
 public:
  explicit Barrier(int count) : count_(count) {}
  bool arrive_and_wait() {
    std::unique_lock lock(m_);
    if (broken_) return false;
    const long phase = phase_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++phase_;
      cv_.notify_all();
      return true;
    }
    if (cv_.wait_for(lock, kPatience, [&] { return phase_ != phase || broken_; }) && !broken_)
      return true;
    broken_ = true;
    cv_.notify_all();
    return false;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  const int count_;
  int arrived_ = 0;
  long phase_ = 0;
  bool broken_ = false;
};

// Polls @p done until it holds or kPatience passes; says which.
bool eventually(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(memory_traps_on_eight_threads_capture_only_their_own_thread) {
  // All eight are inside their traps at once (the barrier inside the code)
  // and write interleaved; each capture holds exactly its thread's lines.
  // A thread whose capture is wrong keeps taking part in every round: the
  // others never wait for it in vain.
  Barrier all_inside(kThreads);
  std::atomic<int> gave_up{0};
  std::vector<std::string> out(kThreads), err(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        auto r = trap::trap(":flow:stdout(memory):stderr(memory)", [&] {
          if (!all_inside.arrive_and_wait()) ++gave_up;
          for (int i = 0; i < 50; ++i) {
            std::cout << line_of(t, i);
            std::cerr << line_of(t, i) << std::flush;
          }
          if (!all_inside.arrive_and_wait()) ++gave_up;  // nobody ends before all wrote
        });
        std::string want;
        for (int i = 0; i < 50; ++i) want += line_of(t, i);
        if ((r.out() != want || r.err() != want) && out[t].empty() && err[t].empty()) {
          out[t] = r.out() == want ? "" : r.out();
          err[t] = r.err() == want ? "" : r.err();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(gave_up.load() == 0);
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
  std::atomic<bool> gave_up{false};
  trap::Trap other;
  std::thread capturer;
  auto outer = trap::trap(":flow:stdout(dup2)", [&] {
    capturer = std::thread([&] {
      other = trap::trap(":flow:stdout(memory)", [&] {
        std::cout << "mine ";
        inside.open();
        if (!written.wait()) gave_up = true;
        std::cout << "still mine";
      });
    });
    if (!inside.wait()) gave_up = true;
    std::cout << "not theirs" << std::flush;
    written.open();
    capturer.join();
  });
  BOOST_TEST(!gave_up.load());
  BOOST_TEST(other.out() == "mine still mine");
  BOOST_TEST(outer.out() == "not theirs");
}

BOOST_AUTO_TEST_CASE(memory_traps_nest_on_each_thread_while_others_capture) {
  Barrier all_inside(kThreads);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      trap::Trap inner;
      auto outer = trap::trap(":flow:stdout(memory)", [&] {
        std::cout << "outer " << t << ";";
        inner = trap::trap(":flow:stdout(memory)", [&] {
          if (!all_inside.arrive_and_wait()) ++wrong;
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
  Barrier all_inside(kThreads);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string spec = t == 0 ? ":flow:stdout(dup2)" : ":flow:stdout(memory)";
      auto r = trap::trap(spec, [&] {
        if (!all_inside.arrive_and_wait()) ++wrong;
        std::cout << line_of(t, 0) << std::flush;
        if (!all_inside.arrive_and_wait()) ++wrong;
      });
      if (r.out() != line_of(t, 0)) ++wrong;
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(wrong.load() == 0);
}

BOOST_AUTO_TEST_CASE(a_thread_waits_for_another_threads_process_wide_trap) {
  // The second thread's dup2 trap begins only once the first one's ended:
  // its code never runs while the first one's does. The order is forced:
  // the first thread stays inside its trap until the second is seen waiting
  // for it, or (were it not made to wait) until the second's code has run.
  Gate first_inside;
  std::atomic<bool> first_done{false}, second_ran{false}, second_ran_early{false};
  bool second_waited = false, first_inside_in_time = false;
  trap::Trap first, second;
  std::thread a([&] {
    first = trap::trap(":flow:stdout(dup2)", [&] {
      std::cout << "first";
      first_inside.open();
      second_waited = eventually(
          [&] { return trap::detail::process_wide_capture_waiters() == 1 || second_ran.load(); });
      second_waited = second_waited && !second_ran.load();
      std::cout << " still first" << std::flush;
      first_done = true;
    });
  });
  first_inside_in_time = first_inside.wait();
  std::thread b([&] {
    second = trap::trap(":flow:stdout(dup2)", [&] {
      if (!first_done) second_ran_early = true;
      second_ran = true;
      std::cout << "second";
    });
  });
  a.join();
  b.join();
  BOOST_TEST(first_inside_in_time);
  BOOST_TEST(second_waited, "the second trap was seen waiting for the first");
  BOOST_TEST(!second_ran_early.load());
  BOOST_TEST(first.out() == "first still first");
  BOOST_TEST(second.out() == "second");
}

BOOST_AUTO_TEST_CASE(a_fork_trap_captures_while_another_thread_holds_a_capture) {
  // The child of a fork has only the forking thread: a process-wide capture
  // another thread held at the fork does not make the child wait.
  Gate inside, done;
  std::atomic<bool> gave_up{false};
  std::thread holder([&] {
    trap::trap(":flow:stdout(pipe)", [&] {
      inside.open();
      if (!done.wait()) gave_up = true;
    });
  });
  if (!inside.wait()) gave_up = true;
  auto r = trap::trap(":fork:timeout(20000)", [] { std::cout << "child"; });
  done.open();
  holder.join();
  BOOST_TEST(!gave_up.load());
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.out() == "child");
}

// Not under AddressSanitizer: clang 14's allocator is not locked across
// fork(), so a child forked while the other thread is inside malloc waits
// for ever on its first allocation, whatever trap does (CI saw fork trap
// 373 of 400 stopped by its timeout after its first write). The normal and
// ThreadSanitizer builds run it.
#ifndef TRAP_TEST_ASAN
BOOST_AUTO_TEST_CASE(fork_traps_while_another_thread_springs_default_traps) {
  // A fork can come while another thread is inside one of trap's short
  // locks: where a capture diverts or restores a descriptor, where a warn
  // layer routes std::clog. The child has no such thread: it must not wait
  // for it. 400 fork traps, each child with the default layers, while
  // another thread springs default traps without pause; a child that
  // waited would be stopped by the timeout.
  std::atomic<bool> stop{false};
  std::atomic<long> others{0};
  std::thread busy([&] {
    while (!stop.load()) {
      auto r = trap::trap([] {
        std::fputs("x", stdout);
        std::clog << "w\n";
      });
      if (r.out() == "x" && r.warn().size() == 1) ++others;
    }
  });
  int wrong = 0;
  std::string first_wrong;
  for (int i = 0; i < 400 && wrong == 0; ++i) {
    auto r = trap::trap(":fork:timeout(5000)", [] {
      std::cout << "child";
      std::clog << "warned\n";
    });
    if (r.leaveby() != "return" || r.out() != "child" || r.warn().size() != 1) {
      ++wrong;
      first_wrong = "fork trap " + std::to_string(i) + ": left by " + r.leaveby() + ", out \"" +
                    r.out() + "\"";
    }
  }
  stop = true;
  busy.join();
  BOOST_TEST(wrong == 0, first_wrong);
  BOOST_TEST(others.load() > 0);
}
#endif  // TRAP_TEST_ASAN

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
  Barrier start(kThreads);
  std::atomic<int> gave_up{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (!start.arrive_and_wait()) ++gave_up;
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
  BOOST_TEST(gave_up.load() == 0);
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
