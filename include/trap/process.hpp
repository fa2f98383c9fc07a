// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::run: a trap around an external program (target trap::process).
///
/// @code
/// #include <trap/process.hpp>
/// auto r = trap::run({"grep", "-c", "x"}, {.input = "x\ny\nx\n"});
/// r.exit_is(0);
/// r.stdout_is("2\n");
/// @endcode
#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

namespace trap {

/// How trap::run starts a program.
struct RunOptions {
  /// Written to the program's standard input, which is then closed. A
  /// program that never reads it, or closes it early, is fine.
  std::string input{};
  /// Start from this process's environment (else from an empty one).
  bool inherit_environment = true;
  /// Variables to set (over the inherited ones).
  std::map<std::string, std::string> environment{};
  /// Variables to remove.
  std::vector<std::string> unset_environment{};
  /// Where the program starts; empty: this process's working directory.
  /// A relative program path (`./tool`, or any name PATH is not searched
  /// for) is found there, as exec there finds it.
  std::string working_directory{};
  /// Stop the program (and every process in its process group) after this
  /// long: leaveby "timeout", the output written until then kept.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Search PATH for a program name without a slash, as execvp() does: the
  /// PATH of the environment the program gets (the inherited one, with
  /// `environment` and `unset_environment` applied) or, where that has
  /// none, the system's default path, confstr(_CS_PATH) ("/bin:/usr/bin").
  bool path_lookup = true;
};

/// Writes the options that differ from the defaults, as diag_all() shows
/// them in a trap::run trap's `options` accessor, in Data::Dump's style:
/// `{ input => "x\n", timeout => "500 ms", working_directory => "/tmp" }`
/// (`{}` when none does; an input over 60 bytes is cut, its size given).
std::ostream& operator<<(std::ostream& os, const RunOptions& options);

/// Runs the program @p argv (argv[0] is the program) and waits for it.
///
/// The returned trap has `stdout` and `stderr` (read concurrently, any
/// size), and is left by "exit" (exit_code()), "signal" (signal()),
/// "timeout", or "die" when the program could not be started (the message
/// names the program and the OS error). Every test method works:
/// `r.exit_is(0)`, `r.stdout_like("^ok")`, `r.did_signal()`.
///
/// The program's exit status must reach this call: with SIGCHLD ignored
/// in this process (SIG_IGN or SA_NOCLDWAIT), which makes the kernel
/// discard it, the program is not started and the trap is a "die" saying
/// so; a SIGCHLD handler of this process that reaps every child takes the
/// status first, and the "die" says that (what the program wrote is kept).
///
/// The program runs in a process group of its own, started with vfork and
/// exec (posix_spawn's technique), so starting it costs the same however
/// large this process is. The call returns when the program exits (or the
/// timeout kills it), with what it wrote until then; what it left running
/// in its group is killed, and a process that left the group and keeps the
/// output pipes open does not delay the call. The program is killed if
/// this process dies first. It starts with no signal blocked and with
/// SIGPIPE and SIGXFSZ at their defaults even if this process ignores them
/// (Python's restore_signals); other ignored signals stay ignored.
///
/// The trap also holds the accessors `argv` (an Array of the arguments)
/// and `options` (the RunOptions, shown by diag_all() as the ones that were
/// set). Every failing test method on it ends its diagnostics with what
/// the program did (Trap::failure_context()): the command line, quoted
/// only where needed so that bash splits it back into @p argv (Python's
/// shlex.join, but an argument that holds a newline, another control
/// character or a byte that is not UTF-8 is written in bash's `$'...'`
/// quotes, with C's escapes for those bytes (a newline as backslash n,
/// others as backslash x and two hex digits), so that the command stays on
/// one line of the report);
/// how it ended ("exited with status 3", "killed by signal 9 (SIGKILL)",
/// "killed by signal 6 (SIGABRT) (core dumped)" when it dumped core, as a
/// shell says, "timed out after 2 s", "could not start: No such file or
/// directory");
/// and the last 10 lines of its stderr, headed "last 10 of 57 lines of
/// stderr:" when there were more, each line cut to 200 bytes. Passing
/// tests add nothing. In TAP:
/// @verbatim
/// #   Failed test 'exit_is(0)'
/// #   at t.cpp line 12.
/// #          got: 3
/// #     expected: 0
/// #     command: sh -c 'echo no >&2; exit 3'
/// #     exited with status 3
/// #     stderr:
/// #       no
/// @endverbatim
/// @throws UsageError if @p argv is empty, or if an argument, an
/// environment name or value cannot be passed (a NUL byte; an empty name
/// or "=" in a name); the message names it.
Trap run(const std::vector<std::string>& argv, const RunOptions& options = {});

namespace detail {
Trap run_under(std::string_view spec, const std::vector<std::string>& argv,
               const RunOptions& options);
}  // namespace detail

/// As run(argv, options), under the layers of @p spec as well, e.g.
/// `":timeout(500)"` or `":tcp_server"`. A timeout layer's deadline stops
/// the program as options.timeout would. (A template only so that a braced
/// argv, `run({"ls"}, {...})`, is never taken for a spec.)
template <class Spec>
requires std::is_convertible_v<const Spec&, std::string_view> Trap
run(const Spec& spec, const std::vector<std::string>& argv, const RunOptions& options = {}) {
  return detail::run_under(std::string_view(spec), argv, options);
}

/// The trapper trap::run uses: the standard one, with a `default` that runs
/// a program rather than trapping in-process code ("die" only, so that a
/// program that cannot be started is a die).
Trapper& process_trapper();

}  // namespace trap
