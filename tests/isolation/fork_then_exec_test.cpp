// SPDX-License-Identifier: BSL-1.0
// Code under `:fork` that calls exec: what it wrote before exec, and what
// the program it became writes, is captured as a forked child's would be,
// and that program's exit status or signal is the trap's.
#define BOOST_TEST_MODULE fork_then_exec
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

namespace {

// Writes @p before on stdout, unbuffered, then becomes `sh -c SCRIPT`.
[[noreturn]] void write_then_exec(const char* before, const char* script) {
  std::fputs(before, stdout);
  std::fflush(stdout);
  ::execl("/bin/sh", "sh", "-c", script, static_cast<char*>(nullptr));
  std::_Exit(99);  // exec failed
}

}  // namespace

BOOST_AUTO_TEST_CASE(output_and_exit_status_of_the_exec_program) {
  auto r = trap::trap<":fork">(
      [] { write_then_exec("before exec\n", "echo after exec; echo to stderr >&2; exit 4"); });
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST((r.exit_code() == 4));
  BOOST_TEST(r.out() == "before exec\nafter exec\n");
  BOOST_TEST(r.err() == "to stderr\n");
}

BOOST_AUTO_TEST_CASE(an_exec_program_that_exits_zero) {
  auto r = trap::trap(":fork", [] { write_then_exec("", "printf done"); });
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST((r.exit_code() == 0));
  BOOST_TEST(r.out() == "done");
}

// 125 is also what a child whose record could not be written exits with.
BOOST_AUTO_TEST_CASE(an_exec_program_that_exits_125) {
  auto r = trap::trap<":fork">([] { write_then_exec("", "exit 125"); });
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST((r.exit_code() == 125));
}

BOOST_AUTO_TEST_CASE(an_exec_program_killed_by_a_signal) {
  auto r = trap::trap<":fork">([] { write_then_exec("x", "echo dying; kill -TERM $$"); });
  BOOST_TEST(r.leaveby() == "signal");
  BOOST_TEST((r.signal() == SIGTERM));
  BOOST_TEST(r.out() == "xdying\n");
}

BOOST_AUTO_TEST_CASE(a_child_killed_outright_keeps_what_reached_its_captures) {
  auto r = trap::trap<":fork">([] {
    std::fputs("flushed", stdout);
    std::fflush(stdout);
    ::kill(::getpid(), SIGKILL);
  });
  BOOST_TEST((r.signal() == SIGKILL));
  BOOST_TEST(r.out() == "flushed");
}

// Captures kept in this process's memory, or read by one of its threads,
// end with it when the child execs; the exec'd program's status is kept.
// Its output is not lost for that: `default`'s stdout layer, beneath the
// spec's, diverts the descriptor to a file the parent reads, and each
// layer's capture is appended to the accessor (Perl's `.=`), so an outer
// layer that got nothing does not blank what an inner one got.
BOOST_AUTO_TEST_CASE(memory_and_pipe_captures_end_with_exec_and_default_keeps_the_output) {
  for (const char* spec : {":fork:stdout(memory)", ":fork:stdout(pipe)", ":fork:stdout(tee)"}) {
    auto r = trap::trap(spec, [] { write_then_exec("kept", "echo kept too; exit 2"); });
    BOOST_TEST((r.exit_code() == 2), spec);
    BOOST_TEST(r.out() == "keptkept too\n", spec);
  }
}

// tempfile diverts the streams, not the descriptor: what went through them
// before exec is kept.
BOOST_AUTO_TEST_CASE(a_tempfile_capture_keeps_what_was_written_before_exec) {
  auto r = trap::trap(":fork:stdout(tempfile)", [] { write_then_exec("kept", "exit 3"); });
  BOOST_TEST((r.exit_code() == 3));
  BOOST_TEST(r.out() == "kept");
}

BOOST_AUTO_TEST_CASE(a_fork_child_that_execs_inside_a_nested_trap) {
  // The exec'd program writes into the inner trap's capture, which never
  // ends: the outer trap keeps its own captures and the exit status.
  auto r = trap::trap<":fork">([] {
    std::cout << "outer " << std::flush;
    trap::trap<":stdout">([] { write_then_exec("inner", "exit 6"); });
  });
  BOOST_TEST((r.exit_code() == 6));
  BOOST_TEST(r.out() == "outer ");
}
