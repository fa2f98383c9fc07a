// SPDX-License-Identifier: BSL-1.0
// Out of memory anywhere in a trap loses nothing: for each spec, the n-th
// allocation of a trap fails (std::bad_alloc), for n = 1, 2, ... until a
// trap makes no n-th allocation. Each time the trap call either returns a
// trap or throws TrapError or std::bad_alloc (nothing else), std::cout,
// std::cerr and std::clog have their buffers back, descriptors 1 and 2 are
// the files they were, no descriptor stays open, and the next trap
// traps as it should. Each walk runs on a new thread (which takes over
// what an ended thread's traps kept), and once more on a thread that has
// sprung the spec before. ASan's leak check covers memory at exit.
#define BOOST_TEST_MODULE allocation_failures
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

#include "support/replaced_new.hpp"
#include "support/test_support.hpp"

namespace {

// This thread's allocations until one fails; 0 fails none.
thread_local long fail_countdown = 0;

// Fails this thread's allocation when its countdown reaches 0.
void count_down() {
  if (fail_countdown > 0 && --fail_countdown == 0) throw std::bad_alloc();
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};
FileId file_of(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return {};
  return {st.st_dev, st.st_ino};
}

void code() {
  std::cout << "out\n";
  std::cerr << "err\n";
  std::clog << "warned\n";
}

// What went wrong with the trap whose n-th allocation failed, or "".
std::string spring_failing_at(const std::string& spec, long n, bool& failed) {
  std::string outcome;
  fail_countdown = n;
  try {
    trap::Trap r = trap::trap(spec, code);
    (void)r.leaveby();
  } catch (const std::bad_alloc&) {
  } catch (const trap::TrapError&) {
  } catch (const std::exception& e) {
    outcome = std::string("the trap threw ") + e.what();
  }
  failed = fail_countdown == 0;
  fail_countdown = 0;
  return outcome;
}

// Walks the allocations of a trap with @p spec on a new thread; returns
// the first problem found, or "", and sets @p failures to the number of
// traps whose allocation failed.
std::string walk(const std::string& spec, bool warm, long& failures) {
  failures = 0;
  // A thread's traps keep descriptors that a later thread takes over when
  // it ends (the fork layer's kit): one thread before makes them, so that
  // the walk's thread starts with the descriptors it will end with.
  std::thread([&] { (void)trap::trap(spec, code); }).join();
  std::string problem;
  std::thread([&] {
    if (warm) (void)trap::trap(spec, code);
    std::streambuf* out = std::cout.rdbuf();
    std::streambuf* err = std::cerr.rdbuf();
    std::streambuf* log = std::clog.rdbuf();
    const FileId fd1 = file_of(1), fd2 = file_of(2);
    const int fds = test_support::count_fds();
    for (long n = 1; n <= 2000 && problem.empty(); ++n) {
      bool failed = false;
      problem = spring_failing_at(spec, n, failed);
      const std::string at = " (" + spec + ", allocation " + std::to_string(n) + ")";
      if (!problem.empty()) problem += at;
      if (problem.empty() &&
          (std::cout.rdbuf() != out || std::cerr.rdbuf() != err || std::clog.rdbuf() != log))
        problem = "a stream's buffer was not given back" + at;
      if (problem.empty() && (file_of(1) != fd1 || file_of(2) != fd2))
        problem = "descriptor 1 or 2 was not restored" + at;
      if (problem.empty()) {
        trap::Trap r = trap::trap(spec, code);
        if (r.leaveby() != "return" || r.warn().size() != 1)
          problem = "the next trap did not trap the code" + at;
      }
      if (const int now = test_support::settled_fd_count(fds); problem.empty() && now != fds)
        problem = "descriptors were left open: " + std::to_string(fds) + " before, " +
                  std::to_string(now) + " after" + at;
      if (!failed) break;
      ++failures;
      if (n == 2000) problem = "the walk did not end" + at;
    }
  }).join();
  return problem;
}

}  // namespace

TRAP_TEST_REPLACE_NEW(count_down)

BOOST_AUTO_TEST_CASE(every_allocation_of_a_trap_can_fail_and_lose_nothing) {
  // The program's first traps make the registry and the pools: made once
  // here, so that every walk starts from the same descriptors.
  for (const char* spec : {"", ":output(pipe)", ":output(tee)", ":output(tempfile)",
                           ":output(memory)", ":fork", ":timeout(10000)"})
    (void)trap::trap(spec, code);
  // The timeout layers' deadlines are far: the walk is of their
  // allocations, and a trap that checks the state after one must not time
  // out on a loaded machine (a fork child under AddressSanitizer took more
  // than 5 ms).
  for (const char* spec : {"", ":flow:stdout:stderr:warn", ":output(pipe)", ":output(tee)",
                           ":output(tempfile)", ":output(memory)", ":stdout(pipe):stderr(tee)",
                           ":fork", ":timeout(10000)", ":fork:timeout(10000)"}) {
    for (bool warm : {false, true}) {
      BOOST_TEST_CONTEXT(spec << (warm ? ", warm thread" : ", new thread")) {
        long failures = 0;
        BOOST_TEST(walk(spec, warm, failures) == "");
        // Every trap allocates: its record's values at least.
        if (TRAP_TEST_REPLACES_NEW) BOOST_TEST(failures > 0);
        BOOST_TEST_MESSAGE(spec << (warm ? " (warm): " : " (new thread): ") << failures
                                << " traps, each failing one allocation");
      }
    }
  }
}
