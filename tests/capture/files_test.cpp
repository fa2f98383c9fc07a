// SPDX-License-Identifier: BSL-1.0
// Capture files under code that treats stdout as a file: it moves the
// offset (lseek, pwrite, fseek), truncates it, or leaves a child process
// behind that writes to it after the trap. Nothing written is lost, and no
// trap sees another's bytes.
#define BOOST_TEST_MODULE capture_files
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

namespace bdata = boost::unit_test::data;

extern char** environ;

namespace {

const char* const kFileSpecs[] = {":flow:stdout(dup2)", ":flow:stdout(tempfile)"};

// Writes @p s at stdout's descriptor: fd 1 for dup2, the temp file behind
// `stdout` for tempfile.
void put(const char* s) {
  std::fflush(stdout);
  BOOST_TEST_REQUIRE(::write(::fileno(stdout), s, std::strlen(s)) ==
                     static_cast<ssize_t>(std::strlen(s)));
}

// A child that writes "late" to the stdout it inherited once a line comes
// on its stdin: a background process that outlives the trap it started
// in. Returns its pid and the write end of its stdin.
std::pair<pid_t, int> start_late_writer(bool by_fork) {
  int in[2];
  BOOST_TEST_REQUIRE(::pipe(in) == 0);
  const char* argv[] = {"sh", "-c", "read x; printf late", nullptr};
  pid_t pid = -1;
  if (by_fork) {
    std::fflush(nullptr);
    pid = ::fork();
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::execv("/bin/sh", const_cast<char**>(argv));
      ::_exit(127);
    }
  } else {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    BOOST_TEST_REQUIRE(
        ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char**>(argv), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  BOOST_TEST_REQUIRE(pid > 0);
  ::close(in[0]);
  return {pid, in[1]};
}

// Lets the late writer write, and waits until it has.
void let_write_and_reap(pid_t pid, int in) {
  BOOST_TEST_REQUIRE(::write(in, "go\n", 3) == 3);
  ::close(in);
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST_REQUIRE(WEXITSTATUS(status) == 0);
}

}  // namespace

BOOST_DATA_TEST_CASE(code_that_moves_the_offset_loses_nothing, bdata::make(kFileSpecs), spec) {
  // An earlier trap leaves bytes in the pooled file, before this trap's.
  trap::trap(spec, [] { std::cout << "an earlier trap's output"; });
  auto r = trap::trap(spec, [] {
    put("hello");
    BOOST_TEST(::lseek(::fileno(stdout), 0, SEEK_SET) >= 0);
    put(" seeked");
    BOOST_TEST(::pwrite(::fileno(stdout), " pwritten", 9, 0) == 9);
    std::fputs(" stdio", stdout);
    std::fflush(stdout);
  });
  // Every write lands at the end, as on a file opened for appending.
  BOOST_TEST(r.out() == "hello seeked pwritten stdio");
  auto next = trap::trap(spec, [] { std::cout << "next"; });
  BOOST_TEST(next.out() == "next");
}

BOOST_AUTO_TEST_CASE(code_that_truncates_stdout_cuts_nothing) {
  trap::trap([] { std::cout << "an earlier trap's output"; });
  int rc = 0, err = 0;
  auto r = trap::trap([&] {
    put("kept");
    rc = ::ftruncate(1, 0);
    err = errno;
    put(" and more");
  });
  // Refused, as on a pipe or a terminal: the memory file is sealed.
  BOOST_TEST(rc == -1);
  BOOST_TEST(err == EPERM);
  BOOST_TEST(r.out() == "kept and more");
  auto next = trap::trap([] { std::cout << "next"; });
  BOOST_TEST(next.out() == "next");
}

BOOST_AUTO_TEST_CASE(a_forked_child_writing_after_its_trap_reaches_no_later_trap) {
  std::pair<pid_t, int> child;
  auto first = trap::trap([&] { child = start_late_writer(true); });
  BOOST_TEST(first.out() == "");
  auto second = trap::trap([&] {
    std::cout << "second" << std::flush;
    let_write_and_reap(child.first, child.second);  // writes during this trap
  });
  BOOST_TEST(second.out() == "second");
  auto third = trap::trap([] { std::cout << "third"; });
  BOOST_TEST(third.out() == "third");
}

BOOST_AUTO_TEST_CASE(a_spawned_child_writing_after_its_trap_reaches_no_later_trap) {
  // posix_spawn runs no fork handlers: trap cannot tell the file was
  // inherited, but finds it written to when it would take it again.
  std::pair<pid_t, int> child;
  auto first = trap::trap([&] { child = start_late_writer(false); });
  BOOST_TEST(first.out() == "");
  let_write_and_reap(child.first, child.second);
  auto second = trap::trap([] { std::cout << "second"; });
  BOOST_TEST(second.out() == "second");
  auto third = trap::trap([] { std::cout << "third"; });
  BOOST_TEST(third.out() == "third");
}
