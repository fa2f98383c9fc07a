// SPDX-License-Identifier: BSL-1.0
// Default traps (with their warn layer) and every capture strategy on
// several threads at once, a tempfile capture while another thread prints,
// and threads that end (pthread_exit, pthread_cancel) inside a trap.
#define BOOST_TEST_MODULE threads
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

namespace {

constexpr int kThreads = 4;

std::string line(const char* what, int thread, int i) {
  return std::string(what) + " " + std::to_string(thread) + " " + std::to_string(i) + "\n";
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

// Runs @p rounds traps of @p spec on each of kThreads threads at once; each
// writes warnings (std::clog and trap::warn) and stdout lines of its own and
// checks its trap holds exactly those. Returns the number of wrong traps.
int wrong_traps(const std::string& spec, int rounds) {
  std::barrier start(kThreads);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < rounds; ++i) {
        auto r = trap::trap(spec, [&] {
          std::clog << line("clog", t, i);
          trap::warn(line("warn", t, i));
          std::cout << line("out", t, i) << std::flush;
        });
        const std::vector<std::string> want{line("clog", t, i), line("warn", t, i)};
        if (r.warn() != want || r.out() != line("out", t, i) || r.err() != want[0] + want[1])
          ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  return wrong.load();
}

// A trapper with a layer whose teardown says it ran.
std::atomic<int> teardowns_run{0};
trap::Trapper& marking() {
  static trap::Trapper t("threads::marking", &trap::standard());
  static bool once = [] {
    trap::Builder::instance().layer(t, "mark", [](trap::Trap& self, std::string_view) {
      self.teardown([] { ++teardowns_run; });
      self.next();
    });
    return true;
  }();
  (void)once;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(default_traps_with_every_strategy_on_several_threads) {
  BOOST_TEST(wrong_traps("", 50) == 0);
  for (const char* s : {"memory", "dup2", "pipe", "tee", "tempfile"}) {
    BOOST_TEST_CONTEXT("strategy " << s) {
      BOOST_TEST(wrong_traps(std::string(":output(") + s + ")", 30) == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(warn_layers_active_on_several_threads_at_once_see_only_their_own) {
  // All inside their traps at once (the barrier inside the code), writing
  // interleaved: each trap holds its thread's warnings, in order.
  std::barrier inside(kThreads);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        // (stderr(memory): the warnings' copy on stderr stays per thread)
        auto r = trap::trap(":flow:stderr(memory):warn", [&] {
          inside.arrive_and_wait();
          for (int i = 0; i < 20; ++i) {
            std::clog << line("clog", t, i);
            trap::warn(line("warn", t, i));
          }
          inside.arrive_and_wait();  // nobody ends before all wrote
        });
        std::vector<std::string> want;
        for (int i = 0; i < 20; ++i) {
          want.push_back(line("clog", t, i));
          want.push_back(line("warn", t, i));
        }
        if (r.warn() != want) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(wrong.load() == 0);
  // std::clog is its own again.
  auto after = trap::trap(":flow:stderr(memory):warn", [] { std::clog << "after\n"; });
  BOOST_TEST(after.warn() == std::vector<std::string>{"after\n"});
}

BOOST_AUTO_TEST_CASE(tempfile_captures_while_another_thread_prints) {
  // The printer writes through `stdout` and std::cout all along; each
  // capture ends while it may be inside printf. Everything lands in an
  // outer dup2 capture of this thread, so the test's output stays quiet.
  std::atomic<bool> stop{false};
  std::atomic<int> missing{0}, printed{0};
  Gate printing;
  auto outer = trap::trap(":flow:stdout(dup2)", [&] {
    std::thread printer([&] {
      for (int n = 0; !stop.load() && n < 10'000'000; ++n) {
        std::printf("printed %d\n", n);
        std::cout << "streamed " << n << ' ' << n << ' ' << n << '\n';
        if (printed.exchange(n + 1) == 0) printing.open();
      }
    });
    printing.wait();
    for (int i = 0; i < 300; ++i) {
      auto r = trap::trap(":flow:stdout(tempfile)", [&] {
        std::printf("mine %d\n", i);
        // One write: the printer's bytes may come between two.
        std::cout << "mine too " + std::to_string(i) + "\n" << std::flush;
      });
      const std::string out = r.out();
      if (out.find("mine " + std::to_string(i) + "\n") == std::string::npos ||
          out.find("mine too " + std::to_string(i) + "\n") == std::string::npos) {
        ++missing;
      }
    }
    stop = true;
    printer.join();
  });
  BOOST_TEST(missing.load() == 0);
  BOOST_TEST(outer.leaveby() == "return");
  BOOST_TEST(printed.load() > 0);
}

BOOST_AUTO_TEST_CASE(a_thread_still_writing_through_a_tempfile_stream_after_the_capture) {
  // The race above, made certain: another thread takes `stdout` and
  // std::cout's buffer while the capture is active and writes through them
  // after it ended. Its bytes go where stdout goes now (the outer capture),
  // through a FILE* and a buffer that still exist.
  Gate inside, taken, ended;
  trap::Trap r;
  auto outer = trap::trap(":flow:stdout(dup2)", [&] {
    std::thread late([&] {
      inside.wait();
      std::FILE* file = stdout;
      std::streambuf* buf = std::cout.rdbuf();
      taken.open();
      ended.wait();
      std::fputs("late printf\n", file);
      std::fflush(file);
      buf->sputn("late stream\n", 12);
      buf->pubsync();
    });
    r = trap::trap(":flow:stdout(tempfile)", [&] {
      inside.open();
      taken.wait();
      std::cout << "mine\n";
    });
    ended.open();
    late.join();
  });
  BOOST_TEST(r.out() == "mine\n");
  // (Ends with: a late byte of the printer above may come first.)
  BOOST_TEST(outer.out().ends_with("late printf\nlate stream\n"), "out: " << outer.out());
}

BOOST_AUTO_TEST_CASE(pthread_exit_inside_a_trap_ends_the_thread_after_the_teardowns) {
  const auto out_before = test_support::identity(1), err_before = test_support::identity(2);
  const int ran = teardowns_run.load();
  std::atomic<bool> after_exit{false};
  std::thread th([&] {
    marking().trap(":mark", [&] {
      std::cout << "captured, then gone" << std::flush;
      ::pthread_exit(nullptr);
    });
    after_exit = true;  // not reached
  });
  th.join();
  BOOST_TEST(!after_exit.load());
  BOOST_TEST(teardowns_run.load() == ran + 1);
  BOOST_TEST((test_support::identity(1) == out_before));
  BOOST_TEST((test_support::identity(2) == err_before));
  // The process-wide capture lock is free again: this would wait for ever.
  auto r = trap::trap([] { std::cout << "next"; });
  BOOST_TEST(r.out() == "next");
}

BOOST_AUTO_TEST_CASE(pthread_cancel_inside_a_trap_ends_the_thread_after_the_teardowns) {
  const auto out_before = test_support::identity(1), err_before = test_support::identity(2);
  const int ran = teardowns_run.load();
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  Gate inside;
  std::thread th([&] {
    marking().trap(":mark", [&] {
      inside.open();
      char c;
      (void)!::read(p[0], &c, 1);  // a cancellation point; nothing comes
    });
  });
  inside.wait();
  ::pthread_cancel(th.native_handle());
  th.join();
  ::close(p[0]);
  ::close(p[1]);
  BOOST_TEST(teardowns_run.load() == ran + 1);
  BOOST_TEST((test_support::identity(1) == out_before));
  BOOST_TEST((test_support::identity(2) == err_before));
  auto r = trap::trap([] { std::cout << "next"; });
  BOOST_TEST(r.out() == "next");
}

BOOST_AUTO_TEST_CASE(a_child_forked_inside_nested_warn_layers_exits_cleanly) {
  // The child's exit frees the traps it inherited (their teardowns never
  // run there), then flushes std::clog: no route may lead to a freed
  // buffer, whichever of the two is freed first.
  int status = -1;
  trap::trap([&] {
    trap::trap([&] {
      pid_t pid = ::fork();
      if (pid == 0) {
        std::clog << "in the child\n";
        std::exit(3);
      }
      ::waitpid(pid, &status, 0);
    });
  });
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 3);
}
