// trap::run: an external program in a trap. Boost.Process v2 starts it
// (vfork launcher: the cost does not grow with this process's size) and
// Boost.Asio feeds its stdin and drains its stdout and stderr at once, so
// no amount of output on both can deadlock.
//
// The launcher runs on an io_context of its own, with no I/O object: a
// vforked child shares our memory, and Asio's fork notification in the
// child would otherwise re-create the reactor of the context our pipes live
// in. The pipes are plain descriptors until the child has started.
#define BOOST_PROCESS_USE_STD_FS 1

#include <trap/process.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <any>
#include <atomic>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

// Boost.Process 1.81 with BOOST_PROCESS_USE_STD_FS names boost::optional
// and boost::is_constructible / remove_pointer without including them.
#include <type_traits>

#include <boost/optional.hpp>
#include <boost/type_traits/is_constructible.hpp>
#include <boost/type_traits/remove_pointer.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/posix/vfork_launcher.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
// Header-only Boost.Process 1.81 leaves process_environment::on_setup
// undefined unless its implementation file is included.
#include <boost/process/v2/impl/environment.ipp>

#include "fork.hpp"
#include "posix/fd.hpp"
#include "posix/process.hpp"

extern char** environ;

namespace trap {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using Clock = std::chrono::steady_clock;

// Runs in the vforked child before exec: its own process group (so a
// timeout kills its children too), killed if this process dies first (the
// parent's pid checked after, in case it died before), and its working
// directory.
struct ChildSetup {
  const std::string* dir;
  pid_t parent;
  template <class Launcher>
  bp::error_code on_exec_setup(Launcher&, const std::filesystem::path&, const char* const*&) {
    ::setpgid(0, 0);
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
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string_view::npos) env[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
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

// The program to execute: argv[0], looked up in PATH if it has no slash.
std::filesystem::path executable(const std::string& name, const RunOptions& o) {
  std::filesystem::path exe = name;
  if (o.path_lookup && name.find('/') == std::string::npos) {
    if (auto p = o.environment.find("PATH"); p != o.environment.end()) {
      std::vector<bp::environment::key_value_pair> env{{"PATH", p->second}};
      exe = bp::environment::find_executable(name, env);
    } else {
      exe = bp::environment::find_executable(name);
    }
    if (exe.empty()) cannot_start(name, ENOENT, " (not found in PATH)");
  }
  // Checked here, so that the child fails to exec only in a race.
  std::error_code ec;
  if (!std::filesystem::exists(exe, ec)) cannot_start(name, ENOENT);
  if (std::filesystem::is_directory(exe, ec)) cannot_start(name, EISDIR);
  if (::access(exe.c_str(), X_OK) != 0) cannot_start(name, errno);
  return exe;
}

// SIGPIPE from writing to a program that does not read its input must not
// end the test: blocked on this thread while the program runs, and any
// pending one taken afterwards.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~NoSigpipe() {
    if (!sigismember(&old_, SIGPIPE)) {
      struct timespec zero = {0, 0};
      while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  sigset_t set_, old_;
};

// Reads @p pipe into @p out until its end, an error, or a cancel (which
// leaves the pipe open for read_buffered()), then calls @p done.
template <class Done>
void drain(asio::readable_pipe& pipe, std::string& out, Done done,
           std::shared_ptr<char[]> buf = std::shared_ptr<char[]>(new char[65536])) {
  pipe.async_read_some(asio::buffer(buf.get(), 65536),
                       [&pipe, &out, done, buf](const bp::error_code& ec, std::size_t n) {
                         out.append(buf.get(), n);
                         if (!ec) return drain(pipe, out, done, buf);
                         bp::error_code ignored;
                         if (ec != asio::error::operation_aborted) pipe.close(ignored);
                         done();
                       });
}

// Appends what @p pipe holds now, without waiting for more: a background
// child of the program may keep its write end open for ever.
void read_buffered(asio::readable_pipe& pipe, std::string& out) {
  if (!pipe.is_open()) return;
  const int fd = pipe.native_handle();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // end of file, or nothing more buffered (EAGAIN)
  }
  bp::error_code ignored;
  pipe.close(ignored);
}

// A NUL byte cuts a C string short, and "=" in a name splits it elsewhere:
// neither can reach the program as given.
// @p s with each NUL byte shown as "\0", for a message.
std::string shown(std::string s) {
  for (auto at = s.find('\0'); at != std::string::npos; at = s.find('\0', at + 2))
    s.replace(at, 1, "\\0");
  return s;
}

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
// code then keeps (its state: 1 kept, 2 passed; see timeout.cpp).
struct Deadline {
  std::optional<Clock::time_point> when;
  std::shared_ptr<std::atomic<int>> layer_state;
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

struct Outcome {
  std::string out, err;
  bool timed_out = false;
};

// Feeds the program its input and reads its output until it exits (or the
// deadline kills it), then takes what is already buffered and returns: a
// background child holding the pipes open does not delay the call.
Outcome follow(pid_t pid, posix::Fd in_w, posix::Fd out_r, posix::Fd err_r,
               const std::string& input, std::optional<Clock::time_point> deadline) {
  NoSigpipe no_sigpipe;
  asio::io_context ctx;
  asio::writable_pipe in(ctx, in_w.release());
  asio::readable_pipe out(ctx, out_r.release()), err(ctx, err_r.release());
  Outcome result;
  if (input.empty()) {
    in.close();
  } else {
    asio::async_write(in, asio::buffer(input), [&in](const bp::error_code&, std::size_t) {
      bp::error_code ignored;
      in.close(ignored);  // a program that stops reading is fine
    });
  }
  asio::steady_timer timer(ctx);
  asio::posix::stream_descriptor exited(ctx);
  bool ended = false;
  auto end = [&] {  // the program has exited, or was killed
    if (std::exchange(ended, true)) return;
    bp::error_code ignored;
    timer.cancel();
    exited.close(ignored);
    in.close(ignored);
    out.cancel(ignored);
    err.cancel(ignored);
  };
  int outputs = 2;
  auto output_done = [&] {
    if (--outputs == 0 && !exited.is_open()) end();  // no pidfd: their end stands for its end
  };
  drain(out, result.out, output_done);
  drain(err, result.err, output_done);
  if (posix::Fd fd = posix::pidfd(pid)) {
    exited.assign(fd.release());
    exited.async_wait(asio::posix::stream_descriptor::wait_read, [&](const bp::error_code& e) {
      if (e != asio::error::operation_aborted) end();
    });
  }
  if (deadline) {
    timer.expires_at(*deadline);
    timer.async_wait([&](const bp::error_code& e) {
      if (e) return;
      result.timed_out = true;
      posix::kill(-pid, SIGKILL);  // the whole group: grandchildren too
      posix::kill(pid, SIGKILL);   // and the program, had it left the group
      end();
    });
  }
  ctx.run();
  read_buffered(out, result.out);
  read_buffered(err, result.err);
  return result;
}

void run_program(Trap& t, const std::vector<std::string>& argv, const RunOptions& o) {
  const std::filesystem::path exe = executable(argv.front(), o);
  std::error_code dir_ec;
  if (!o.working_directory.empty() && !std::filesystem::is_directory(o.working_directory, dir_ec))
    cannot_start(argv.front(), ENOENT, " in working directory \"" + o.working_directory + "\"");
  const Deadline deadline = deadline_of(t, o);
  auto [in_r, in_w] = posix::pipe();
  auto [out_r, out_w] = posix::pipe();
  auto [err_r, err_w] = posix::pipe();

  asio::io_context launch_ctx;  // see the file comment
  bp::posix::vfork_launcher launcher;
  bp::error_code ec;
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  // Through the executor: Boost.Process 1.81 drops the error_code of the
  // io_context overload and throws its own "default_launcher" error.
  auto exec = launch_ctx.get_executor();
  bp::basic_process<decltype(exec)> proc(exec);
  if (int e = posix::take_library_fault("posix_spawn"))
    ec.assign(e, bp::system_category());
  else
    proc = launcher(exec, ec, exe, args, bp::process_stdio{in_r.get(), out_w.get(), err_w.get()},
                    bp::process_environment(environment_of(o)),
                    ChildSetup{&o.working_directory, ::getpid()});
  if (ec) {
    if (launcher.pid > 0) posix::kill_and_reap(launcher.pid);  // the child that could not exec
    cannot_start(argv.front(), ec.value(), " (spawn)");
  }
  const pid_t pid = proc.id();
  posix::set_process_group(pid);
  in_r.reset();
  out_w.reset();
  err_w.reset();

  Outcome outcome =
      follow(pid, std::move(in_w), std::move(out_r), std::move(err_r), o.input, deadline.when);
  // Gone with the program: what it left running in its group (before it
  // is reaped, so that the group id cannot have been reused).
  posix::kill(-pid, SIGKILL);
  bp::error_code wait_ec;
  if (int e = posix::take_library_fault("waitpid"))
    wait_ec.assign(e, bp::system_category());
  else
    proc.wait(wait_ec);
  if (wait_ec) {
    posix::kill_and_reap(pid);  // no zombie left behind
    throw std::system_error(wait_ec.value(), std::generic_category(),
                            "waitpid(" + std::to_string(pid) + ")");
  }
  const int status = proc.native_exit_code();

  t.set("stdout", Value(std::move(outcome.out)));
  t.set("stderr", Value(std::move(outcome.err)));
  if (outcome.timed_out && deadline.layer_state) {
    deadline.layer_state->store(2);  // the timeout layer records it
  } else if (outcome.timed_out) {
    t.set("timeout", Value(true));
    t.set_leaveby("timeout");
  } else if (WIFSIGNALED(status)) {
    t.set("signal", Value(WTERMSIG(status)));
    t.set_leaveby("signal");
  } else {
    t.set("exit", Value(WEXITSTATUS(status)));
    t.set_leaveby("exit");
  }
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
