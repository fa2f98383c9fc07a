// SPDX-License-Identifier: BSL-1.0
// A failing test on a trap::run trap says what the program did: its command
// line (which a shell splits back into the same argv), how it ended and the
// tail of its stderr; diag_all() shows the argv and the options set.
#define BOOST_TEST_MODULE process_diagnostics
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

namespace {

// The one event @p fn sends, checked to be a failed test.
trap::Event failure_of(const std::function<void()>& fn) {
  auto events = trap::intercept(fn);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_REQUIRE(events[0].kind == trap::Event::Kind::ok);
  BOOST_REQUIRE(!events[0].pass);
  return events[0];
}

// The diagnostics of @p e from the command line on: what trap::run added.
Lines context_of(const trap::Event& e) {
  auto at = std::find_if(e.diagnostics.begin(), e.diagnostics.end(),
                         [](const std::string& d) { return d.starts_with("    command: "); });
  BOOST_REQUIRE_MESSAGE(at != e.diagnostics.end(), "no command line in the diagnostics");
  return Lines(at, e.diagnostics.end());
}

// The command line trap::run shows for @p argv, from a failing test.
std::string command_line_of(const std::vector<std::string>& argv) {
  auto r = trap::run(argv);
  auto e = failure_of([&] { r.exit_is(-1); });
  return context_of(e).front().substr(std::string("    command: ").size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failing_tests)

BOOST_AUTO_TEST_CASE(exit_status_and_the_last_ten_of_thirty_stderr_lines) {
  const std::string script =
      "i=1; while [ $i -le 30 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 3";
  auto r = trap::run({"sh", "-c", script});
  auto e = failure_of([&] { r.exit_is(0); });
  Lines want{"    command: sh -c '" + script + "'", "    exited with status 3",
             "    last 10 of 30 lines of stderr:"};
  for (int i = 21; i <= 30; ++i) want.push_back("      line " + std::to_string(i));
  BOOST_TEST(context_of(e) == want, boost::test_tools::per_element());
  // The test's own diagnostics come first.
  BOOST_TEST(e.diagnostics.front() == "         got: 3");
}

BOOST_AUTO_TEST_CASE(ten_lines_or_fewer_are_shown_whole) {
  auto r = trap::run({"sh", "-c", "printf 'a\\nb\\n' >&2; exit 1"});
  auto e = failure_of([&] { r.exit_is(0); });
  BOOST_TEST(
      context_of(e) == (Lines{"    command: sh -c 'printf '\"'\"'a\\nb\\n'\"'\"' >&2; exit 1'",
                              "    exited with status 1", "    stderr:", "      a", "      b"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(killed_by_a_signal) {
  auto r = trap::run({"sh", "-c", "kill -KILL $$"});
  auto e = failure_of([&] { r.exit_is(0); });  // a wrong-leaveby failure
  BOOST_TEST(e.diagnostics.front().starts_with("    Expecting to exit(), but instead signal()ed"));
  BOOST_TEST(context_of(e) == (Lines{"    command: sh -c 'kill -KILL $$'",
                                     "    killed by signal 9 (SIGKILL)", "    stderr: (empty)"}),
             boost::test_tools::per_element());
}

// A real-time signal is named as bash's `kill -l` (and glibc's sig2str())
// name it, counted from the nearer end: SIGRTMIN, SIGRTMIN+1 .. SIGRTMIN+15,
// SIGRTMAX-14 .. SIGRTMAX-1, SIGRTMAX. The program prints bash's name for
// the signal, then kills itself with it; both descriptions must agree.
BOOST_AUTO_TEST_CASE(killed_by_a_real_time_signal) {
  const int middle = SIGRTMIN + (SIGRTMAX - SIGRTMIN) / 2;
  for (int sig : {SIGRTMIN, SIGRTMIN + 3, middle, middle + 1, SIGRTMAX - 2, SIGRTMAX}) {
    const std::string n = std::to_string(sig);
    auto r = trap::run({"bash", "-c", "kill -l " + n + "; kill -" + n + " $$"});
    BOOST_REQUIRE(r.signal() == sig);
    BOOST_REQUIRE(r.out().size() > 1);
    const std::string name = "SIG" + r.out().substr(0, r.out().size() - 1);
    BOOST_TEST(name.starts_with("SIGRTM"));
    auto e = failure_of([&] { r.exit_is(0); });
    BOOST_TEST(e.diagnostics.front() ==
               "    Expecting to exit(), but instead signal()ed with " + n + " (" + name + ")");
    BOOST_TEST(context_of(e).at(1) == "    killed by signal " + n + " (" + name + ")");
  }
}

// A shell reports a signal that dumped core (WCOREDUMP) as "Quit (core
// dumped)". Whether the kernel writes a core here depends on its
// core_pattern and on the hard RLIMIT_CORE, so the same script run through
// system() says first whether it can; where it cannot, only the absence of
// the note is checked. The cores are written in a temp dir, removed after.
// Signals 32 and 33, which glibc keeps for its threads, have no name: bash
// says "Unknown signal 32"; the number alone is given, not "(signal 32)".
BOOST_AUTO_TEST_CASE(killed_by_a_signal_without_a_name) {
  auto r = trap::run({"sh", "-c", "kill -32 $$"});
  BOOST_REQUIRE(r.signal() == 32);
  auto e = failure_of([&] { r.exit_is(0); });
  BOOST_TEST(e.diagnostics.front() == "    Expecting to exit(), but instead signal()ed with 32");
  BOOST_TEST(context_of(e).at(1) == "    killed by signal 32");
}

BOOST_AUTO_TEST_CASE(a_program_that_dumped_core) {
  char templ[] = "/tmp/trap-core-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(templ) != nullptr);
  const std::string dir = templ;
  const std::string in_dir = "cd '" + dir + "' && ulimit -c ";
  const std::string dumps = in_dir + "\"$(ulimit -H -c)\" && kill -QUIT $$";
  const int reference = std::system(dumps.c_str());
  auto dumped = trap::run({"sh", "-c", dumps});
  auto not_dumped = trap::run({"sh", "-c", in_dir + "0 && kill -QUIT $$"});
  std::filesystem::remove_all(dir);
  BOOST_REQUIRE(WIFSIGNALED(reference));
  BOOST_REQUIRE(WTERMSIG(reference) == SIGQUIT);
  const std::string killed = "    killed by signal " + std::to_string(SIGQUIT) + " (SIGQUIT)";
  if (WCOREDUMP(reference)) {
    BOOST_TEST(context_of(failure_of([&] { dumped.exit_is(0); })).at(1) ==
               killed + " (core dumped)");
  } else {
    BOOST_TEST_MESSAGE("no core dumped here (core_pattern, hard RLIMIT_CORE): its note untested");
    BOOST_TEST(context_of(failure_of([&] { dumped.exit_is(0); })).at(1) == killed);
  }
  BOOST_TEST(context_of(failure_of([&] { not_dumped.exit_is(0); })).at(1) == killed);
}

BOOST_AUTO_TEST_CASE(a_program_that_does_not_exist) {
  auto r = trap::run({"trap-no-such-program", "x"});
  auto e = failure_of([&] { r.did_exit(); });
  BOOST_TEST(context_of(e) == (Lines{"    command: trap-no-such-program x",
                                     "    could not start: No such file or directory"}),
             boost::test_tools::per_element());
  auto by_path = trap::run({"/nonexistent/dir/prog"});
  auto e2 = failure_of([&] { by_path.exit_is(0); });
  BOOST_TEST(context_of(e2).at(1) == "    could not start: No such file or directory");
}

BOOST_AUTO_TEST_CASE(a_program_stopped_by_its_timeout) {
  auto r = trap::run({"sh", "-c", "echo started >&2; exec sleep 30"}, {.timeout = 100ms});
  auto e = failure_of([&] { r.exit_is(0); });
  BOOST_TEST(context_of(e) == (Lines{"    command: sh -c 'echo started >&2; exec sleep 30'",
                                     "    timed out after 100 ms", "    stderr:", "      started"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_timeout_of_whole_seconds_is_given_in_seconds) {
  auto r = trap::run({"sleep", "30"}, {.timeout = 1000ms});
  BOOST_TEST(context_of(failure_of([&] { r.exit_is(0); })).at(1) == "    timed out after 1 s");
}

BOOST_AUTO_TEST_CASE(a_program_stopped_by_a_timeout_layer) {
  auto r = trap::run(":timeout(100)", {"sleep", "30"}, {.timeout = 60s});
  BOOST_REQUIRE(r.leaveby() == "timeout");
  auto e = failure_of([&] { r.exit_is(0); });
  BOOST_TEST(context_of(e).at(1) == "    timed out at the deadline of its timeout layer");
}

BOOST_AUTO_TEST_CASE(stderr_without_a_final_newline) {
  auto r = trap::run({"sh", "-c", "printf 'one\\ntwo' >&2; exit 1"});
  auto e = failure_of([&] { r.exit_is(0); });
  const Lines context = context_of(e);
  BOOST_TEST(
      Lines(context.begin() + 2, context.end()) ==
          (Lines{"    stderr:", "      one", "      two", "    (no newline at the end of stderr)"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(empty_and_blank_stderr) {
  auto quiet = trap::run({"false"});
  BOOST_TEST(context_of(failure_of([&] { quiet.exit_is(0); })).back() == "    stderr: (empty)");
  auto blank = trap::run({"sh", "-c", "echo >&2; exit 1"});
  const Lines context = context_of(failure_of([&] { blank.exit_is(0); }));
  BOOST_TEST(Lines(context.begin() + 2, context.end()) == (Lines{"    stderr:", "      "}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(binary_bytes_are_kept_as_they_are_for_the_report_to_show) {
  auto r = trap::run({"sh", "-c", "printf '\\377\\376ok\\033[0m\\r\\n\\000z\\n' >&2; exit 1"});
  const Lines context = context_of(failure_of([&] { r.exit_is(0); }));
  BOOST_TEST(Lines(context.begin() + 2, context.end()) ==
                 (Lines{"    stderr:", "      \xFF\xFEok\x1B[0m\r", std::string("      \0z", 8)}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_long_line_is_cut) {
  auto r = trap::run({"sh", "-c", "printf '%0300d\\n' 0 >&2; exit 1"});
  const Lines context = context_of(failure_of([&] { r.exit_is(0); }));
  BOOST_TEST(context.at(3) == "      " + std::string(200, '0') + "...");
}

BOOST_AUTO_TEST_CASE(every_kind_of_failing_test_carries_it) {
  auto r = trap::run({"sh", "-c", "echo out; echo err >&2"});
  BOOST_TEST(context_of(failure_of([&] { r.quiet(); })).size() == 4u);
  BOOST_TEST(context_of(failure_of([&] { r.stderr_is("other\n"); })).size() == 4u);
  BOOST_TEST(context_of(failure_of([&] { r.did_signal(); })).size() == 4u);
  BOOST_TEST(context_of(failure_of([&] { r.test("stdout_like", "^nope"); })).size() == 4u);
}

BOOST_AUTO_TEST_CASE(passing_tests_add_nothing) {
  auto r = trap::run({"sh", "-c", "echo err >&2; exit 3"});
  auto events = trap::intercept([&] {
    r.exit_is(3);
    r.stderr_like("err");
    r.did_exit();
  });
  BOOST_REQUIRE_EQUAL(events.size(), 3u);
  for (auto& e : events) {
    BOOST_TEST(e.pass);
    BOOST_TEST(e.diagnostics.empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(quoted_only_where_needed) {
  BOOST_TEST(command_line_of({"true", "plain", "a/b.c", "k=v,w:x@y%z+1-2_3"}) ==
             "true plain a/b.c k=v,w:x@y%z+1-2_3");
  BOOST_TEST(command_line_of({"true", "a b", "", "it's", "$HOME", "*"}) ==
             "true 'a b' '' 'it'\"'\"'s' '$HOME' '*'");
}

// What bash makes of @p command: the argv it runs, each argument followed
// by a NUL byte, and its exit status (1 when all went well).
trap::Trap bash_split(const std::string& command) { return trap::run({"bash", "-c", command}); }

// A program that prints each of its arguments followed by a NUL byte.
const Lines print_args{"sh", "-c", "for a; do printf '%s\\0' \"$a\"; done; exit 1", "sh"};

// @p hard after print_args, and the command line trap::run shows for it.
std::pair<Lines, std::string> printing(const Lines& hard) {
  Lines argv = print_args;
  argv.insert(argv.end(), hard.begin(), hard.end());
  return {argv, command_line_of(argv)};
}

std::string nul_terminated(const Lines& args) {
  std::string out;
  for (auto& a : args) out += a + '\0';
  return out;
}

BOOST_AUTO_TEST_CASE(a_shell_reproduces_the_argv) {
  const Lines hard{"a b",       "it's",  "\"double\"", "",    "$HOME", "`id`", "back\\slash",
                   "new\nline", "tab\t", "*",          "ünï", "-n",    "'",    "''\"'"};
  const auto [argv, command] = printing(hard);
  BOOST_TEST(trap::run(argv).out() == nul_terminated(hard));
  auto through_shell = bash_split(command);
  BOOST_TEST(through_shell.out() == nul_terminated(hard));
  BOOST_TEST(through_shell.exit_code().value_or(-1) == 1);
}

// A newline, a carriage return, an escape sequence or a byte that is not
// UTF-8 in single quotes would break the report's line or be shown there
// as "\xNN", which reads back as four characters: such an argument is
// written in $'...' with escapes, and the command line holds only
// printable characters.
BOOST_AUTO_TEST_CASE(control_characters_and_bytes_that_are_not_utf8_are_escaped) {
  BOOST_TEST(command_line_of({"true", "new\nline", "it's\t\\", "\x1B[0m\r", "\xFF\xC3", "ü\x7F"}) ==
             "true $'new\\nline' $'it\\'s\\t\\\\' $'\\x1B[0m\\r' $'\\xFF\\xC3' $'ü\\x7F'");
  Lines hard{"\n",
             "a\n# not ok 1\n",
             "\xC2\x85",
             "\\x41",
             "$'x'",
             "\x01"
             "A",
             "\xE2\x82"};
  for (int byte = 1; byte < 256; ++byte) hard.push_back(std::string(1, static_cast<char>(byte)));
  std::string every_byte;
  for (int byte = 1; byte < 256; ++byte) every_byte += static_cast<char>(byte);
  hard.push_back(every_byte);
  const auto [argv, command] = printing(hard);
  for (char c : command) {
    const auto byte = static_cast<unsigned char>(c);
    BOOST_TEST_REQUIRE((byte >= 0x20 && byte != 0x7F), "a control byte in: " << command);
  }
  BOOST_TEST(trap::run(argv).out() == nul_terminated(hard));
  auto through_shell = bash_split(command);
  BOOST_TEST(through_shell.out() == nul_terminated(hard));
  BOOST_TEST(through_shell.exit_code().value_or(-1) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(diag_all)

// The diag event diag_all() sends on @p r.
std::string dump_of(trap::Trap& r) {
  auto events = trap::intercept([&] { r.diag_all(); });
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_REQUIRE(events[0].kind == trap::Event::Kind::diag);
  return events[0].name;
}

BOOST_AUTO_TEST_CASE(shows_the_argv_and_the_options_set) {
  auto r =
      trap::run({"sh", "-c", "exit 3", "a b"}, {.input = "x\n",
                                                .inherit_environment = false,
                                                .environment = {{"A", "1"}, {"B", "two words"}},
                                                .unset_environment = {"C"},
                                                .working_directory = "/tmp",
                                                .timeout = 5000ms,
                                                .path_lookup = true});
  const std::string dump = dump_of(r);
  BOOST_TEST(
      dump.find("  \"argv\"    => [\"sh\", \"-c\", \"exit 3\", \"a b\"],\n") != std::string::npos,
      dump);
  BOOST_TEST(dump.find("  \"options\" => { environment => { \"A\" => \"1\", \"B\" => \"two "
                       "words\" }, inherit_environment => false, input => \"x\\n\", timeout "
                       "=> \"5000 ms\", unset_environment => [\"C\"], working_directory => "
                       "\"/tmp\" },\n") != std::string::npos,
             dump);
  // What it showed before is still there.
  BOOST_TEST(dump.find("  \"exit\"    => 3,\n") != std::string::npos, dump);
  BOOST_TEST(dump.find("  \"leaveby\" => \"exit\",\n") != std::string::npos, dump);
}

BOOST_AUTO_TEST_CASE(default_options_show_as_empty_and_a_long_input_is_cut) {
  auto plain = trap::run({"true"});
  BOOST_TEST(dump_of(plain).find("\"options\" => {},\n") != std::string::npos);
  auto fed = trap::run({"/bin/cat"}, {.input = std::string(100, 'y'), .path_lookup = false});
  const std::string dump = dump_of(fed);
  BOOST_TEST(dump.find("\"options\" => { input => \"" + std::string(60, 'y') +
                       "\"... (100 bytes), path_lookup => false },") != std::string::npos,
             dump);
}

BOOST_AUTO_TEST_CASE(the_accessors_hold_the_argv_and_the_options) {
  auto r = trap::run({"true", "x"}, {.input = "in"});
  BOOST_TEST(r.get("argv")->as<std::vector<std::string>>() == (Lines{"true", "x"}),
             boost::test_tools::per_element());
  BOOST_TEST(r.get("options")->as<trap::RunOptions>().input == "in");
}

BOOST_AUTO_TEST_SUITE_END()
