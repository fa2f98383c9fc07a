// SPDX-License-Identifier: BSL-1.0
// The pipe and tee strategies share one drainer thread per process: what
// that design could get wrong. Output far beyond a pipe's buffer (in one
// write, before the drainer watches the pipe), tee inside tee, two threads
// capturing at once, a child process that keeps the write end, a forked
// child's own captures, a fork while the drainer starts or works, signals,
// and a tee into a reader that left.
#define BOOST_TEST_MODULE pipe_strategy
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "posix/children.hpp"
#include "support/test_support.hpp"

namespace bdata = boost::unit_test::data;

namespace {

const char* const kPipes[] = {"pipe", "tee"};

// @p n bytes that are not all alike, so a lost or reordered chunk shows.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i / 4093) % 26);
  return s;
}

void write_fd(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    BOOST_TEST_REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

// Runs @p fn inside an outer dup2 trap: tee's copies land there.
trap::Trap contained(const std::function<void()>& fn) {
  return trap::trap(":flow:stdout(dup2):stderr(dup2)", fn);
}

}  // namespace

BOOST_DATA_TEST_CASE(one_write_far_beyond_the_pipe_buffer, bdata::make(kPipes), strategy) {
  const std::string big = pattern(4 << 20);
  trap::Trap r;
  auto outer = contained([&] {
    r = trap::trap(":flow:stdout(" + std::string(strategy) + ")", [&] { write_fd(1, big); });
  });
  BOOST_TEST((r.out() == big));
  BOOST_TEST(outer.out().size() == (std::string(strategy) == "tee" ? big.size() : 0u));
}

// What the pipe holds at the end is read there in one go when it is short;
// exactly that read's size, one byte more, and several of them are read
// whole too, each byte captured and teed once.
BOOST_DATA_TEST_CASE(the_rest_at_the_end_around_the_read_size, bdata::make(kPipes), strategy) {
  for (std::size_t n : {std::size_t{1}, std::size_t{16383}, std::size_t{16384}, std::size_t{16385},
                        std::size_t{50000}}) {
    const std::string text = pattern(n);
    trap::Trap r;
    auto outer = contained([&] {
      r = trap::trap(":flow:stdout(" + std::string(strategy) + ")", [&] { write_fd(1, text); });
    });
    BOOST_TEST((r.out() == text), n);
    BOOST_TEST((outer.out() == (std::string(strategy) == "tee" ? text : "")), n);
  }
}

// tee's copies show on the original descriptor while the code still runs
// (from the drainer's next tick), not only when the trap ends; and each
// byte shows once.
BOOST_AUTO_TEST_CASE(tee_copies_show_while_the_code_runs) {
  int p[2];
  BOOST_TEST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  std::cout.flush();
  const int saved = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  ::dup2(p[1], 1);
  ::close(p[1]);
  bool shown = false;
  auto r = trap::trap(":flow:stdout(tee)", [&] {
    write_fd(1, "ping");
    // Waits for the copy, as someone watching the output would (bounded).
    pollfd ready{p[0], POLLIN, 0};
    shown = ::poll(&ready, 1, 10000) == 1;
  });
  ::dup2(saved, 1);
  ::close(saved);
  char buf[16];
  const ssize_t n = ::read(p[0], buf, sizeof buf);  // fd 1's copy is gone: all of it is there
  ::close(p[0]);
  BOOST_TEST(shown);
  BOOST_TEST(r.out() == "ping");
  BOOST_TEST(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0))) == "ping");
}

BOOST_AUTO_TEST_CASE(tee_inside_tee_beyond_the_pipe_buffer) {
  // One thread drains both pipes: the inner tee's copies into the outer pipe
  // must not wait for that thread.
  const std::string big = pattern(3 << 20);
  trap::Trap inner, middle;
  auto outer = contained([&] {
    middle = trap::trap(":flow:stdout(tee)", [&] {
      std::cout << "before " << std::flush;
      inner = trap::trap(":flow:stdout(tee)", [&] { write_fd(1, big); });
      std::cout << " after" << std::flush;
    });
  });
  BOOST_TEST((inner.out() == big));
  BOOST_TEST((middle.out() == "before " + big + " after"));
  BOOST_TEST((outer.out() == "before " + big + " after"));
}

BOOST_AUTO_TEST_CASE(pipe_inside_tee_and_tee_inside_pipe) {
  const std::string big = pattern(1 << 20);
  trap::Trap a, b;
  auto pipe_in_tee = contained([&] {
    a = trap::trap(":flow:stdout(tee)", [&] {
      auto inner = trap::trap(":flow:stdout(pipe)", [&] { write_fd(1, big); });
      BOOST_TEST((inner.out() == big));
      std::cout << "tee" << std::flush;
    });
  });
  BOOST_TEST(a.out() == "tee");
  BOOST_TEST(pipe_in_tee.out() == "tee");
  b = trap::trap(":flow:stdout(pipe)", [&] {
    auto inner = trap::trap(":flow:stdout(tee)", [&] { write_fd(1, big); });
    BOOST_TEST((inner.out() == big));
  });
  BOOST_TEST((b.out() == big));
}

BOOST_AUTO_TEST_CASE(two_threads_capture_in_turn) {
  // Two descriptors (numbers no capture file takes), one capture each, on
  // two threads at once: pipe captures are process-wide, so one waits for
  // the other, and each gets exactly its own bytes.
  static trap::Trapper t("TT::two", &trap::standard());
  trap::Builder::instance().output_layer(t, "fd50", 50);
  trap::Builder::instance().output_layer(t, "fd51", 51);
  BOOST_REQUIRE(::dup2(2, 50) == 50);
  BOOST_REQUIRE(::dup2(2, 51) == 51);
  const std::string five = pattern(2 << 20), six = std::string(2 << 20, '6');
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  auto write_alone = [&](int fd, const std::string& bytes) {
    if (++inside > 1) overlapped = true;
    write_fd(fd, bytes);
    --inside;
  };
  trap::Trap r5, r6;
  std::thread other([&] { r6 = t.trap(":flow:fd51(pipe)", [&] { write_alone(51, six); }); });
  r5 = t.trap(":flow:fd50(pipe)", [&] { write_alone(50, five); });
  other.join();
  BOOST_TEST(!overlapped.load());
  ::close(50);
  ::close(51);
  BOOST_TEST((r5.get("fd50")->as<std::string>() == five));
  BOOST_TEST((r6.get("fd51")->as<std::string>() == six));
}

BOOST_DATA_TEST_CASE(a_child_keeping_the_write_end_does_not_hold_the_trap, bdata::make(kPipes),
                     strategy) {
  // As before the drainer was shared: the trap takes what the pipe holds
  // when the code returns, and does not wait for the child's end of file.
  int ready[2], go[2];
  BOOST_REQUIRE(::pipe(ready) == 0);
  BOOST_REQUIRE(::pipe(go) == 0);
  pid_t child = -1;
  auto outer = contained([&] {
    auto r = trap::trap(":flow:stdout(" + std::string(strategy) + ")", [&] {
      std::fflush(stdout);
      child = ::fork();
      if (child == 0) {
        ::signal(SIGPIPE, SIG_IGN);
        ::close(ready[0]);
        ::close(go[1]);
        bool ok = ::write(1, "early", 5) == 5 && ::write(ready[1], "r", 1) == 1;
        char c;
        (void)::read(go[0], &c, 1);  // until the test lets it go
        (void)::write(1, "late", 4);
        ::_exit(ok ? 0 : 1);
      }
      char c;
      BOOST_TEST_REQUIRE(::read(ready[0], &c, 1) == 1);
    });
    BOOST_TEST(r.out() == "early");
  });
  ::close(go[1]);  // the child writes "late" and exits
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  for (int fd : {ready[0], ready[1], go[0]}) ::close(fd);
  (void)outer;
}

BOOST_AUTO_TEST_CASE(a_forked_child_drains_its_own_captures) {
  // The parent's drainer thread does not exist in a child: the child's
  // first pipe capture must start one of its own.
  auto warm = trap::trap(":flow:stdout(pipe)", [] { std::cout << "warm"; });
  BOOST_TEST(warm.out() == "warm");
  auto child = test_support::in_child([] {
    ::alarm(60);  // a child that hangs fails the test instead
    const std::string big = pattern(2 << 20);
    auto r = trap::trap(":flow:stdout(pipe)", [&] { write_fd(1, big); });
    std::_Exit(r.out() == big ? 0 : 1);
  });
  BOOST_TEST(child.exited(0));
}

namespace {

// In a child of the calling process: allocates in many size classes, then
// exits for real (atexit handlers, and a sanitizer's leak check).
[[noreturn]] void allocate_and_exit() {
  std::vector<std::unique_ptr<char[]>> blocks;
  for (std::size_t n = 16; n <= (std::size_t{8} << 20); n *= 2) blocks.emplace_back(new char[n]);
  blocks.clear();
  std::exit(0);
}

// 0 when the child @p pid ends by itself with code 0; 2 when it does not
// within 5 s (it is killed), 3 when it ends otherwise.
int reap(pid_t pid) {
  const bool ended = test_support::ends_soon(pid);
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!ended) return 2;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
}

}  // namespace

// A child forked while the drainer thread starts, or works (reading a
// capture's pipe into memory, freeing a capture that ended), inherits no
// lock and no half-made block of its: it can allocate and exit. The C
// library's allocator is safe across a fork whatever the other threads do;
// AddressSanitizer's (clang 14, the asan preset) is not: the child's leak
// check at exit waited for ever on the lock the drainer held, or reported
// the block it was growing as leaked (code 3). Each round starts a new
// drainer: in_child's process has none until its first pipe capture.
BOOST_DATA_TEST_CASE(a_child_forked_while_the_drainer_starts_or_works_can_allocate_and_exit,
                     bdata::make({"starting", "reading"}), when) {
  const bool reading = std::string(when) == "reading";
  for (int round = 0; round < 40; ++round) {
    auto child = test_support::in_child([reading] {
      ::alarm(60);  // a child that hangs fails the test instead
      const std::string big = pattern(reading ? 1 << 20 : 1);
      pid_t pid = -1;
      auto r = trap::trap(":flow:stdout(pipe)", [&] {
        write_fd(1, big);  // the first pipe capture: the drainer starts
        pid = ::fork();    // while it starts, or reads the last of `big`
        if (pid == 0) allocate_and_exit();
      });
      const int code = reap(pid);
      std::_Exit(code != 0 ? code : r.out() == big ? 0 : 1);
    });
    BOOST_TEST_REQUIRE(child.exited(0), "round " << round << ": " << child.code()
                                                 << " (2: the forked child hung)\n"
                                                 << child.err);
  }
}

// The one case where the fork does not wait for the drainer to end its
// work: a tee's write into a full pipe, which only the forking thread
// would empty. The fork waits for the drainer's batch (a second: so it
// took at least most of one) and then goes ahead instead of waiting for
// ever; then this thread empties the pipe and the trap ends with all of
// its output, teed in full.
BOOST_AUTO_TEST_CASE(a_fork_does_not_wait_for_ever_on_a_tee_into_a_full_pipe) {
  auto child = test_support::in_child([] {
    ::alarm(60);  // a child that hangs fails the test instead
    int p[2];
    if (::pipe(p) != 0) std::_Exit(10);
    // Full: the tee's first write waits.
    ::fcntl(p[1], F_SETFL, O_NONBLOCK);
    std::size_t held = 0;
    for (char chunk[4096] = {}; ::write(p[1], chunk, sizeof chunk) > 0;) held += sizeof chunk;
    while (::write(p[1], "x", 1) == 1) ++held;
    ::fcntl(p[1], F_SETFL, 0);
    ::dup2(p[1], 1);
    const std::string big = pattern(128 << 10);
    std::string teed;
    pid_t pid = -1;
    auto r = trap::trap(":flow:stdout(tee)", [&] {
      // Twice the capture pipe's buffer: this returns once the drainer
      // has read some, which it then tees into the full pipe, and waits.
      write_fd(1, big);
      const auto before = std::chrono::steady_clock::now();
      pid = ::fork();
      if (pid == 0) ::_exit(0);
      if (std::chrono::steady_clock::now() - before < std::chrono::milliseconds(900))
        std::_Exit(14);  // the fork did not wait for the busy drainer
      char buf[65536];
      while (teed.size() < held + big.size()) {
        const ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n <= 0) std::_Exit(11);
        teed.append(buf, static_cast<std::size_t>(n));
      }
    });
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) std::_Exit(12);
    std::_Exit(r.out() == big && teed.substr(held) == big ? 0 : 13);
  });
  BOOST_TEST(child.exited(0), "code " << child.code() << "\n" << child.err);
}

namespace {
// The signals thread @p tid blocks (/proc/self/task/TID/status, SigBlk).
unsigned long long blocked_signals(const std::string& tid) {
  std::FILE* f = std::fopen(("/proc/self/task/" + tid + "/status").c_str(), "r");
  if (!f) return 0;
  char line[256];
  unsigned long long mask = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "SigBlk: %llx", &mask) == 1) break;
  std::fclose(f);
  return mask;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_drainer_takes_no_signal) {
  // Every thread but this one is trap's: each blocks the signals a program
  // would handle, so none of them is ever picked to run a handler.
  auto r = trap::trap(":flow:stdout(pipe)", [] { std::cout << "x"; });
  BOOST_TEST(r.out() == "x");
  const std::string self = std::to_string(::gettid());
  int others = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    const std::string tid = e.path().filename();
    if (tid == self) continue;
    ++others;
    const unsigned long long mask = blocked_signals(tid);
    for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGPIPE, SIGALRM, SIGCHLD})
      BOOST_TEST((mask >> (sig - 1) & 1) == 1, "thread " << tid << " takes signal " << sig);
  }
  BOOST_TEST(others >= 1);
}

BOOST_AUTO_TEST_CASE(tee_into_a_reader_that_left_gets_epipe) {
  // SIGPIPE's default action would end the test: the copies fail quietly
  // and the capture goes on, for small output (copied by the trap's own
  // thread at the end) and large (copied by the drainer).
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  ::close(p[0]);
  std::fflush(stdout);
  int saved = ::dup(1);
  ::dup2(p[1], 1);
  ::close(p[1]);
  const std::string big = pattern(1 << 20);
  auto small = trap::trap(":flow:stdout(tee)", [] { std::cout << "small" << std::flush; });
  auto large = trap::trap(":flow:stdout(tee)", [&] { write_fd(1, big); });
  ::dup2(saved, 1);
  ::close(saved);
  BOOST_TEST(small.out() == "small");
  BOOST_TEST((large.out() == big));
}

namespace {

bool sigpipe_in(int how) {
  sigset_t set;
  if (how == SIG_BLOCK)
    ::pthread_sigmask(SIG_SETMASK, nullptr, &set);
  else
    ::sigpending(&set);
  return sigismember(&set, SIGPIPE) == 1;
}

}  // namespace

// What the pipe strategy's tee and trap::run write under: SIGPIPE held
// back, taken when the outermost block ends, and the mask as it was.
BOOST_AUTO_TEST_CASE(no_sigpipe_holds_back_sigpipe_and_restores_the_mask) {
  BOOST_TEST_REQUIRE(!sigpipe_in(SIG_BLOCK));
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);
  {
    trap::posix::NoSigpipe outer;
    {
      trap::posix::SigpipeBlock inner;
      inner.block();
      errno = 0;
      BOOST_TEST(::write(fds[1], "x", 1) == -1);
      BOOST_TEST(errno == EPIPE);
      inner.restore();
    }
    // The inner block found SIGPIPE blocked: it leaves it so, and pending.
    BOOST_TEST(sigpipe_in(SIG_BLOCK));
    BOOST_TEST(sigpipe_in(SIG_UNBLOCK));
  }
  ::close(fds[1]);
  BOOST_TEST(!sigpipe_in(SIG_UNBLOCK));  // taken, not delivered: we are still here
  BOOST_TEST(!sigpipe_in(SIG_BLOCK));
}
