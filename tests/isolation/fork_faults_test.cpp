// SPDX-License-Identifier: BSL-1.0
// Failed system calls in fork traps: every use of every call, in the parent
// and in the child (which shares the fault table), made to fail in turn.
#define BOOST_TEST_MODULE fork_faults
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <set>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "support/fault_walk.hpp"

using fault_walk::Outcome;

namespace {

Outcome fork_trap() {
  try {
    auto r = trap::trap<":fork">([] {
      std::cout << "out" << std::flush;
      std::cerr << "err" << std::flush;
      return 7;
    });
    BOOST_TEST(r.leaveby() == "return");
    BOOST_TEST(r.return_value<int>() == 7);
    BOOST_TEST(r.out() == "out");
    BOOST_TEST(r.err() == "err");
    return {};
  } catch (const trap::TrapError& e) {
    return {true, e.what()};
  }
}

// Captures in the child's own temp files: a child forgets the pool it
// inherited, so it creates them.
Outcome tempfile_fork_trap(bool without_tmpfile) {
  if (without_tmpfile) trap::posix::inject_fault("open", 1, EOPNOTSUPP);
  try {
    auto r = trap::trap(":flow:stdout(tempfile):stderr(tempfile):fork", [] {
      std::cout << "out";
      std::cerr << "err";
    });
    BOOST_TEST(r.out() == "out");
    BOOST_TEST(r.err() == "err");
    return {};
  } catch (const trap::TrapError& e) {
    return {true, e.what()};
  }
}

// A child that outlives its deadline: the parent asks it for its captures
// (the rescue signal), waits, then kills its process group. The child must
// fork and print before the deadline: 1 s is far more than that takes, and
// every run of the walk waits it out.
Outcome timed_out_fork_trap() {
  try {
    auto r = trap::trap<":fork:timeout(1000)">([] {
      std::cout << "working" << std::flush;
      for (;;) ::pause();
    });
    BOOST_TEST(r.leaveby() == "timeout");
    BOOST_TEST(r.out() == "working");
    return {};
  } catch (const trap::TrapError& e) {
    return {true, e.what()};
  }
}

// The parent reads the events its children sent (the hub's file) before
// the record: a failed read there is put off to the hub's next collection
// (hub.cpp, read_children: the offset stays), so the trap itself succeeds.
const std::set<std::string> kHubReadPutOff = {"pread Resource temporarily unavailable",
                                              "pread Too many open files"};

// ... and the trap's files, once its child has ended, are emptied for the
// next fork trap (isolation/fork_kit.hpp): when that fails they are closed
// instead, which costs the next trap new ones and this one nothing.
const std::set<std::string> kPutOffOrPooled = {
    "pread Resource temporarily unavailable", "pread Too many open files",
    "ftruncate Resource temporarily unavailable", "ftruncate No space left on device"};

}  // namespace

BOOST_AUTO_TEST_CASE(timed_out_fork_trap_walk) {
  // Only the calls the timeout adds: the fork trap's others are walked
  // above, and each run here waits out the deadline.
  auto c = fault_walk::walk(timed_out_fork_trap, [] { BOOST_TEST(!timed_out_fork_trap().failed); },
                            {"kill", "waitpid"});
  BOOST_TEST_MESSAGE("timed-out fork trap: " << fault_walk::describe(c));
  // The rescue signal to the child, then SIGKILL to its group.
  BOOST_TEST(c.counts["kill"] >= 2);
  BOOST_TEST(c.points >= 2);
}

BOOST_AUTO_TEST_CASE(fork_trap_walk) {
  auto c = fault_walk::walk(
      fork_trap, [] { BOOST_TEST(!fork_trap().failed); }, {}, kPutOffOrPooled);
  BOOST_TEST_MESSAGE("fork trap: " << fault_walk::describe(c));
  // The parent: the fork, the wait, the record read back, the pooled result
  // file emptied. The child: the captures (into the files of the thread's
  // kit: it creates none), the record written.
  BOOST_TEST(c.counts["memfd_create"] == 0);
  BOOST_TEST(c.counts["ftruncate"] >= 1);
  BOOST_TEST(c.counts["fork"] == 1);
  BOOST_TEST(c.counts["waitpid"] >= 1);
  BOOST_TEST(c.counts["write"] >= 1);
  BOOST_TEST(c.counts["dup"] >= 2);
  BOOST_TEST(c.counts["dup2"] >= 4);
  BOOST_TEST(c.counts["pread"] >= 3);
  BOOST_TEST(c.points >= 14);
}

BOOST_AUTO_TEST_CASE(fork_trap_with_tempfile_captures_walk) {
  auto c =
      fault_walk::walk([] { return tempfile_fork_trap(false); },
                       [] { BOOST_TEST(!tempfile_fork_trap(false).failed); }, {}, kPutOffOrPooled);
  BOOST_TEST_MESSAGE("tempfile fork trap: " << fault_walk::describe(c));
  BOOST_TEST(c.counts["open"] >= 2);
  BOOST_TEST(c.points >= 10);
}

BOOST_AUTO_TEST_CASE(fork_trap_without_tmpfile_walks_mkstemp) {
  auto c = fault_walk::walk([] { return tempfile_fork_trap(true); },
                            [] { BOOST_TEST(!tempfile_fork_trap(false).failed); }, {"mkstemp"});
  BOOST_TEST_MESSAGE("mkstemp fallback: " << fault_walk::describe(c));
  BOOST_TEST(c.counts["mkstemp"] >= 1);
  BOOST_TEST(c.points >= 1);
}

BOOST_AUTO_TEST_CASE(a_record_that_cannot_be_written_at_all_is_reported) {
  // The record and the short one that would say why both fail: the exit
  // status the child ends with is reported.
  trap::posix::inject_fault("write", 1, ENOSPC);
  trap::posix::inject_fault("ftruncate", 1, EIO);
  try {
    trap::trap<":fork">([] { return 1; });
    trap::posix::inject_fault("", 0, 0);
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    trap::posix::inject_fault("", 0, 0);
    BOOST_TEST(
        std::string(e.what()).find("could not send its results (exit 125)") != std::string::npos,
        e.what());
  }
  BOOST_TEST(test_support::count_children() == 0);
}
