// SPDX-License-Identifier: BSL-1.0
// Failed system calls: every call a trap makes, made to fail at its Nth
// use (fault_walk.hpp), ends in a clear TrapError naming the call (or is
// retried), and leaves descriptors 1 and 2 where they were, nothing behind,
// and a next trap that works.
#define BOOST_TEST_MODULE faults
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "posix/fd.hpp"
#include "support/fault_walk.hpp"
#include "support/test_support.hpp"

using fault_walk::Outcome;

namespace {

// A trap with @p spec around code that writes to both streams; on success
// it must have captured both whole.
Outcome spring(const std::string& spec) {
  try {
    auto r = trap::trap(spec, [] {
      std::cout << "out" << std::flush;
      std::cerr << "err" << std::flush;
    });
    BOOST_TEST(r.out() == "out");
    BOOST_TEST(r.err() == "err");
    return {};
  } catch (const trap::TrapError& e) {
    return {true, e.what()};
  }
}

fault_walk::Coverage walk_trap(const std::string& spec,
                               const std::set<std::string>& tolerated = {}) {
  auto c = fault_walk::walk([&] { return spring(spec); }, [&] { BOOST_TEST(!spring(spec).failed); },
                            {}, tolerated);
  BOOST_TEST_MESSAGE("\"" << spec << "\": " << fault_walk::describe(c));
  return c;
}

// Points descriptor 2 at /dev/null while it lives: what tee copies to the
// original stderr does not clutter the test's output.
struct QuietStderr {
  int saved = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
  QuietStderr() {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    ::dup2(null, 2);
    ::close(null);
  }
  ~QuietStderr() {
    ::dup2(saved, 2);
    ::close(saved);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(default_trap_walk) {
  auto c = walk_trap("");
  // Two captures: each saves its stream (dup), diverts and restores it
  // (dup2 twice) and reads its file back (pread).
  BOOST_TEST(c.counts["dup"] >= 2);
  BOOST_TEST(c.counts["dup2"] >= 4);
  BOOST_TEST(c.counts["pread"] >= 2);
  BOOST_TEST(c.points >= 8);
}

BOOST_AUTO_TEST_CASE(pipe_and_tee_walk) {
  QuietStderr quiet;
  // tee's copy to the original stream is best effort (strategies/pipe.cpp,
  // tee_out): a write there that fails leaves the capture whole. A pipe
  // capture is watched from the drainer's next tick, and a watch that fails
  // there is tried again at the tick after (tick()): whether the trap ends
  // before that retry, reading the pipe at its end, depends on timing, so a
  // failed epoll_ctl may end in success with nothing lost, and the tick's
  // watch may not come at all before the trap ends; how many reads (and
  // FIONREAD asks) the drainer makes depends on how the output arrives.
  auto c = walk_trap(":flow:stdout(pipe):stderr(tee)",
                     {"write No space left on device", "epoll_ctl Resource temporarily unavailable",
                      "epoll_ctl Too many open files", "epoll_ctl unreached", "read unreached",
                      "ioctl unreached"});
  // Per capture a pipe, read at its end without asking its size (FIONREAD
  // only where the drainer reads, or that read comes back full or empty);
  // what tee reads is written to the original too. Both pipes are watched
  // from the drainer's next tick, so the epoll_ctl may come after the trap.
  BOOST_TEST(c.counts["pipe2"] >= 2);
  BOOST_TEST(c.counts["read"] >= 2);
  BOOST_TEST(c.counts["write"] >= 1);
  BOOST_TEST(c.counts["dup"] >= 2);
  BOOST_TEST(c.counts["dup2"] >= 4);
  BOOST_TEST(c.points >= 11);
}

BOOST_AUTO_TEST_CASE(tempfile_walk) {
  auto c = walk_trap(":flow:stdout(tempfile):stderr(tempfile)");
  // The pooled files and stream sinks are reused: per capture the sink is
  // pointed at the file and back (dup2), and the file read back.
  BOOST_TEST(c.counts["dup2"] >= 4);
  BOOST_TEST(c.counts["pread"] >= 2);
  BOOST_TEST(c.points >= 4);
}

BOOST_AUTO_TEST_CASE(tempfile_creation_failure_names_directory_and_call) {
  // A fresh directory has no pooled file: the first capture creates one.
  test_support::PrivateTmpdir tmp;
  const int fds = test_support::count_fds();
  trap::posix::inject_fault("open", 1, ENOSPC);
  Outcome o = spring(":flow:stdout(tempfile):stderr(tempfile)");
  trap::posix::inject_fault("", 0, 0);
  BOOST_TEST(o.failed);
  BOOST_TEST(o.message ==
             "cannot create temp file in \"" + tmp.path() + "\" (open): No space left on device");
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  // Without O_TMPFILE, mkstemp: its failure is named too, and no file stays.
  trap::posix::inject_fault("open", 1, EOPNOTSUPP);
  trap::posix::inject_fault("mkstemp", 1, EMFILE);
  o = spring(":flow:stdout(tempfile):stderr(tempfile)");
  trap::posix::inject_fault("", 0, 0);
  BOOST_TEST(o.message ==
             "cannot create temp file in \"" + tmp.path() + "\" (mkstemp): Too many open files");
  trap::posix::inject_fault("open", 1, EOPNOTSUPP);
  BOOST_TEST(!spring(":flow:stdout(tempfile):stderr(tempfile)").failed);  // the fallback works
  trap::posix::inject_fault("", 0, 0);
  BOOST_TEST(test_support::count_entries(tmp.path()) == 0);
}

BOOST_AUTO_TEST_CASE(short_reads_and_writes_are_completed) {
  auto r = trap::trap(":flow:stdout(pipe)", [] {
    trap::posix::inject_fault("read", 1, -1);  // one short read
    std::cout << "complete text";
  });
  BOOST_TEST(r.out() == "complete text");
  trap::posix::inject_fault("pread", 1, -1);
  auto d = trap::trap([] { std::cout << "via dup2"; });
  BOOST_TEST(d.out() == "via dup2");
  trap::posix::inject_fault("", 0, 0);
}

BOOST_AUTO_TEST_CASE(interrupted_calls_are_retried) {
  for (const char* call : {"dup", "dup2", "pread"}) {
    trap::posix::inject_fault(call, 1, EINTR);
    trap::posix::inject_fault(call, 1, EINTR);  // the retry, interrupted again
    auto r = trap::trap([] { std::cout << "through"; });
    trap::posix::inject_fault("", 0, 0);
    BOOST_TEST(r.out() == "through", call);
  }
}

BOOST_AUTO_TEST_CASE(counting_sees_every_use_and_stops) {
  trap::trap([] {});  // warm
  trap::posix::count_calls(true);
  trap::trap([] {});
  trap::trap([] {});
  auto two = trap::posix::call_counts();
  trap::posix::count_calls(false);
  trap::trap([] {});
  BOOST_TEST((trap::posix::call_counts() == two));  // stopped
  trap::posix::count_calls(true);
  trap::trap([] {});
  auto one = trap::posix::call_counts();
  trap::posix::count_calls(false);
  BOOST_TEST(!one.empty());
  for (auto& [call, n] : one) BOOST_TEST(two[call] == 2 * n, call);
}

BOOST_AUTO_TEST_CASE(unknown_seam_point_is_an_error) {
  BOOST_CHECK_THROW(trap::posix::inject_fault("dupp", 1, EMFILE), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_failed_pipe_read_does_not_block_the_writer) {
  // More than a pipe holds: if the reader stopped at its error, the code
  // would wait for ever to write the rest.
  trap::posix::inject_fault("read", 1, EIO);
  try {
    trap::trap(":flow:stdout(pipe)", [] { std::cout << std::string(1 << 20, 'x') << std::flush; });
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).find("read(") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("Input/output error") != std::string::npos, e.what());
  }
  trap::posix::inject_fault("", 0, 0);
  auto r = trap::trap(":flow:stdout(pipe)", [] { std::cout << "next"; });
  BOOST_TEST(r.out() == "next");
}

BOOST_AUTO_TEST_CASE(a_read_that_says_eagain_loses_nothing) {
  // A read that finds nothing although FIONREAD saw bytes is asked again,
  // also by the drainer when the pipe has hung up (the trap ended): taking
  // that pipe for empty would drop what it holds. Which thread makes the
  // first read depends on timing; every run must see all of its output.
  for (int i = 0; i < 600; ++i) {
    trap::posix::inject_fault("read", 1 + i % 3, EAGAIN);
    auto r = trap::trap(":flow:stdout(pipe):stderr(pipe)", [] {
      std::cout << "out" << std::flush;
      std::cerr << "err" << std::flush;
    });
    trap::posix::inject_fault("", 0, 0);
    BOOST_TEST_REQUIRE(r.out() == "out", "run " << i);
    BOOST_TEST_REQUIRE(r.err() == "err", "run " << i);
  }
}
