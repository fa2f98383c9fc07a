// SPDX-License-Identifier: BSL-1.0
// trap::run at its edges: a program that leaves a background child returns
// when the program exits, a timeout bounds the whole call, what cannot be
// passed to a program is refused, and several threads run programs at once.
#define BOOST_TEST_MODULE run_edges
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/algorithm/string/join.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>

#include "support/child.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using std::string_literals::operator""s;

namespace {

// The first line of @p text as a pid (0 if there is none).
int first_line_pid(const std::string& text) {
  try {
    return std::stoi(text.substr(0, text.find('\n')));
  } catch (const std::exception&) {
    return 0;
  }
}

// Kills a process the test started outside the program's group.
struct KillAtEnd {
  int pid = 0;
  ~KillAtEnd() {
    if (pid > 0) ::kill(pid, SIGKILL);
  }
};

using Clock = std::chrono::steady_clock;

}  // namespace

BOOST_AUTO_TEST_SUITE(background_children)

// The hang guard (10 s against the child's 30) is not a timing claim: the
// call used to return only when the background child ended.
BOOST_AUTO_TEST_CASE(returns_when_the_program_exits_and_kills_its_group) {
  const auto start = Clock::now();
  auto r = trap::run({"sh", "-c", "sleep 30 & echo $!; echo started"});
  BOOST_TEST((Clock::now() - start < 10s));
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST((r.exit_code() == 0));
  const int sleeper = first_line_pid(r.out());
  BOOST_REQUIRE(sleeper > 0);
  BOOST_TEST(r.out() == std::to_string(sleeper) + "\nstarted\n");
  BOOST_TEST(test_support::ends_soon(sleeper));  // killed with the group, then reaped by init
}

BOOST_AUTO_TEST_CASE(all_that_was_written_before_the_exit_is_kept) {
  auto r = trap::run({"sh", "-c", "sleep 30 & head -c 300000 /dev/zero; echo err >&2"});
  BOOST_TEST((r.exit_code() == 0));
  BOOST_TEST(r.out().size() == 300000u);
  BOOST_TEST(r.err() == "err\n");
}

BOOST_AUTO_TEST_CASE(a_child_that_left_the_group_does_not_delay_the_call) {
  const auto start = Clock::now();
  auto r = trap::run({"sh", "-c", "setsid sleep 30 & echo $!"});
  KillAtEnd daemon{first_line_pid(r.out())};
  BOOST_TEST((Clock::now() - start < 10s));
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(daemon.pid > 0);
}

BOOST_AUTO_TEST_CASE(a_timeout_bounds_the_call_past_a_child_holding_the_pipes) {
  const auto start = Clock::now();
  auto r = trap::run({"sh", "-c", "setsid sleep 30 & echo $!; exec sleep 30"}, {.timeout = 300ms});
  KillAtEnd daemon{first_line_pid(r.out())};
  BOOST_TEST((Clock::now() - start < 10s));
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(daemon.pid > 0);
}

BOOST_AUTO_TEST_CASE(a_timeout_stops_a_program_that_writes_without_pause) {
  const auto start = Clock::now();
  auto r = trap::run({"yes"}, {.timeout = 300ms});
  BOOST_TEST((Clock::now() - start < 10s));
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.out().substr(0, 4) == "y\ny\n");
}

BOOST_AUTO_TEST_CASE(a_timeout_layer_bounds_the_call_too) {
  const auto start = Clock::now();
  auto r = trap::run(":timeout(300)", {"sh", "-c", "setsid sleep 30 & echo $!; exec sleep 30"});
  KillAtEnd daemon{first_line_pid(r.out())};
  BOOST_TEST((Clock::now() - start < 10s));
  BOOST_TEST(r.leaveby() == "timeout");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(what_cannot_be_passed)

// The message of the UsageError that @p fn throws ("" if none).
template <class Fn>
std::string usage_error_of(Fn fn) {
  try {
    fn();
  } catch (const trap::UsageError& e) {
    return e.what();
  }
  return "";
}

BOOST_AUTO_TEST_CASE(an_argument_with_a_nul_byte) {
  auto m = usage_error_of([] { trap::run({"echo", "ok", "a\0b"s}); });
  BOOST_TEST(m.find("argument 2") != std::string::npos, m);
  BOOST_TEST(m.find("NUL") != std::string::npos, m);
  m = usage_error_of([] { trap::run({"ec\0ho"s}); });
  BOOST_TEST(m.find("argument 0") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(an_environment_name_with_an_equals_sign_or_nul) {
  auto m = usage_error_of([] { trap::run({"true"}, {.environment = {{"A=B", "c"}}}); });
  BOOST_TEST(m.find("\"A=B\"") != std::string::npos, m);
  m = usage_error_of([] { trap::run({"true"}, {.environment = {{"A\0B"s, "c"}}}); });
  BOOST_TEST(m.find("environment variable name") != std::string::npos, m);
  m = usage_error_of([] { trap::run({"true"}, {.environment = {{"", "c"}}}); });
  BOOST_TEST(m.find("environment variable name \"\"") != std::string::npos, m);
  m = usage_error_of([] { trap::run({"true"}, {.unset_environment = {"X=Y"}}); });
  BOOST_TEST(m.find("\"X=Y\"") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(an_environment_value_with_a_nul_byte) {
  auto m = usage_error_of([] { trap::run({"true"}, {.environment = {{"NAME", "a\0b"s}}}); });
  BOOST_TEST(m.find("\"NAME\"") != std::string::npos, m);
  BOOST_TEST(m.find("NUL") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(an_equals_sign_in_a_value_is_passed) {
  auto r = trap::run({"sh", "-c", "printf %s \"$NAME\""}, {.environment = {{"NAME", "a=b"}}});
  BOOST_TEST(r.out() == "a=b");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(threads)

// Each call launches from an io_context of its own while other threads
// open and close descriptors: a launch must not take the descriptor
// numbers its vforked child saw for its own (the child shares the
// parent's memory, not its descriptor table). 4 threads, 150 programs each;
// a launch that went wrong shows as a missing output, an error or a
// timeout (which bounds a call that would wait for ever).
BOOST_AUTO_TEST_CASE(threads_running_programs_at_once_each_get_their_output) {
  constexpr int kThreads = 4;
  constexpr int kRuns = 150;
  std::atomic<int> wrong{0};
  std::string first_wrong[kThreads];
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      const std::string word = "thread" + std::to_string(t);
      for (int i = 0; i < kRuns; ++i) {
        auto r = trap::run({"sh", "-c", "printf %s \"$1\"", "sh", word}, {.timeout = 20s});
        if (r.leaveby() != "exit" || r.exit_code() != 0 || r.out() != word) {
          if (wrong++ == 0) first_wrong[t] = "left by " + r.leaveby() + ": " + r.die();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  std::string why;
  for (auto& w : first_wrong) why += w;
  BOOST_TEST(wrong.load() == 0, why);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sigchld)

// Sets SIGCHLD's action for the scope; puts the old one back.
struct SigchldAction {
  struct sigaction old {};
  explicit SigchldAction(void (*handler)(int), int flags = 0) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    ::sigaction(SIGCHLD, &sa, &old);
  }
  ~SigchldAction() { ::sigaction(SIGCHLD, &old, nullptr); }
};

// The kernel discards a child's status when SIGCHLD is ignored: the call
// says so, rather than "assign: Bad file descriptor" from deep in Asio or
// a failed waitpid().
BOOST_AUTO_TEST_CASE(ignored_sigchld_is_refused_with_the_reason) {
  for (int flags : {0, SA_NOCLDWAIT}) {
    SigchldAction ignored(flags ? SIG_DFL : SIG_IGN, flags);
    auto r = trap::run({"sh", "-c", "exit 3"});
    BOOST_TEST(r.leaveby() == "die");
    BOOST_TEST(r.die() ==
               "cannot start \"sh\" (SIGCHLD is ignored in this process, so its exit status "
               "would be lost): No child processes");
  }
  BOOST_TEST((trap::run({"sh", "-c", "exit 3"}).exit_code() == 3));
}

void reap_every_child(int) {
  const int saved = errno;
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  errno = saved;
}

// A SIGCHLD handler of the program's own that reaps every child takes the
// status first: the die says so, and what the program wrote is kept.
BOOST_AUTO_TEST_CASE(a_handler_that_takes_the_status_is_named) {
  SigchldAction reaping(reap_every_child);
  for (int i = 0; i < 5; ++i) {
    auto r = trap::run({"sh", "-c", "echo out; exit 3"});
    BOOST_TEST(r.leaveby() == "die");
    BOOST_TEST(r.die().find(": another wait in this process (a SIGCHLD handler's?) took the "
                            "program's exit status: No child processes") != std::string::npos,
               r.die());
    if (r.die().starts_with("waitpid(")) BOOST_TEST(r.out() == "out\n");
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signals)

// The signals the program ignores, from its /proc/self/status.
unsigned long long ignored_signals_of(const trap::Trap& r) {
  const std::string& out = r.out();
  const auto at = out.find("SigIgn:");
  BOOST_REQUIRE(at != std::string::npos);
  return std::stoull(out.substr(at + 7), nullptr, 16);
}

bool ignores(unsigned long long mask, int sig) { return (mask >> (sig - 1)) & 1U; }

// A test program often ignores SIGPIPE, and trap's capture ignores
// SIGXFSZ under a file-size limit: the program starts with both at their
// defaults, as from a shell or Python's subprocess, so that it dies
// writing to a closed pipe, and `yes | head` says nothing.
BOOST_AUTO_TEST_CASE(sigpipe_and_sigxfsz_start_at_their_defaults) {
  struct sigaction ign {
  }, old_pipe{}, old_xfsz{}, old_usr{};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old_pipe);
  ::sigaction(SIGXFSZ, &ign, &old_xfsz);
  ::sigaction(SIGUSR2, &ign, &old_usr);
  auto status = trap::run({"grep", "SigIgn", "/proc/self/status"});
  auto pipeline = trap::run({"sh", "-c", "yes | head -c 2"});
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  ::sigaction(SIGXFSZ, &old_xfsz, nullptr);
  ::sigaction(SIGUSR2, &old_usr, nullptr);
  const auto mask = ignored_signals_of(status);
  BOOST_TEST(!ignores(mask, SIGPIPE));
  BOOST_TEST(!ignores(mask, SIGXFSZ));
  BOOST_TEST(ignores(mask, SIGUSR2));  // others are inherited, as exec keeps them
  BOOST_TEST(pipeline.out() == "y\n");
  BOOST_TEST(pipeline.err() == "");
}

BOOST_AUTO_TEST_SUITE_END()

// UBSan's vptr check, when it is built in: its handler for a type it has
// not seen at that address yet (null without UBSan).
extern "C" __attribute__((weak)) void __ubsan_handle_dynamic_type_cache_miss();

namespace {

// The precondition of the test below (see there).
boost::test_tools::assertion_result without_ubsan_vptr_check(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result ok(__ubsan_handle_dynamic_type_cache_miss == nullptr);
  ok.message() << "UBSan's vptr check needs a free descriptor";
  return ok;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(descriptor_limit)

// With from 0 to 15 descriptors free under RLIMIT_NOFILE, each call runs
// the program or is a die naming the call and the OS error. Near 8 free,
// the pipes are made and the program started, and then Asio runs out
// making its reactor: the program was left running, then a zombie, its
// pidfd open, and the die was Asio's "eventfd_select_interrupter: Too
// many open files [system:24]".
//
// Not under UBSan's vptr check (the asan preset): on a virtual call whose
// type its cache lacks, it reads the object's vtable only after probing
// that memory through a pipe it opens (IsAccessibleMemoryRange). With no
// descriptor free, the probe fails and the call is reported as "invalid
// vptr ... memory cannot be printed", though the object is sound: here
// std::system_error's and Boost's system_error's constructors, which call
// error_category::message() on the way out of a call that ran out. One
// line does it without trap: `std::generic_category().message(24)` after
// filling the table with pipe().
BOOST_AUTO_TEST_CASE(every_call_under_a_low_limit_leaves_nothing_behind,
                     *boost::unit_test::precondition(without_ubsan_vptr_check)) {
  trap::run({"true"});  // this thread's lasting state made
  struct rlimit old {};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  const int fds = test_support::count_fds();
  std::vector<std::string> wrong;
  for (int free = 0; free <= 15; ++free) {
    struct rlimit low = old;
    low.rlim_cur = static_cast<rlim_t>(fds + free);
    BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    auto r = trap::run({"sh", "-c", "echo out"});
    ::setrlimit(RLIMIT_NOFILE, &old);
    const std::string what = std::to_string(free) + " free: ";
    if (r.leaveby() == "die" && r.die().find("[system:") != std::string::npos)
      wrong.push_back(what + r.die());
    if (r.leaveby() != "die" && r.out() != "out\n") wrong.push_back(what + "out " + r.out());
    if (test_support::count_children() != 0) wrong.push_back(what + "a child left");
    if (test_support::settled_fd_count(fds) != fds) wrong.push_back(what + "a descriptor left");
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
  BOOST_TEST(wrong.empty(), boost::algorithm::join(wrong, "; "));
}

BOOST_AUTO_TEST_SUITE_END()

// Under a process limit that is reached (RLIMIT_NPROC, `ulimit -u`) the
// program cannot be started (EAGAIN, which says nothing of it): the die
// names the limit. Root is exempt from it, so the call runs in a child
// that has become nobody where this is root.
BOOST_AUTO_TEST_CASE(a_process_limit_reached_is_named) {
  auto child = test_support::in_child([] {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    struct rlimit one = {1, 1};
    if (::setrlimit(RLIMIT_NPROC, &one) != 0) ::_exit(4);
    auto r = trap::run({"true"});
    std::cout << r.leaveby() << ": " << r.die();
  });
  BOOST_REQUIRE(child.exited(0));
  BOOST_TEST(child.out ==
                 "die: cannot start \"true\" (spawn) (the process limit RLIMIT_NPROC 1 is "
                 "reached: ulimit -u): Resource temporarily unavailable",
             child.out);
}
