// SPDX-License-Identifier: BSL-1.0
// The fork layer's pooled files (isolation/fork_kit.hpp): a fork trap takes
// its result file and handover socket from a pool and gives them back
// emptied, so that no trap sees anything of an earlier one's child; kits
// still open in a process that outlived its trap are not reused; a forked
// process never takes its parent's kits; threads share the pool.
#define BOOST_TEST_MODULE fork_kit
#include "isolation/fork_kit.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

namespace {

using trap::detail::pooled_fork_kits;

// The descriptor of this process's fork trap result file (a memfd named
// "trap-fork"), or -1: what a child that dies mid-write has written to.
int result_file() {
  DIR* d = ::opendir("/proc/self/fd");
  int found = -1;
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    char target[256] = {};
    const std::string link = std::string("/proc/self/fd/") + e->d_name;
    if (::readlink(link.c_str(), target, sizeof target - 1) > 0 &&
        std::strstr(target, "memfd:trap-fork") != nullptr)
      found = std::atoi(e->d_name);
  }
  if (d) ::closedir(d);
  return found;
}

// Writes the start of a record that never ends (as a child killed while
// writing leaves it) to every result file this process holds.
void write_half_a_record() {
  DIR* d = ::opendir("/proc/self/fd");
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    char target[256] = {};
    const std::string link = std::string("/proc/self/fd/") + e->d_name;
    if (::readlink(link.c_str(), target, sizeof target - 1) > 0 &&
        std::strstr(target, "memfd:trap-fork") != nullptr)
      (void)!::write(std::atoi(e->d_name), "TRAPFORK1 9999\n1:", 17);
  }
  if (d) ::closedir(d);
}

// A clean fork trap: prints @p text and returns 3.
void expect_clean_trap(const std::string& text) {
  auto r = trap::trap<":fork">([&] {
    std::cout << text << std::flush;
    return 3;
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<int>() == 3);
  BOOST_TEST(r.out() == text);
  BOOST_TEST(r.err() == "");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_fork_trap_reuses_the_files_of_the_one_before) {
  expect_clean_trap("first");
  BOOST_TEST(pooled_fork_kits() == 1);
  const int fd = result_file();
  const int fds = test_support::count_fds();
  expect_clean_trap("second");
  BOOST_TEST(pooled_fork_kits() == 1);
  BOOST_TEST(result_file() == fd, "the same result file");
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
}

BOOST_AUTO_TEST_CASE(a_trap_sees_nothing_of_an_earlier_child_that_died_mid_write) {
  expect_clean_trap("before");
  try {
    trap::trap<":fork">([] {
      std::cout << "dying" << std::flush;
      write_half_a_record();
      ::raise(SIGKILL);
    });
    BOOST_FAIL("no TrapError for the cut record");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).find("truncated") != std::string::npos, e.what());
  }
  BOOST_TEST(pooled_fork_kits() == 1);
  expect_clean_trap("after");
}

BOOST_AUTO_TEST_CASE(a_trap_sees_nothing_of_an_earlier_child_that_was_killed) {
  auto killed = trap::trap<":fork">([] {
    std::cout << "killed" << std::flush;
    ::raise(SIGKILL);
  });
  BOOST_TEST(killed.leaveby() == "signal");
  BOOST_TEST(killed.out() == "killed");
  expect_clean_trap("");
  auto aborted = trap::trap<":fork">([] {
    std::cout << "aborted";
    std::abort();
  });
  BOOST_TEST(aborted.out() == "aborted");
  expect_clean_trap("next");
}

BOOST_AUTO_TEST_CASE(files_a_grandchild_still_holds_are_not_reused) {
  expect_clean_trap("pooled");
  const int before = pooled_fork_kits();
  int go[2], done[2];
  BOOST_TEST_REQUIRE(::pipe(go) == 0);
  BOOST_TEST_REQUIRE(::pipe(done) == 0);
  auto r = trap::trap<":fork">([&] {
    if (::fork() == 0) {
      // Outlives the trap, in its group, then writes where its parent's
      // record went and into the handover socket's queue.
      char c;
      (void)!::read(go[0], &c, 1);
      write_half_a_record();
      (void)!::write(done[1], "d", 1);
      ::_exit(0);
    }
    std::cout << "parent of a survivor" << std::flush;
  });
  BOOST_TEST(r.out() == "parent of a survivor");
  BOOST_TEST(pooled_fork_kits() == before - 1, "the trap's kit stays out of the pool");
  BOOST_TEST(::write(go[1], "g", 1) == 1);
  BOOST_TEST(test_support::read_byte_within(done[0]) == 'd', "the grandchild wrote");
  for (int fd : {go[0], go[1], done[0], done[1]}) ::close(fd);
  expect_clean_trap("not disturbed");
  expect_clean_trap("nor here");
}

BOOST_AUTO_TEST_CASE(a_child_never_takes_its_parents_kits) {
  expect_clean_trap("one pooled");
  BOOST_TEST_REQUIRE(pooled_fork_kits() == 1);
  auto outer = trap::trap<":fork">([] {
    // The parent's pooled kit is not this process's.
    const int inherited = pooled_fork_kits();
    auto inner = trap::trap<":fork">([] {
      std::cout << "inner" << std::flush;
      return 5;
    });
    std::cout << inherited << " " << inner.out() << " " << inner.return_value<int>() << " "
              << pooled_fork_kits() << std::flush;
  });
  BOOST_TEST(outer.leaveby() == "return", outer.die());
  BOOST_TEST(outer.out() == "0 inner 5 1", "none inherited, its own one pooled after");
  BOOST_TEST(pooled_fork_kits() == 1);
  expect_clean_trap("outer again");
}

BOOST_AUTO_TEST_CASE(a_process_forked_by_the_code_keeps_to_its_own_kits) {
  expect_clean_trap("pooled");
  int report[2];
  BOOST_TEST_REQUIRE(::pipe(report) == 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Both processes trap at once; each sees only its own children.
    bool ok = true;
    for (int i = 0; i < 20 && ok; ++i) {
      auto r = trap::trap<":fork">([i] { std::cout << "forked " << i << std::flush; });
      ok = r.out() == "forked " + std::to_string(i) && r.leaveby() == "return";
    }
    (void)!::write(report[1], ok ? "y" : "n", 1);
    ::_exit(0);
  }
  for (int i = 0; i < 20; ++i) expect_clean_trap("parent " + std::to_string(i));
  BOOST_TEST(test_support::read_byte_within(report[0]) == 'y');
  ::close(report[0]);
  ::close(report[1]);
  int status = 0;
  BOOST_TEST(::waitpid(pid, &status, 0) == pid);
}

BOOST_AUTO_TEST_CASE(threads_trapping_at_once_share_the_pool) {
  constexpr int kThreads = 3, kTraps = 30;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < kTraps; ++i) {
        const std::string text = std::to_string(t) + "/" + std::to_string(i);
        auto r = trap::trap<":fork">([&] {
          std::cout << text << std::flush;
          return t;
        });
        if (r.out() != text || r.return_value<int>() != t) ++wrong[t];
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) BOOST_TEST(wrong[t] == 0, "thread " << t);
  // The threads' kits, and the one this thread keeps for its next trap.
  BOOST_TEST(pooled_fork_kits() >= 1);
  BOOST_TEST(pooled_fork_kits() <= kThreads + 1);
}

// Each thread keeps the kit of its last fork trap for its next one; when
// the thread ends, the kit goes to the pool, where another thread takes it.
BOOST_AUTO_TEST_CASE(an_ended_thread_s_kit_goes_to_the_pool) {
  expect_clean_trap("kept by this thread");
  const int before = pooled_fork_kits();
  auto trap_on_a_new_thread = [](const std::string& text) {
    bool clean = false;
    std::thread([&] {
      auto r = trap::trap<":fork">([&] { std::cout << text << std::flush; });
      clean = r.leaveby() == "return" && r.out() == text;
    }).join();
    return clean;
  };
  BOOST_TEST(trap_on_a_new_thread("first thread"));
  // This thread keeps one, the rest are pooled: the thread took one of them
  // (or made one, when there was none) and left it in the pool as it ended.
  BOOST_TEST(pooled_fork_kits() == std::max(before, 2), "a kit ended with the thread");
  const int pooled = pooled_fork_kits();
  const int fds = test_support::count_fds();
  BOOST_TEST(trap_on_a_new_thread("second thread"));
  BOOST_TEST(test_support::settled_fd_count(fds) == fds, "the second thread took a pooled kit");
  BOOST_TEST(pooled_fork_kits() == pooled);
  expect_clean_trap("this thread again");
}
