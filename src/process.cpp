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

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <any>
#include <atomic>
#include <filesystem>
#include <memory>
#include <system_error>

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
// timeout kills its children too) and its working directory.
struct ChildSetup {
  const std::string* dir;
  template <class Launcher>
  bp::error_code on_exec_setup(Launcher&, const std::filesystem::path&, const char* const*&) {
    ::setpgid(0, 0);
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

[[noreturn]] void cannot_start(const std::string& program, int err, const std::string& detail = {}) {
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

// Reads @p pipe to its end into @p out, then calls @p done.
template <class Done>
void drain(asio::readable_pipe& pipe, std::string& out, Done done,
           std::shared_ptr<char[]> buf = std::shared_ptr<char[]>(new char[65536])) {
  pipe.async_read_some(asio::buffer(buf.get(), 65536),
                       [&pipe, &out, done, buf](const bp::error_code& ec, std::size_t n) {
                         out.append(buf.get(), n);
                         if (!ec) return drain(pipe, out, done, buf);
                         bp::error_code ignored;
                         pipe.close(ignored);
                         done();
                       });
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

void run_program(Trap& t, const std::vector<std::string>& argv, const RunOptions& o) {
  const std::filesystem::path exe = executable(argv.front(), o);
  std::error_code dir_ec;
  if (!o.working_directory.empty() && !std::filesystem::is_directory(o.working_directory, dir_ec))
    cannot_start(argv.front(), ENOENT,
                 " in working directory \"" + o.working_directory + "\"");
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
                    bp::process_environment(environment_of(o)), ChildSetup{&o.working_directory});
  if (ec) {
    if (launcher.pid > 0) posix::kill_and_reap(launcher.pid);  // the child that could not exec
    cannot_start(argv.front(), ec.value(), " (spawn)");
  }
  const pid_t pid = proc.id();
  posix::set_process_group(pid);
  in_r.reset();
  out_w.reset();
  err_w.reset();

  NoSigpipe no_sigpipe;
  asio::io_context ctx;
  asio::writable_pipe in(ctx, in_w.release());
  asio::readable_pipe out(ctx, out_r.release()), err(ctx, err_r.release());
  std::string out_text, err_text;
  if (o.input.empty()) {
    in.close();
  } else {
    asio::async_write(in, asio::buffer(o.input), [&in](const bp::error_code&, std::size_t) {
      bp::error_code ignored;
      in.close(ignored);  // a program that stops reading is fine
    });
  }
  // Done when both outputs have ended and the program has exited; the
  // deadline's kill ends all three.
  bool timed_out = false;
  int pending = 3;
  asio::steady_timer timer(ctx);
  auto one_done = [&] {
    if (--pending == 0) timer.cancel();
  };
  drain(out, out_text, one_done);
  drain(err, err_text, one_done);
  asio::posix::stream_descriptor exited(ctx);
  if (posix::Fd fd = posix::pidfd(pid)) {
    exited.assign(fd.release());
    exited.async_wait(asio::posix::stream_descriptor::wait_read,
                      [&](const bp::error_code&) { one_done(); });
  } else {
    one_done();  // no pidfd: the end of its output stands for its end
  }
  if (deadline.when) {
    timer.expires_at(*deadline.when);
    timer.async_wait([&](const bp::error_code& e) {
      if (e) return;
      timed_out = true;
      posix::kill(-pid, SIGKILL);  // the whole group: grandchildren too
    });
  }
  ctx.run();
  // What it left running in its group goes with it (before it is reaped,
  // so the group id cannot have been reused).
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

  t.set("stdout", Value(std::move(out_text)));
  t.set("stderr", Value(std::move(err_text)));
  if (timed_out && deadline.layer_state) {
    deadline.layer_state->store(2);  // the timeout layer records it
  } else if (timed_out) {
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
  if (options.timeout && options.timeout->count() <= 0)
    throw UsageError("trap::run: the timeout must be positive, not " +
                     std::to_string(options.timeout->count()) + " ms");
  return process_trapper().trap(spec, [&](Trap& t) { run_program(t, argv, options); });
}

Trap run(const std::vector<std::string>& argv, const RunOptions& options) {
  return detail::run_under(std::string_view(), argv, options);
}

}  // namespace trap
