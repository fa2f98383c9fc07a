// SPDX-License-Identifier: BSL-1.0
// trap::run: external programs in a trap, with the same accessors and test
// methods as in-process code.
#define BOOST_TEST_MODULE process
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>

#include "support/child.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(outcomes)

BOOST_AUTO_TEST_CASE(exit_code_stdout_and_stderr) {
  auto r = trap::run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(r.exit_code() == 3);
  BOOST_TEST(r.out() == "out\n");
  BOOST_TEST(r.err() == "err\n");
  r.exit_is(3);
  r.stdout_like("^out$");
  r.did_exit();
}

BOOST_AUTO_TEST_CASE(signal_ends_the_program) {
  auto r = trap::run({"sh", "-c", "echo dying; kill -SEGV $$"});
  BOOST_TEST(r.leaveby() == "signal");
  BOOST_TEST(r.signal() == SIGSEGV);
  BOOST_TEST(r.out() == "dying\n");
  r.did_signal();
  r.signal_is(SIGSEGV);
}

BOOST_AUTO_TEST_CASE(stdin_is_fed_and_closed) {
  auto r = trap::run({"cat"}, {.input = "line one\nline two\n"});
  BOOST_TEST(r.out() == "line one\nline two\n");
  BOOST_TEST(r.exit_code() == 0);
}

BOOST_AUTO_TEST_CASE(a_program_that_never_reads_its_input) {
  auto r = trap::run({"true"}, {.input = std::string(8 << 20, 'x')});
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(r.exit_code() == 0);
}

BOOST_AUTO_TEST_CASE(a_program_that_closes_stdout_early) {
  auto r = trap::run({"sh", "-c", "exec >&-; echo still here >&2; exit 2"});
  BOOST_TEST(r.exit_code() == 2);
  BOOST_TEST(r.out() == "");
  BOOST_TEST(r.err() == "still here\n");
}

BOOST_AUTO_TEST_CASE(much_output_on_both_streams_at_once) {
  // Both streams written at the same time, each far beyond a pipe's buffer.
  auto r =
      trap::run({"sh", "-c", "head -c 33554432 /dev/zero & head -c 33554432 /dev/zero >&2; wait"});
  BOOST_TEST(r.exit_code() == 0);
  BOOST_TEST(r.out().size() == 33554432u);
  BOOST_TEST(r.err().size() == 33554432u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(environment_added_removed_and_replaced) {
  ::setenv("TRAP_TEST_INHERITED", "yes", 1);
  auto r = trap::run({"sh", "-c", "echo \"$TRAP_TEST_INHERITED-$FOO-$HOME\""},
                     {.environment = {{"FOO", "bar"}}, .unset_environment = {"HOME"}});
  BOOST_TEST(r.out() == "yes-bar-\n");
  auto empty =
      trap::run({"/usr/bin/env"}, {.inherit_environment = false, .environment = {{"ONLY", "1"}}});
  BOOST_TEST(empty.out() == "ONLY=1\n");
  ::unsetenv("TRAP_TEST_INHERITED");
}

BOOST_AUTO_TEST_CASE(working_directory) {
  auto r = trap::run({"pwd"}, {.working_directory = "/"});
  BOOST_TEST(r.out() == "/\n");
  auto missing = trap::run({"pwd"}, {.working_directory = "/no/such/dir"});
  BOOST_TEST(missing.leaveby() == "die");
  BOOST_TEST(missing.die().find("working directory \"/no/such/dir\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_working_directory_that_is_not_a_directory) {
  auto r = trap::run({"pwd"}, {.working_directory = "/dev/null"});
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die() == "cannot start \"pwd\" in working directory \"/dev/null\": Not a directory");
}

// A working directory the program may not search, or a path through one,
// is named in the die, as Python's subprocess names it ("Permission
// denied: '/dir'"); it was "(spawn): Permission denied", or "No such file
// or directory" for the path through it. Root may search any directory,
// so the calls run in a child that has become nobody where this is root.
BOOST_AUTO_TEST_CASE(a_working_directory_without_search_permission) {
  char templ[] = "/tmp/trap-nosearch-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(templ) != nullptr);
  const std::string dir = templ;
  BOOST_REQUIRE(::mkdir((dir + "/sub").c_str(), 0755) == 0);
  BOOST_REQUIRE(::chmod(dir.c_str(), 0600) == 0);  // no search for anyone but root
  auto child = test_support::in_child([&] {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    for (const std::string& wd : {dir, dir + "/sub"}) {
      auto r = trap::run({"pwd"}, {.working_directory = wd});
      std::cout << r.leaveby() << ": " << (r.leaveby() == "die" ? r.die() : r.out()) << "\n";
    }
  });
  ::chmod(dir.c_str(), 0700);
  ::rmdir((dir + "/sub").c_str());
  ::rmdir(dir.c_str());
  BOOST_REQUIRE(child.exited(0));
  BOOST_TEST(child.out == "die: cannot start \"pwd\" in working directory \"" + dir +
                              "\": Permission denied\n"
                              "die: cannot start \"pwd\" in working directory \"" +
                              dir + "/sub\": Permission denied\n");
}

// A relative program path names a file in the working directory, as exec
// there (and Python's subprocess) take it, not in this process's.
BOOST_AUTO_TEST_CASE(a_relative_program_is_found_in_the_working_directory) {
  auto dot = trap::run({"./pwd"}, {.working_directory = "/usr/bin"});
  BOOST_TEST(dot.leaveby() == "exit", dot.die());
  BOOST_TEST(dot.out() == "/usr/bin\n");
  auto nested = trap::run({"usr/bin/pwd"}, {.working_directory = "/"});
  BOOST_TEST(nested.leaveby() == "exit", nested.die());
  BOOST_TEST(nested.out() == "/\n");
  auto bare = trap::run({"pwd"}, {.working_directory = "/usr/bin", .path_lookup = false});
  BOOST_TEST(bare.leaveby() == "exit", bare.die());
  BOOST_TEST(bare.out() == "/usr/bin\n");
}

BOOST_AUTO_TEST_CASE(path_lookup) {
  BOOST_TEST(trap::run({"true"}).exit_code() == 0);
  auto none = trap::run({"true"}, {.path_lookup = false});
  BOOST_TEST(none.leaveby() == "die");
  auto custom = trap::run({"true"}, {.environment = {{"PATH", "/nonexistent"}}});
  BOOST_TEST(custom.leaveby() == "die");
  BOOST_TEST(custom.die().find("not found in PATH") != std::string::npos);
}

// Without PATH in the environment the program gets, the name is looked up
// in the system's default path, confstr(_CS_PATH), as execvp() and
// posix_spawnp() do (and Python's subprocess, with os.defpath).
BOOST_AUTO_TEST_CASE(without_path_the_default_path_is_searched) {
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::unsetenv("PATH");
  auto unset_here = trap::run({"true"});
  ::setenv("PATH", "/nonexistent", 1);
  auto unset_for_it = trap::run({"true"}, {.unset_environment = {"PATH"}});
  auto empty_env = trap::run({"true"}, {.inherit_environment = false});
  ::setenv("PATH", saved.c_str(), 1);
  for (auto* r : {&unset_here, &unset_for_it, &empty_env}) {
    BOOST_TEST(r->leaveby() == "exit", r->die());
    BOOST_TEST(r->exit_code() == 0);
  }
}

// The PATH searched is the one the program gets, and an empty entry in it
// is the working directory the program starts in, as for execvp() there.
BOOST_AUTO_TEST_CASE(an_empty_path_entry_is_the_working_directory) {
  auto r = trap::run({"pwd"},
                     {.environment = {{"PATH", "/nonexistent:"}}, .working_directory = "/usr/bin"});
  BOOST_TEST(r.leaveby() == "exit", r.die());
  BOOST_TEST(r.out() == "/usr/bin\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failures)

BOOST_AUTO_TEST_CASE(unknown_program_is_a_die_naming_it) {
  auto r = trap::run({"no-such-program-for-trap"});
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die() ==
             "cannot start \"no-such-program-for-trap\" (not found in PATH): No such file or "
             "directory");
  r.did_die();
}

// An empty program name is no file, as execvp("") says (ENOENT at once,
// POSIX); it was "Is a directory" in a working directory without lookup,
// and "not found in PATH" with it.
BOOST_AUTO_TEST_CASE(an_empty_program_name_is_no_such_file) {
  for (bool lookup : {true, false}) {
    for (const std::string wd : {"", "/"}) {
      auto r = trap::run({""}, {.working_directory = wd, .path_lookup = lookup});
      BOOST_TEST(r.die() == "cannot start \"\": No such file or directory",
                 "path_lookup " << lookup << ", working directory \"" << wd << '"');
    }
  }
}

// A file found in PATH that is not executable, with no executable one
// after it, is "Permission denied", as bash and execvp() say, not "not
// found"; an executable one later in PATH is run.
BOOST_AUTO_TEST_CASE(a_file_in_path_that_is_not_executable) {
  char templ[] = "/tmp/trap-path-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(templ) != nullptr);
  const std::string dir = templ;
  std::ofstream(dir + "/true") << "#!/bin/sh\nexit 3\n";
  auto alone = trap::run({"true"}, {.environment = {{"PATH", dir}}});
  auto before_bin = trap::run({"true"}, {.environment = {{"PATH", dir + ":/bin:/usr/bin"}}});
  ::unlink((dir + "/true").c_str());
  ::rmdir(dir.c_str());
  BOOST_TEST(alone.die() == "cannot start \"true\": Permission denied");
  BOOST_TEST(before_bin.exit_code() == 0);
}

// A directory in PATH that may not be searched, with the program found
// nowhere else, is "Permission denied", as execvp() says (EACCES), naming
// the directory; it was "not found in PATH". Found later in PATH, the
// program runs. Root may search any directory, so the calls run in a child
// that has become nobody where this is root.
BOOST_AUTO_TEST_CASE(a_directory_in_path_without_search_permission) {
  char templ[] = "/tmp/trap-path-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(templ) != nullptr);
  const std::string dir = templ;
  BOOST_REQUIRE(::chmod(dir.c_str(), 0600) == 0);  // no search for anyone but root
  auto child = test_support::in_child([&] {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    for (const std::string& path : {dir, dir + ":/bin:/usr/bin"}) {
      auto r = trap::run({"true"}, {.environment = {{"PATH", path}}});
      std::cout << r.leaveby() << ": " << (r.leaveby() == "die" ? r.die() : r.out()) << "\n";
    }
  });
  ::rmdir(dir.c_str());
  BOOST_REQUIRE(child.exited(0));
  BOOST_TEST(child.out == "die: cannot start \"true\" (not found in PATH, whose directory \"" +
                              dir + "\" may not be searched): Permission denied\nexit: \n");
}

// A directory of the program's name in PATH, with the program found
// nowhere else, is "Permission denied", as execvp() says (and Perl's exec,
// Python's subprocess), naming it; it was "not found in PATH". Found later
// in PATH, the program runs.
BOOST_AUTO_TEST_CASE(a_directory_of_the_programs_name_in_path) {
  char templ[] = "/tmp/trap-path-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(templ) != nullptr);
  const std::string dir = templ;
  BOOST_REQUIRE(::mkdir((dir + "/true").c_str(), 0755) == 0);
  auto alone = trap::run({"true"}, {.environment = {{"PATH", dir}}});
  auto before_bin = trap::run({"true"}, {.environment = {{"PATH", dir + ":/bin:/usr/bin"}}});
  ::rmdir((dir + "/true").c_str());
  ::rmdir(dir.c_str());
  BOOST_TEST(alone.die() == "cannot start \"true\" (not found in PATH, where \"" + dir +
                                "/true\" is a directory): Permission denied");
  BOOST_TEST(before_bin.exit_code().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(not_executable_is_a_die_with_the_os_error) {
  std::string path = "/tmp/trap-not-executable-" + std::to_string(::getpid());
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  ::chmod(path.c_str(), 0644);
  auto r = trap::run({path});
  ::unlink(path.c_str());
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die() == "cannot start \"" + path + "\": Permission denied");
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_usage_errors) {
  BOOST_CHECK_THROW(trap::run({}), trap::UsageError);
  BOOST_CHECK_THROW(trap::run({"true"}, {.timeout = 0ms}), trap::UsageError);
  BOOST_CHECK_THROW(trap::run({"true"}, {.timeout = -5ms}), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timeouts)

// A program must start and print before its deadline: 3 s, far beyond what
// that takes on a loaded machine or under a sanitizer. Only a deadline that
// needs nothing first is shorter.

BOOST_AUTO_TEST_CASE(hanging_program_is_killed_with_its_output_kept) {
  auto start = std::chrono::steady_clock::now();
  auto r = trap::run({"sh", "-c", "echo started; exec sleep 30"}, {.timeout = 3000ms});
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.test("timeout_is", true, "timed out"));
  BOOST_TEST(r.out() == "started\n");
  BOOST_TEST((std::chrono::steady_clock::now() - start < 20s));
  r.did_timeout();
}

BOOST_AUTO_TEST_CASE(grandchild_keeping_the_pipe_open_is_killed_with_the_group) {
  auto r = trap::run({"sh", "-c", "sleep 30 & echo $!; wait"}, {.timeout = 3000ms});
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_REQUIRE_MESSAGE(!r.out().empty(), "the program started its grandchild in time");
  int grandchild = std::stoi(r.out());
  BOOST_TEST(test_support::ends_soon(grandchild));  // killed, not left running
}

BOOST_AUTO_TEST_CASE(timeout_layer_stops_a_program) {
  auto r = trap::run(":timeout(200)", {"sleep", "30"});
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.test("timeout_is", true, "timed out"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_thousand_runs_leave_nothing_behind) {
  test_support::PrivateTmpdir tmp;
  trap::run({"/bin/true"});
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  for (int i = 0; i < 1000; ++i) {
    auto r = trap::run({"/bin/true"});
    BOOST_REQUIRE(r.exit_code() == 0);
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::count_children() == 0);
  BOOST_TEST(test_support::count_threads() == threads);
  BOOST_TEST(test_support::count_entries(tmp.path()) == 0);
}
