// SPDX-License-Identifier: BSL-1.0
// A plain fork trap's child on its default path: its captures write to
// files the parent made and keeps for the thread's next fork trap (the
// child creates none), it allocates nothing, and what those kept files
// held before never shows in a later trap: not a longer earlier output,
// not what a process that outlived its trap wrote there afterwards. Two
// threads' fork traps at once each get their own.
#define BOOST_TEST_MODULE fork_child_files
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "posix/fd.hpp"
#include "support/replaced_new.hpp"

namespace {

// Allocations made by processes other than the one that set counting_pid,
// counted in memory all of them share: a fork trap's child's allocations,
// seen by its parent.
struct SharedCount {
  std::atomic<int> counting_pid{0};
  std::atomic<long> child_allocations{0};
};

SharedCount* shared_count() {
  static SharedCount* c = [] {
    void* p = ::mmap(nullptr, sizeof(SharedCount), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    return new (p) SharedCount;
  }();
  return c;
}

[[maybe_unused]] void note_allocation() noexcept {  // unused under TSan
  static SharedCount* c = shared_count();
  const int counting = c->counting_pid.load(std::memory_order_relaxed);
  if (counting != 0 && counting != ::getpid()) c->child_allocations.fetch_add(1);
}

// How many allocations the child of one fork trap running @p code makes.
template <class F>
long child_allocations_of(F code) {
  SharedCount* c = shared_count();
  c->child_allocations.store(0);
  c->counting_pid.store(::getpid());
  trap::Trap r = trap::trap<":fork">(code);
  c->counting_pid.store(0);
  BOOST_TEST(r.leaveby() == "return");
  return c->child_allocations.load();
}

// A trapper whose `blocked` layer, below the fork layer, says as it ends
// whether SIGUSR1 is blocked then (in the child).
trap::Trapper& mask_watch() {
  static trap::Trapper t("fork_child_files::mask_watch", &trap::standard());
  static bool once = [] {
    auto& B = trap::Builder::instance();
    B.layer(t, "blocked", [](trap::Trap& self, std::string_view) {
      self.teardown([](trap::Trap& me) {
        sigset_t now;
        ::sigprocmask(SIG_BLOCK, nullptr, &now);
        me.set("blocked", sigismember(&now, SIGUSR1) == 1);
      });
      self.next();
    });
    B.accessor(t, {.simple = {"blocked"}});
    return true;
  }();
  (void)once;
  return t;
}

void underscore_exit_five(int) { ::_exit(5); }

// The inode of what descriptor @p fd is, in the calling process.
long inode_of(int fd) {
  struct stat s = {};
  return ::fstat(fd, &s) == 0 ? static_cast<long>(s.st_ino) : -1;
}

}  // namespace

TRAP_TEST_REPLACE_NEW(note_allocation)

BOOST_AUTO_TEST_CASE(the_child_of_a_warm_fork_trap_allocates_nothing) {
  (void)child_allocations_of([] {});  // the thread's first: its kit, its blocks
  const long second = child_allocations_of([] {});
  const long third = child_allocations_of([] {});
  if (TRAP_TEST_REPLACES_NEW) {
    BOOST_TEST(second == 0);
    BOOST_TEST(third == 0);
  }
}

BOOST_AUTO_TEST_CASE(the_child_creates_no_capture_file) {
  (void)trap::trap<":fork">([] {});
  trap::posix::count_calls(true);
  auto r = trap::trap<":fork">([] {
    std::cout << "out";
    std::cerr << "err";
  });
  auto counts = trap::posix::call_counts();  // the child's calls too: shared
  trap::posix::count_calls(false);
  BOOST_TEST(r.out() == "out");
  BOOST_TEST(r.err() == "err");
  BOOST_TEST(counts["memfd_create"] == 0);
  BOOST_TEST(counts["open"] == 0);
  BOOST_TEST(counts["mkstemp"] == 0);
}

BOOST_AUTO_TEST_CASE(the_thread_s_next_fork_trap_captures_into_the_same_files) {
  auto first = trap::trap<":fork">([] { return inode_of(1) * 1000003 + inode_of(2); });
  auto second = trap::trap<":fork">([] { return inode_of(1) * 1000003 + inode_of(2); });
  BOOST_TEST(first.return_value<long>() == second.return_value<long>());
}

BOOST_AUTO_TEST_CASE(a_shorter_output_after_a_longer_one_shows_nothing_of_it) {
  auto longer = trap::trap<":fork">([] {
    std::cout << "a longer output than the next" << std::flush;
    std::fprintf(stderr, "and on stderr too\n");
  });
  BOOST_TEST(longer.out() == "a longer output than the next");
  BOOST_TEST(longer.err() == "and on stderr too\n");
  auto shorter = trap::trap<":fork">([] {
    std::cout << "ab";
    std::cerr << "c";
  });
  BOOST_TEST(shorter.out() == "ab");
  BOOST_TEST(shorter.err() == "c");
  auto none = trap::trap<":fork">([] {});
  BOOST_TEST(none.out() == "");
  BOOST_TEST(none.err() == "");
}

// A grandchild in a session of its own (so the trap does not wait for it,
// and its files go back to the thread) writes to the trap's stdout after
// the trap ended and its parent read the capture.
BOOST_AUTO_TEST_CASE(what_a_process_writes_after_its_trap_never_reaches_the_next) {
  int go[2], gone[2];
  BOOST_REQUIRE(::pipe(go) == 0);
  BOOST_REQUIRE(::pipe(gone) == 0);
  auto r = trap::trap<":fork">([&] {
    std::cout << "before" << std::flush;
    if (::fork() == 0) {
      ::setsid();
      ::close(go[1]);
      ::close(gone[0]);
      char c;
      (void)!::read(go[0], &c, 1);  // until the test says so
      (void)!::write(1, "late", 4);
      ::_exit(0);  // closes gone[1]: the test sees it end
    }
  });
  ::close(go[0]);
  ::close(gone[1]);
  BOOST_TEST(r.out() == "before");
  (void)!::write(go[1], "g", 1);
  char c;
  BOOST_TEST(::read(gone[0], &c, 1) == 0);  // the grandchild has written and ended
  ::close(go[1]);
  ::close(gone[0]);
  auto next = trap::trap<":fork">([] { std::cout << "next"; });
  BOOST_TEST(next.out() == "next");
}

BOOST_AUTO_TEST_CASE(two_threads_fork_traps_at_once_each_get_their_own_output) {
  std::atomic<int> wrong{0};
  auto run = [&wrong](const std::string& name) {
    for (int i = 0; i < 20; ++i) {
      const std::string text = name + std::to_string(i);
      auto r = trap::trap<":fork">([&] {
        std::cout << text;
        std::cerr << text << "!";
        return i;
      });
      if (r.out() != text || r.err() != text + "!" || r.return_value<int>() != i) ++wrong;
    }
  };
  std::thread a(run, "a"), b(run, "b");
  a.join();
  b.join();
  BOOST_TEST(wrong.load() == 0);
}

// _exit() from SIGUSR1's handler, which runs with SIGUSR1 blocked: only
// the fork layer's own frame takes _exit() (the exit layer below it takes
// exit()), and the jump back there unblocks it, as the layer began.
BOOST_AUTO_TEST_CASE(an_exit_from_a_signal_handler_leaves_the_mask_as_it_was) {
  auto r = mask_watch().trap(":blocked:fork", [] {
    ::signal(SIGUSR1, underscore_exit_five);
    ::raise(SIGUSR1);
  });
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(r.exit_code().value_or(-1) == 5);
  BOOST_REQUIRE(r.get("blocked") != nullptr);
  BOOST_TEST(*r.get("blocked") == trap::Value(false));
}

// The child builds its record in a room on its stack; a bigger record (here
// 64 KiB of output) takes the heap and comes back whole.
BOOST_AUTO_TEST_CASE(a_record_bigger_than_the_child_s_room_comes_back_whole) {
  const std::string big(64 * 1024, 'x');
  auto r = trap::trap<":fork">([&] {
    std::cout << big;
    return 7;
  });
  BOOST_TEST(r.out() == big);
  BOOST_TEST(r.return_value<int>() == 7);
  auto small = trap::trap<":fork">([] { std::cout << "small"; });
  BOOST_TEST(small.out() == "small");
}
