// SPDX-License-Identifier: BSL-1.0
// A trap springs without allocating once its thread has sprung one like it:
// its record, the control block that shares it and its captures come back
// from what the thread kept of earlier traps. And a record used again keeps
// nothing of the trap it held before.
#define BOOST_TEST_MODULE trap_allocations
#include <cstdlib>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "support/replaced_new.hpp"

namespace {

constexpr bool kCounts = TRAP_TEST_REPLACES_NEW;

// Allocations made on this thread while counting is on.
thread_local bool counting = false;
thread_local long allocations = 0;

// How many allocations @p fn makes on this thread.
template <class F>
long allocations_of(F&& fn) {
  allocations = 0;
  counting = true;
  fn();
  counting = false;
  return allocations;
}

const char* const kMemorySpec = ":flow:stdout(memory):stderr(memory)";

trap::Trap memory_trap() {
  return trap::trap(kMemorySpec, [] {
    std::cout << 'x';
    std::cerr << 'y';
  });
}

}  // namespace

namespace {
void count_allocation() {
  if (counting) ++allocations;
}
}  // namespace

TRAP_TEST_REPLACE_NEW(count_allocation)

BOOST_AUTO_TEST_CASE(a_memory_trap_allocates_nothing_after_the_first) {
  for (int i = 0; i < 3; ++i) (void)memory_trap();
  bool right = true;
  const long n = allocations_of([&] {
    for (int i = 0; i < 20; ++i) {
      trap::Trap r = memory_trap();
      right = right && r.out() == "x" && r.err() == "y" && r.leaveby() == "return";
    }
  });
  BOOST_TEST(right);
  if (kCounts) BOOST_TEST(n == 0);
}

BOOST_AUTO_TEST_CASE(a_flow_trap_allocates_nothing_after_the_first) {
  for (int i = 0; i < 3; ++i) (void)trap::trap(":flow", [] { return 42; });
  bool right = true;
  const long n = allocations_of([&] {
    for (int i = 0; i < 20; ++i) {
      trap::Trap r = trap::trap(":flow", [] { return 42; });
      right = right && r.return_value<int>() == 42;
    }
  });
  BOOST_TEST(right);
  if (kCounts) BOOST_TEST(n == 0);
}

BOOST_AUTO_TEST_CASE(a_record_used_again_keeps_nothing_of_its_last_trap) {
  {
    trap::Trap died = trap::trap(kMemorySpec, [](trap::Trap& t) {
      t.prop("mine")["key"] = 1;
      t.set("extra", trap::Value("kept"));
      std::cout << "out";
      throw std::runtime_error("boom");
    });
    BOOST_TEST(died.die() == "boom");
    BOOST_TEST(died.has("extra"));
  }
  // The last trap of the thread (trap::last()) holds a record too: replace
  // it, so that the record above is free for the next trap.
  (void)trap::trap(":flow", [] {});
  trap::Trap r = trap::trap(":flow", [](trap::Trap& t) {
    BOOST_TEST(t.prop("mine").empty());
    return 1;
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(!r.has("die"));
  BOOST_TEST(!r.has("extra"));
  BOOST_TEST(!r.has("stdout"));
  BOOST_TEST(r.die_type() == "");
  BOOST_TEST(!r.exception());
  BOOST_TEST(r.prop("mine").empty());
}

BOOST_AUTO_TEST_CASE(records_freed_on_another_thread_and_threads_that_end) {
  // Records of one thread freed on another, and threads ending with
  // records and captures they kept (a leak check sees what they free).
  for (int round = 0; round < 3; ++round) {
    trap::Trap made;
    std::thread maker([&] {
      for (int i = 0; i < 5; ++i) made = memory_trap();
    });
    maker.join();
    std::thread taker([&] {
      trap::Trap mine = std::move(made);
      BOOST_TEST(mine.out() == "x");
      mine = trap::Trap();
      trap::Trap r = memory_trap();
      BOOST_TEST(r.err() == "y");
    });
    taker.join();
  }
  trap::Trap here = memory_trap();
  BOOST_TEST(here.out() == "x");
}
