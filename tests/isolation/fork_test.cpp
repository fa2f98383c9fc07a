// SPDX-License-Identifier: BSL-1.0
// The fork layer: the code runs in a child process and every way out of it
// (return, exception, exit, _exit, quick_exit, signals, std::terminate)
// comes back to the parent as a complete trap.
#define BOOST_TEST_MODULE fork
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "posix/children.hpp"
#include "posix/fd.hpp"
#include "support/test_support.hpp"

namespace {

struct Point {
  int x = 0;
  int y = 0;
  bool operator==(const Point&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Point& p) {
  return os << "(" << p.x << ", " << p.y << ")";
}

// A type whose code would not come back from a child.
struct Opaque {
  int v = 0;
};

// A real invalid access, without undefined behaviour a sanitizer would
// report first: a write to a page mapped with no access.
[[noreturn]] void segfault() {
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *static_cast<volatile int*>(page) = 1;
  std::abort();
}

int deep(int n) {
  volatile char pad[1024];
  pad[0] = static_cast<char>(n);
  return n == 0 ? pad[0] : deep(n + 1) + pad[0];
}

}  // namespace

template <>
struct trap::codec<Point> {
  static std::string encode(const Point& p) {
    return std::to_string(p.x) + "," + std::to_string(p.y);
  }
  static Point decode(std::string_view s) {
    auto comma = s.find(',');
    return {std::stoi(std::string(s.substr(0, comma))),
            std::stoi(std::string(s.substr(comma + 1)))};
  }
};

BOOST_AUTO_TEST_SUITE(ways_out)

BOOST_AUTO_TEST_CASE(normal_return_with_output_and_value) {
  const int parent = ::getpid();
  auto r = trap::trap<":fork">([] {
    std::cout << "out " << ::getpid();
    std::cerr << "err";
    trap::warn("careful\n");
    return ::getpid();
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<int>() != parent);
  BOOST_TEST(r.out() == "out " + std::to_string(r.return_value<int>()));
  BOOST_TEST(r.err() == "errcareful\n");
  BOOST_TEST(r.warn() == std::vector<std::string>{"careful\n"});
  BOOST_TEST(r.did_return());
}

BOOST_AUTO_TEST_CASE(exception_is_die_with_message_and_type) {
  auto r = trap::trap<":fork">([] { throw std::out_of_range("too far"); });
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die() == "too far");
  BOOST_TEST(r.die_type() == "std::out_of_range");
  BOOST_TEST(r.die_is("too far"));
}

BOOST_AUTO_TEST_CASE(every_exit_function_is_exit_with_its_code) {
  auto a = trap::trap<":fork">([] {
    std::cout << "before exit";
    std::exit(3);
  });
  BOOST_TEST(a.leaveby() == "exit");
  BOOST_TEST(a.exit_code() == 3);
  BOOST_TEST(a.out() == "before exit");
  auto b = trap::trap<":fork">([] {
    std::printf("buffered, then _exit");
    ::_exit(4);
  });
  BOOST_TEST(b.exit_code() == 4);
  BOOST_TEST(b.out() == "buffered, then _exit");
  auto c = trap::trap<":fork">([] { std::_Exit(5); });
  BOOST_TEST(c.exit_code() == 5);
  auto d = trap::trap<":fork">([] { std::quick_exit(6); });
  BOOST_TEST(d.exit_code() == 6);
  BOOST_TEST(d.did_exit());
}

BOOST_AUTO_TEST_CASE(abort_is_signal_with_output_kept) {
  auto r = trap::trap<":fork">([] {
    std::cout << "about to abort\n";
    std::fprintf(stderr, "fatal: giving up\n");
    std::abort();
  });
  BOOST_TEST(r.leaveby() == "signal");
  BOOST_TEST(r.signal() == SIGABRT);
  BOOST_TEST(r.did_signal());
  BOOST_TEST(r.signal_is(SIGABRT));
  BOOST_TEST(r.out() == "about to abort\n");
  BOOST_TEST(r.err() == "fatal: giving up\n");
}

BOOST_AUTO_TEST_CASE(segfault_and_stack_overflow_are_sigsegv) {
  auto r = trap::trap<":fork">([] {
    std::cerr << "null pointer ahead\n";
    segfault();
  });
  BOOST_TEST(r.signal() == SIGSEGV);
  BOOST_TEST(r.err() == "null pointer ahead\n");
  auto o = trap::trap<":fork">([] { return deep(1); });
  BOOST_TEST(o.signal() == SIGSEGV);
}

BOOST_AUTO_TEST_CASE(raise_and_kill_9) {
  auto r = trap::trap<":fork">([] { ::raise(SIGUSR1); });
  BOOST_TEST(r.signal() == SIGUSR1);
  auto k = trap::trap<":fork">([] {
    std::cout << "lost with the process";
    ::kill(::getpid(), SIGKILL);
  });
  BOOST_TEST(k.leaveby() == "signal");
  BOOST_TEST(k.signal() == SIGKILL);
  BOOST_TEST(k.out() == "");
}

BOOST_AUTO_TEST_CASE(terminate_is_sigabrt_with_its_message) {
  auto r = trap::trap<":fork">([] {
    try {
      throw std::runtime_error("no handler for this");
    } catch (...) {
      std::terminate();
    }
  });
  BOOST_TEST(r.signal() == SIGABRT);
  BOOST_TEST(r.err().find("terminate called") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(signal_name_is_in_the_diagnostics) {
  auto events = trap::intercept([] {
    auto r = trap::trap<":fork">([] { segfault(); });
    r.did_return("returns");
  });
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(!events[0].pass);
  BOOST_TEST(events[0].diagnostics.at(0) ==
             "    Expecting to return(), but instead signal()ed with 11 (SIGSEGV)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(values)

BOOST_AUTO_TEST_CASE(builtin_types_come_back) {
  BOOST_TEST(trap::trap<":fork">([] { return 2.5; }).return_value<double>() == 2.5);
  BOOST_TEST(trap::trap<":fork">([] { return true; }).return_value<bool>() == true);
  BOOST_TEST(trap::trap<":fork">([] {
               return std::string("a\0b", 3);
             }).return_value<std::string>() == std::string("a\0b", 3));
  auto v = trap::trap<":fork">([] { return std::vector<int>{1, 2, 3}; });
  BOOST_TEST(v.return_value<std::vector<int>>() == (std::vector<int>{1, 2, 3}));
  auto o = trap::trap<":fork">([] { return std::optional<long>(); });
  BOOST_TEST(!o.return_value<std::optional<long>>().has_value());
}

BOOST_AUTO_TEST_CASE(user_codec_brings_the_object_back) {
  auto r = trap::trap<":fork">([] { return Point{3, 4}; });
  BOOST_TEST(r.return_value<Point>() == (Point{3, 4}));
  BOOST_TEST(r.return_is(trap::Value::from(Point{3, 4})));
  BOOST_TEST(r.get("return")->str() == "(3, 4)");
}

BOOST_AUTO_TEST_CASE(runtime_spec_without_codec_keeps_the_rendering) {
  auto r = trap::trap(":fork", [] { return Opaque{7}; });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.get("return")->str().find("Opaque object") != std::string::npos);
  BOOST_CHECK_THROW(r.return_value<Opaque>(), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_hygiene)

BOOST_AUTO_TEST_CASE(results_reported_in_the_child_reach_the_parent_in_order) {
  auto events = trap::intercept([] {
    trap::current_hub().send([] {
      trap::Event e;
      e.pass = true;
      e.name = "before";
      return e;
    }());
    trap::trap<":fork">([](trap::Trap&) {
      auto inner = trap::trap([] { std::cout << "x"; });
      inner.stdout_is("x", "first in child");
      inner.stdout_is("y", "second in child");
    });
    trap::current_hub().send([] {
      trap::Event e;
      e.pass = true;
      e.name = "after";
      return e;
    }());
  });
  BOOST_REQUIRE_EQUAL(events.size(), 4u);
  BOOST_TEST(events[0].name == "before");
  BOOST_TEST(events[1].name == "first in child");
  BOOST_TEST(events[1].pass);
  BOOST_TEST(events[2].name == "second in child");
  BOOST_TEST(!events[2].pass);
  BOOST_TEST(events[3].name == "after");
}

BOOST_AUTO_TEST_CASE(buffered_parent_output_is_not_written_twice) {
  auto outer = trap::trap([] {
    std::printf("parent's buffered line\n");  // still in stdio's buffer
    auto r = trap::trap<":fork">([] { std::exit(0); });
    (void)r;
  });
  BOOST_TEST(outer.out() == "parent's buffered line\n");
}

BOOST_AUTO_TEST_CASE(atexit_handlers_do_not_run_in_the_child) {
  static bool registered = false;
  static int parent = ::getpid();
  if (!registered) {
    std::atexit([] {
      if (::getpid() != parent) std::fputs("atexit handler ran in a child\n", stdout);
    });
    registered = true;
  }
  auto outer = trap::trap([] {
    trap::trap<":fork">([] { std::exit(0); });
    trap::trap<":fork">([] {});
  });
  BOOST_TEST(outer.out() == "");
}

BOOST_AUTO_TEST_CASE(ignored_signals_stay_ignored_in_the_child) {
  auto old = ::signal(SIGPIPE, SIG_IGN);
  auto r = trap::trap<":fork">([] {
    int p[2];
    if (::pipe(p) != 0) return false;
    ::close(p[0]);
    return ::write(p[1], "x", 1) < 0 && errno == EPIPE;  // no SIGPIPE death
  });
  ::signal(SIGPIPE, old);
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<bool>());
}

BOOST_AUTO_TEST_CASE(fork_inside_fork) {
  auto r = trap::trap<":fork">([] {
    auto inner = trap::trap<":fork">([] {
      std::cout << "grandchild";
      std::abort();
    });
    std::cout << inner.signal().value_or(0) << ":" << inner.out();
    return inner.signal().value_or(0);
  });
  BOOST_TEST(r.return_value<int>() == SIGABRT);
  BOOST_TEST(r.out() == std::to_string(SIGABRT) + ":grandchild");
}

BOOST_AUTO_TEST_CASE(no_fork_environment_runs_in_process) {
  ::setenv("TRAP_NO_FORK", "1", 1);
  const int parent = ::getpid();
  auto r = trap::trap<":fork">([] {
    std::cout << "here";
    return ::getpid();
  });
  ::unsetenv("TRAP_NO_FORK");
  BOOST_TEST(r.return_value<int>() == parent);
  BOOST_TEST(r.out() == "here");
}

BOOST_AUTO_TEST_CASE(forking_with_threads_warns_once) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread other([&] {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return done; });
  });
  // The warning goes to the original stderr, past any capture: catch it
  // there.
  std::FILE* sink = std::tmpfile();
  std::fflush(stderr);
  int saved = ::dup(2);
  ::dup2(::fileno(sink), 2);
  trap::trap<":fork">([] {});
  trap::trap<":fork">([] {});
  ::dup2(saved, 2);
  ::close(saved);
  {
    std::lock_guard lock(m);
    done = true;
  }
  cv.notify_one();
  other.join();
  std::string text(4096, '\0');
  std::rewind(sink);
  text.resize(std::fread(text.data(), 1, text.size(), sink));
  std::fclose(sink);
  // Two here; more under a sanitizer that runs threads of its own.
  BOOST_TEST(text.find("the fork layer forks a process that runs ") != std::string::npos);
  BOOST_TEST(text.find("runs 1 threads") == std::string::npos);
  const std::string warning = "# trap: the fork layer forks";
  BOOST_TEST(text.find(warning) == text.rfind(warning));  // once
}

BOOST_AUTO_TEST_CASE(a_thousand_fork_traps_leave_nothing_behind) {
  test_support::PrivateTmpdir tmp;
  trap::trap<":fork">([] {});  // warm up pools
  const int fds = test_support::count_fds();
  for (int i = 0; i < 1000; ++i) {
    auto r = trap::trap<":fork">([i] {
      std::cout << i;
      if (i % 3 == 0) std::abort();
      if (i % 3 == 1) std::exit(i % 256);
      return i;
    });
    BOOST_REQUIRE(r.out() == std::to_string(i));
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::count_children() == 0);
  BOOST_TEST(test_support::count_entries(tmp.path()) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(fork_failure_is_a_trap_error_and_leaks_nothing) {
  const int fds = test_support::count_fds();
  trap::posix::inject_fault("fork", 1, EAGAIN);
  try {
    trap::trap<":fork">([] {});
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).find("fork layer: fork: Resource temporarily unavailable") !=
               std::string::npos);
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  auto r = trap::trap<":fork">([] { return 1; });
  BOOST_TEST(r.return_value<int>() == 1);
}

BOOST_AUTO_TEST_CASE(truncated_result_record_is_a_trap_error) {
  // The child's first write through the seam is its result record: make it
  // short, then fail the rest, and the short record that would say why.
  trap::posix::inject_fault("write", 1, -1);
  trap::posix::inject_fault("write", 1, EIO);  // counted after the first
  trap::posix::inject_fault("ftruncate", 1, EIO);
  try {
    trap::trap<":fork">([] { return 42; });
    trap::posix::inject_fault("", 0, 0);
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    trap::posix::inject_fault("", 0, 0);
    BOOST_TEST(std::string(e.what()).find("result record is truncated (1 bytes") !=
               std::string::npos);
  }
  BOOST_TEST(test_support::count_children() == 0);
}

BOOST_AUTO_TEST_CASE(failed_wait_kills_and_reaps_the_child) {
  const int fds = test_support::count_fds();
  trap::posix::inject_fault("waitpid", 1, ECHILD);
  try {
    trap::trap<":fork">([] {
      for (;;) ::pause();
    });
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).find("fork layer: waitpid(") != std::string::npos);
  }
  BOOST_TEST(test_support::count_children() == 0);
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
}

BOOST_AUTO_TEST_CASE(exception_without_die_below_is_a_trap_error) {
  trap::Trapper bare("bare", &trap::standard());
  trap::Builder::instance().multi_layer(bare, "default", {"raw"});
  BOOST_CHECK_EXCEPTION(bare.trap(":fork", [] { throw std::logic_error("escaped"); }),
                        trap::TrapError, [](const trap::TrapError& e) {
                          return std::string(e.what()).find("std::logic_error: escaped") !=
                                 std::string::npos;
                        });
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Forks a child that runs @p child (then exits 0); its pid and the wait
// status waitpid(@p options) gives.
template <class Child>
std::pair<pid_t, int> wait_status_of(Child child, int options) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    child();
    ::_exit(0);
  }
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(pid, &status, options) == pid);
  return {pid, status};
}

}  // namespace

// The one reading of a wait status that fork and trap::run share.
BOOST_AUTO_TEST_CASE(child_end_reads_an_exit_or_a_signal_from_a_wait_status) {
  auto exited = trap::posix::child_end(wait_status_of([] { ::_exit(3); }, 0).second);
  BOOST_TEST_REQUIRE(exited.has_value());
  BOOST_TEST(std::string(exited->how) == "exit");
  BOOST_TEST(exited->value == 3);

  auto killed = trap::posix::child_end(wait_status_of([] { ::raise(SIGKILL); }, 0).second);
  BOOST_TEST_REQUIRE(killed.has_value());
  BOOST_TEST(std::string(killed->how) == "signal");
  BOOST_TEST(killed->value == SIGKILL);

  auto [pid, status] = wait_status_of([] { ::raise(SIGSTOP); }, WUNTRACED);
  BOOST_TEST(!trap::posix::child_end(status).has_value());  // stopped: not ended
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}
