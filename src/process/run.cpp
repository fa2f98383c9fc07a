// SPDX-License-Identifier: BSL-1.0
// trap::run: an external program in a trap. Boost.Process v2 starts it
// (vfork launcher: the cost does not grow with this process's size);
// process/io.cpp feeds its stdin and drains its stdout and stderr at once
// with poll(), so no amount of output on both can deadlock, and no Asio
// state sits on the stack for an outer timeout's jump to leave dangling.
//
// The launcher runs on an io_context of its own. What the call holds (that
// context, the process, the pipes) lives on the heap, owned by the trap's
// teardown too: if an outer in-process timeout jumps past the call, the
// teardown kills and reaps the program and closes its descriptors.
#define BOOST_PROCESS_USE_STD_FS 1

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <any>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <trap/builder.hpp>
#include <trap/detail/timeout_deadline.hpp>
#include <trap/process.hpp>

// clang-format off
// (the order of the includes below matters)
// Boost.Process 1.81 with BOOST_PROCESS_USE_STD_FS names boost::optional
// and boost::is_constructible / remove_pointer without including them.
#include <type_traits>

#include <boost/optional.hpp>
#include <boost/type_traits/is_constructible.hpp>
#include <boost/type_traits/remove_pointer.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/posix/vfork_launcher.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
#include <boost/system/system_error.hpp>
// Header-only Boost.Process 1.81 leaves process_environment::on_setup
// undefined unless its implementation file is included.
#include <boost/process/v2/impl/environment.ipp>
// clang-format on

#include "posix/children.hpp"
#include "posix/fd.hpp"
#include "process/context.hpp"
#include "process/io.hpp"

namespace trap {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using Clock = std::chrono::steady_clock;

// Runs in the vforked child before exec: its own process group (so a
// timeout kills its children too), killed if this process dies first (the
// parent's pid checked after, in case it died before), SIGPIPE and SIGXFSZ
// at their defaults (as Python's restore_signals: this process may ignore
// them, trap's capture under a file-size limit does), and its working
// directory. The child has its own copy of the signal actions.
struct ChildSetup {
  const std::string* dir;
  pid_t parent;
  template <class Launcher>
  bp::error_code on_exec_setup(Launcher&, const std::filesystem::path&, const char* const*&) {
    ::setpgid(0, 0);
    for (int sig : {SIGPIPE, SIGXFSZ}) ::signal(sig, SIG_DFL);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)
      return bp::error_code(ECHILD, bp::system_category());
    if (!dir->empty() && ::chdir(dir->c_str()) != 0)
      return bp::error_code(errno, bp::system_category());
    return {};
  }
};

std::vector<std::string> environment_of(const RunOptions& o) {
  std::map<std::string, std::string> env;
  if (o.inherit_environment) {
    // The process's environment with the values this thread's traps
    // exported (a server layer's address) laid over it.
    for (const std::string& kv : detail::environment_for_child()) {
      auto eq = kv.find('=');
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (auto& [k, v] : o.environment) env[k] = v;
  for (auto& k : o.unset_environment) env.erase(k);
  std::vector<std::string> out;
  out.reserve(env.size());
  for (auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

[[noreturn]] void cannot_start(const std::string& program, int err,
                               const std::string& detail = {}) {
  throw std::system_error(err, std::generic_category(),
                          "cannot start \"" + program + "\"" + detail);
}

// The PATH in @p env, the environment the program gets; where it has none,
// the system's default, confstr(_CS_PATH) ("/bin:/usr/bin"), as execvp()
// and posix_spawnp() search then.
std::string search_path(const std::vector<std::string>& env) {
  for (const std::string& kv : env)
    if (kv.starts_with("PATH=")) return kv.substr(5);
  std::string path(::confstr(_CS_PATH, nullptr, 0), '\0');
  if (path.empty()) return "/bin:/usr/bin";
  ::confstr(_CS_PATH, path.data(), path.size());
  path.pop_back();  // its NUL
  return path;
}

// The first executable file @p name in the directories of @p path (an
// empty one is the working directory, as for execvp()); else the first
// such file that is not executable, which then fails with EACCES, as bash
// and execvp() report it; empty if there is neither, with in @p denied
// why execvp() would fail with EACCES, if it would: the first directory
// that may not be searched, or a directory of the program's name. A
// relative directory is taken from the working directory the program
// starts in.
std::filesystem::path find_in_path(const std::string& name, std::string_view path,
                                   const RunOptions& o, std::string& denied) {
  std::filesystem::path not_executable;
  for (std::size_t at = 0; at <= path.size();) {
    const std::size_t end = std::min(path.find(':', at), path.size());
    std::filesystem::path dir = end == at ? "." : path.substr(at, end - at);
    at = end + 1;
    if (!o.working_directory.empty() && dir.is_relative()) dir = o.working_directory / dir;
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::absolute(dir / name, ec);
    if (ec) continue;
    if (!std::filesystem::is_regular_file(exe, ec)) {
      if (!denied.empty()) continue;
      if (ec == std::errc::permission_denied)
        denied = "whose directory \"" + dir.string() + "\" may not be searched";
      else if (std::filesystem::is_directory(exe, ec))
        denied = "where \"" + exe.string() + "\" is a directory";
      continue;
    }
    if (::access(exe.c_str(), X_OK) == 0) return exe;
    if (not_executable.empty()) not_executable = exe;
  }
  return not_executable;
}

// The program to execute: argv[0], looked up in the PATH the program gets
// if it has no slash, else taken from the working directory the program
// starts in (as exec there, and Python's subprocess, take it).
std::filesystem::path executable(const std::string& name, const RunOptions& o,
                                 const std::vector<std::string>& env) {
  // No file has an empty name, wherever it is looked for (execvp()'s ENOENT).
  if (name.empty()) cannot_start(name, ENOENT);
  std::filesystem::path exe = name;
  if (!o.working_directory.empty() && exe.is_relative())
    exe = std::filesystem::absolute(std::filesystem::path(o.working_directory) / exe);
  if (o.path_lookup && name.find('/') == std::string::npos) {
    std::string denied;
    exe = find_in_path(name, search_path(env), o, denied);
    if (exe.empty() && !denied.empty())
      cannot_start(name, EACCES, " (not found in PATH, " + denied + ")");
    if (exe.empty()) cannot_start(name, ENOENT, " (not found in PATH)");
  }
  // Checked here, so that the child fails to exec only in a race.
  std::error_code ec;
  if (!std::filesystem::exists(exe, ec)) cannot_start(name, ENOENT);
  if (std::filesystem::is_directory(exe, ec)) cannot_start(name, EISDIR);
  if (::access(exe.c_str(), X_OK) != 0) cannot_start(name, errno);
  return exe;
}

// @p s with each NUL byte shown as "\0", for a message.
std::string shown(std::string s) {
  for (auto at = s.find('\0'); at != std::string::npos; at = s.find('\0', at + 2))
    s.replace(at, 1, "\\0");
  return s;
}

// A NUL byte cuts a C string short, and "=" in a name splits it elsewhere:
// neither can reach the program as given.
void check_passable(const std::vector<std::string>& argv, const RunOptions& o) {
  using namespace std::string_literals;
  for (std::size_t i = 0; i < argv.size(); ++i)
    if (argv[i].find('\0') != std::string::npos)
      throw UsageError("trap::run: argument " + std::to_string(i) + " (\"" + shown(argv[i]) +
                       "\") contains a NUL byte, which cannot be passed to a program");
  auto check_name = [](const std::string& name, const char* what) {
    if (name.empty() || name.find_first_of("="s + '\0') != std::string::npos)
      throw UsageError("trap::run: " + std::string(what) + " name \"" + shown(name) +
                       "\" is empty or contains \"=\" or a NUL byte, which cannot be passed");
  };
  for (auto& [k, v] : o.environment) {
    check_name(k, "environment variable");
    if (v.find('\0') != std::string::npos)
      throw UsageError("trap::run: the value of environment variable \"" + k +
                       "\" contains a NUL byte, which cannot be passed");
  }
  for (auto& k : o.unset_environment) check_name(k, "unset_environment variable");
}

// The deadline: the program's own, or an outer timeout layer's, which this
// code then keeps (trap/detail/timeout_deadline.hpp).
struct Deadline {
  std::optional<Clock::time_point> when;
  std::shared_ptr<detail::DeadlineHandshake> layer_state;
};

Deadline deadline_of(Trap& t, const RunOptions& o) {
  Deadline d;
  if (o.timeout) d.when = Clock::now() + *o.timeout;
  // Kept even when ours comes first: the layer must not stop this thread
  // while it waits for the program.
  if (auto layer = detail::claim_timeout_deadline(t)) {
    if (!d.when || layer->when <= *d.when) {
      d.when = layer->when;
      d.layer_state = layer->state;
    }
  }
  return d;
}

// What a trap::run holds while the program runs, owned by the trap's
// teardown alone: if an outer in-process timeout jumps past the call, the
// teardown kills the program's group and the program (basic_process's
// destructor kills and reaps it), closes its pipes, restores the SIGPIPE
// mask and frees the launcher's io_context.
struct Launched {
  std::optional<asio::io_context> launch_ctx{std::in_place};
  // Made by the launcher, after the vfork: see launch().
  std::optional<bp::basic_process<asio::io_context::executor_type>> proc;
  detail::ProgramPipes pipes;
  pid_t pid = -1;
  bool reaped = false;

  Launched() = default;
  Launched(const Launched&) = delete;
  Launched& operator=(const Launched&) = delete;
  ~Launched() { release(); }
  void release() noexcept {
    if (pid > 0 && !reaped) ::kill(-pid, SIGKILL);
    proc.reset();
    launch_ctx.reset();
    pipes.in.reset();
    pipes.out.reset();
    pipes.err.reset();
    pipes.exited.reset();
    pipes.allow_sigpipe();
  }
};

// A Launched that only @p t's teardown holds: an outer timeout's jump past
// the call leaves no reference to it behind on the stack.
Launched& launched_for(Trap& t) {
  auto owned = std::make_shared<Launched>();
  Launched& l = *owned;
  t.teardown([owned] { owned->release(); });
  return l;
}

// What a wait that fails because another took the program's status says.
constexpr const char* kStatusTaken =
    ": another wait in this process (a SIGCHLD handler's?) took the program's exit status";

// With SIGCHLD ignored (SIG_IGN or SA_NOCLDWAIT) the kernel discards the
// program's exit status: refused, rather than reported as a failed wait.
void check_sigchld_kept(const std::string& program) {
  struct sigaction sa {};
  if (::sigaction(SIGCHLD, nullptr, &sa) != 0) return;
  if (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT) != 0)
    cannot_start(program, ECHILD,
                 " (SIGCHLD is ignored in this process, so its exit status would be lost)");
}

// Closes the pidfds of @p pid this process holds: Boost.Process 1.81 leaks
// the one it opened when making the process handle fails after it.
void close_pidfds_of(pid_t pid) {
  DIR* dir = ::opendir("/proc/self/fdinfo");
  if (!dir) return;
  std::vector<int> found;
  const std::string want = "Pid:\t" + std::to_string(pid) + "\n";
  while (const dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9' || fd == ::dirfd(dir)) continue;
    std::ifstream info(std::string("/proc/self/fdinfo/") + entry->d_name);
    const std::string text((std::istreambuf_iterator<char>(info)), {});
    if (text.find("\n" + want) != std::string::npos) found.push_back(fd);
  }
  ::closedir(dir);
  for (int fd : found) ::close(fd);
}

// The launcher started @p pid but failed after the vfork, making the
// handle that would own it (Asio's reactor, out of descriptors; or the
// pidfd of a program another wait had already reaped): it is killed and
// reaped here, its pidfd closed, and the call a die naming the cause.
[[noreturn]] void abandon(pid_t pid, const std::string& program, const bp::error_code& error) {
  close_pidfds_of(pid);
  int status;
  pid_t waited;
  while ((waited = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (waited < 0 && errno == ECHILD)
    throw std::system_error(ECHILD, std::generic_category(),
                            "pidfd_open(" + std::to_string(pid) + ")" + kStatusTaken);
  if (waited == 0) posix::kill_and_reap(pid);
  cannot_start(program, error.value(), " (spawn)" + posix::process_limit_note(error.value()));
}

// The program's working directory @p dir (none if empty), checked here as
// the child's chdir() would check it, so that the die names it: a missing
// one, one that is not a directory, one this process may not search
// (Python's subprocess names the directory too).
void check_working_directory(const std::string& program, const std::string& dir) {
  if (dir.empty()) return;
  struct stat st {};
  int err = 0;
  if (::stat(dir.c_str(), &st) != 0)
    err = errno;
  else if (!S_ISDIR(st.st_mode))
    err = ENOTDIR;
  else if (::faccessat(AT_FDCWD, dir.c_str(), X_OK, AT_EACCESS) != 0)
    err = errno;
  if (err != 0) cannot_start(program, err, " in working directory \"" + dir + "\"");
}

void launch(Launched& l, const std::vector<std::string>& argv, const RunOptions& o) {
  check_sigchld_kept(argv.front());
  check_working_directory(argv.front(), o.working_directory);
  const std::vector<std::string> env = environment_of(o);
  const std::filesystem::path exe = executable(argv.front(), o, env);
  auto [in_r, in_w] = posix::pipe();
  auto [out_r, out_w] = posix::pipe();
  auto [err_r, err_w] = posix::pipe();
  bp::posix::vfork_launcher launcher;
  bp::error_code ec;
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  // Through the executor: Boost.Process 1.81 drops the error_code of the
  // io_context overload and throws its own "default_launcher" error.
  // The launcher's vforked child calls the io_context's notify_fork(), which
  // makes its reactor anew: new descriptors in the child's table, their
  // numbers written into the memory it shares with this process. So the
  // io_context has no reactor until the launcher returns (nothing here
  // makes one: `proc` is made by the launcher, after the child has
  // exec'd); with one, another thread's descriptors could take its
  // numbers, and closing it would close theirs.
  auto exec = l.launch_ctx->get_executor();
  if (int e = posix::take_library_fault("posix_spawn")) {
    ec.assign(e, bp::system_category());
  } else {
    try {
      l.proc.emplace(
          launcher(exec, ec, exe, args, bp::process_stdio{in_r.get(), out_w.get(), err_w.get()},
                   bp::process_environment(env), ChildSetup{&o.working_directory, ::getpid()}));
    } catch (const boost::system::system_error& e) {  // Asio's, not a std::system_error
      if (launcher.pid <= 0) throw;
      for (posix::Fd* fd : {&in_r, &in_w, &out_r, &out_w, &err_r, &err_w}) fd->reset();
      abandon(launcher.pid, argv.front(), e.code());
    }
  }
  if (ec) {
    if (launcher.pid > 0) posix::kill_and_reap(launcher.pid);  // the child that could not exec
    cannot_start(argv.front(), ec.value(), " (spawn)" + posix::process_limit_note(ec.value()));
  }
  l.pid = l.proc->id();
  posix::set_process_group(l.pid);
  l.pipes.in = std::move(in_w);
  l.pipes.out = std::move(out_r);
  l.pipes.err = std::move(err_r);
  l.pipes.exited = posix::pidfd(l.pid);
}

// Reaps the program; its status.
int reap(Launched& l) {
  // Gone with the program: what it left running in its group (before it
  // is reaped, so that the group id cannot have been reused).
  posix::kill(-l.pid, SIGKILL);
  bp::error_code wait_ec;
  if (int e = posix::take_library_fault("waitpid"))
    wait_ec.assign(e, bp::system_category());
  else
    l.proc->wait(wait_ec);
  l.reaped = true;
  if (wait_ec) {
    posix::kill_and_reap(l.pid);  // no zombie left behind
    throw std::system_error(
        wait_ec.value(), std::generic_category(),
        "waitpid(" + std::to_string(l.pid) + ")" + (wait_ec.value() == ECHILD ? kStatusTaken : ""));
  }
  return l.proc->native_exit_code();
}

// Sets what the program wrote, and how it ended, on @p t.
void record_outcome(Trap& t, const detail::ProgramOutput& outcome, const Deadline& deadline,
                    int status) {
  if (outcome.timed_out && deadline.layer_state) {
    deadline.layer_state->mark_passed();  // the timeout layer records it
  } else if (outcome.timed_out) {
    t.set("timeout", Value(true));
    t.set_leaveby("timeout");
  } else if (auto end = posix::child_end(status)) {
    t.set(end->how, Value(end->value));
    t.set_leaveby(end->how);
  }
}

// Records what is run on @p t (the argv and options accessors) and sets
// its failure context; returns the record that context reads.
std::shared_ptr<detail::RunRecord> describe_run(Trap& t, const std::vector<std::string>& argv,
                                                const RunOptions& o) {
  auto record = std::make_shared<detail::RunRecord>();
  record->argv = argv;
  t.set("argv", Value::from(argv));
  t.set("options", Value::from(o));
  t.failure_context(
      [record](const Trap& trap) { return detail::run_failure_context(*record, trap); });
  return record;
}

void run_program(Trap& t, const std::vector<std::string>& argv, const RunOptions& o) {
  const auto record = describe_run(t, argv, o);
  Launched& launched = launched_for(t);
  const Deadline deadline = deadline_of(t, o);
  if (!deadline.layer_state) record->timeout = o.timeout;
  try {
    launch(launched, argv, o);
  } catch (const std::system_error& e) {
    record->start_error = e.code().message();
    throw;
  }
  detail::ProgramOutput outcome =
      detail::follow_program(launched.pipes, launched.pid, o.input, deadline.when);
  // Kept should the wait fail.
  t.set("stdout", Value(std::move(outcome.out)));
  t.set("stderr", Value(std::move(outcome.err)));
  const int status = reap(launched);
  record->core_dumped = WIFSIGNALED(status) && WCOREDUMP(status);
  record_outcome(t, outcome, deadline, status);
}

}  // namespace

Trapper& process_trapper() {
  static Trapper t("trap::process", &standard());
  static std::once_flag once;
  std::call_once(once, [] {
    auto& B = Builder::instance();
    // Terminating, like raw, but the program's code sets the leaveby.
    B.layer(t, "program", [](Trap& self, std::string_view) { self.run(); });
    B.multi_layer(t, "default", {"program", "die"});
  });
  return t;
}

Trap detail::run_under(std::string_view spec, const std::vector<std::string>& argv,
                       const RunOptions& options) {
  if (argv.empty()) throw UsageError("trap::run: argv is empty (argv[0] names the program)");
  check_passable(argv, options);
  if (options.timeout && options.timeout->count() <= 0)
    throw UsageError("trap::run: the timeout must be positive, not " +
                     std::to_string(options.timeout->count()) + " ms");
  return process_trapper().trap(spec, [&](Trap& t) { run_program(t, argv, options); });
}

Trap run(const std::vector<std::string>& argv, const RunOptions& options) {
  return detail::run_under(std::string_view(), argv, options);
}

}  // namespace trap
