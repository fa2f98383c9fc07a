// Failed system calls: every call a trap makes, made to fail at its Nth
// use, ends in a clear TrapError naming the call (or is retried), and leaves
// descriptors 1 and 2 where they were, no descriptor behind, and a next trap
// that works.
#define BOOST_TEST_MODULE faults
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "posix/fd.hpp"
#include "test_support.hpp"

using test_support::identity;

namespace {

struct Outcome {
  bool failed = false;
  std::string message;
};

Outcome spring(const std::string& spec) {
  try {
    auto r = trap::trap(spec, [] {
      std::cout << "out";
      std::cerr << "err";
    });
    return {};
  } catch (const trap::TrapError& e) {
    return {true, e.what()};
  }
}

// Makes the Nth use of each call fail in turn, until a trap runs without
// reaching it. Returns how many injection points were walked.
int walk(const std::string& spec, const char* call, int err) {
  const auto out = identity(1), errfd = identity(2);
  const int fds = test_support::count_fds();
  int points = 0;
  for (int nth = 1; nth < 20; ++nth) {
    trap::posix::inject_fault(call, nth, err);
    Outcome o = spring(spec);
    trap::posix::inject_fault("", 0, 0);  // clear what was not reached
    BOOST_TEST_CONTEXT(spec << " " << call << " #" << nth) {
      BOOST_TEST((identity(1) == out));
      BOOST_TEST((identity(2) == errfd));
      // No descriptor left behind (a capture file whose read failed is
      // dropped from the pool, so there may be one fewer).
      BOOST_TEST(test_support::count_fds() <= fds);
      if (o.failed) {
        BOOST_TEST(o.message.find(std::string(call == std::string("read") ? "pread" : call)) !=
                       std::string::npos,
                   "message names the call: " << o.message);
        BOOST_TEST(o.message.find(std::strerror(err)) != std::string::npos, o.message);
      }
      auto next = trap::trap(spec, [] { std::cout << "next"; });
      BOOST_TEST(next.out() == "next");
    }
    if (!o.failed) break;
    ++points;
  }
  return points;
}

}  // namespace

BOOST_AUTO_TEST_CASE(default_trap_fails_cleanly_at_every_dup) {
  // The fds are taken before any trap, so the pools are warm and the walk
  // meets the calls every trap makes.
  spring("");
  BOOST_TEST(walk("", "dup", EMFILE) >= 2);
  BOOST_TEST(walk("", "dup2", EBADF) >= 2);
  BOOST_TEST(walk("", "read", EIO) >= 1);
}

BOOST_AUTO_TEST_CASE(pipe_trap_fails_cleanly) {
  // Inside a trap of its own: tee shows what it captures.
  auto outer = trap::trap(":flow:stderr(pipe)", [] {
    spring(":flow:stdout(pipe):stderr(tee)");
    BOOST_TEST(walk(":flow:stdout(pipe):stderr(tee)", "pipe2", EMFILE) >= 2);
    BOOST_TEST(walk(":flow:stdout(pipe):stderr(tee)", "dup", EMFILE) >= 2);
    BOOST_TEST(walk(":flow:stdout(pipe):stderr(tee)", "dup2", EBADF) >= 2);
  });
  BOOST_TEST(outer.err().find("err") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tempfile_trap_fails_cleanly) {
  const char* old = std::getenv("TMPDIR");
  std::string dir = "/tmp/trap-faults-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  ::setenv("TMPDIR", dir.c_str(), 1);
  // A fresh directory has no pooled file: the first capture creates one.
  const int fds = test_support::count_fds();
  trap::posix::inject_fault("open", 1, ENOSPC);
  Outcome o = spring(":flow:stdout(tempfile):stderr(tempfile)");
  trap::posix::inject_fault("", 0, 0);
  BOOST_TEST(o.failed);
  BOOST_TEST(o.message == "cannot create temp file in \"" + dir + "\": No space left on device");
  BOOST_TEST(test_support::count_fds() == fds);
  spring(":flow:stdout(tempfile):stderr(tempfile)");  // fills the pool
  BOOST_TEST(walk(":flow:stdout(tempfile):stderr(tempfile)", "dup", EMFILE) >= 2);
  if (old) ::setenv("TMPDIR", old, 1); else ::unsetenv("TMPDIR");
  BOOST_TEST(test_support::count_entries(dir) == 0);
  ::rmdir(dir.c_str());
}

BOOST_AUTO_TEST_CASE(short_reads_and_writes_are_retried) {
  auto r = trap::trap(":flow:stdout(pipe)", [] {
    trap::posix::inject_fault("read", 1, -1);  // one short read
    std::cout << "complete text";
  });
  BOOST_TEST(r.out() == "complete text");
  trap::posix::inject_fault("read", 1, -1);
  auto d = trap::trap([] { std::cout << "via dup2"; });
  BOOST_TEST(d.out() == "via dup2");
  trap::posix::inject_fault("", 0, 0);
}
