// SPDX-License-Identifier: BSL-1.0
// What one trap costs: each benchmark captures one tiny write per operation,
// with trap's strategies, with GoogleTest's CaptureStdout/CaptureStderr, and
// with the raw system calls a naive capture makes (the floor).
//
// Every operation checks the text it captured (a compare of one or two
// bytes), so a capture that loses output fails the benchmark instead of
// looking fast. Run through scripts/bench, pinned to one CPU; never by ctest.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <trap/hub.hpp>
#include <trap/trap.hpp>

namespace {

/// What one operation captured from stdout and stderr.
struct Captured {
  std::string out;
  std::string err;
};

int checked(int rc, const char* call) {
  if (rc < 0) throw std::system_error(errno, std::generic_category(), call);
  return rc;
}

/// Runs @p op once per iteration and fails the benchmark, naming what was
/// captured, the first time it does not capture @p want_out / @p want_err.
template <class Op>
void run_checked(benchmark::State& state, Op op, std::string_view want_out,
                 std::string_view want_err) {
  try {
    for (auto _ : state) {
      Captured got = op();
      if (got.out != want_out || got.err != want_err) {
        std::string msg = "captured stdout \"" + got.out + "\", stderr \"" + got.err +
                          "\"; expected \"" + std::string(want_out) + "\", \"" +
                          std::string(want_err) + "\"";
        state.SkipWithError(msg.c_str());
        break;
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// ---- raw floors -------------------------------------------------------------

/// A naive capture of one descriptor: the file it writes to and the saved
/// original, restored by end().
class RawCapture {
 public:
  RawCapture(int fd, std::FILE* stream, int file) : fd_(fd), file_(file) {
    checked(std::fflush(stream), "fflush");
    saved_ = checked(::dup(fd_), "dup");
    checked(::dup2(file_, fd_), "dup2");
  }

  std::string end() {
    checked(::dup2(saved_, fd_), "dup2");
    checked(::close(saved_), "close");
    char buf[64];
    ssize_t n = checked(static_cast<int>(::pread(file_, buf, sizeof buf, 0)), "pread");
    checked(::close(file_), "close");
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_;
  int file_;
  int saved_;
};

int open_tmpfile() { return checked(::open("/tmp", O_TMPFILE | O_RDWR, 0600), "open O_TMPFILE"); }
int open_memfd() { return checked(::memfd_create("bench", MFD_CLOEXEC), "memfd_create"); }

void write_all(int fd, std::string_view s) {
  if (checked(static_cast<int>(::write(fd, s.data(), s.size())), "write") !=
      static_cast<int>(s.size()))
    throw std::runtime_error("short write");
}

/// Both descriptors captured at once, as a test capturing stdout and
/// stderr does: divert 1 and 2, write to each, restore both, read.
template <int (*Open)()>
Captured raw_pair() {
  RawCapture out(1, stdout, Open());
  RawCapture err(2, stderr, Open());
  write_all(1, "x");
  write_all(2, "y");
  Captured got;
  got.out = out.end();
  got.err = err.end();
  return got;
}

void BM_raw_dup2_tempfile_pair(benchmark::State& state) {
  run_checked(state, raw_pair<open_tmpfile>, "x", "y");
}
BENCHMARK(BM_raw_dup2_tempfile_pair);

void BM_raw_memfd_pair(benchmark::State& state) {
  run_checked(state, raw_pair<open_memfd>, "x", "y");
}
BENCHMARK(BM_raw_memfd_pair);

/// The pipe strategy's floor: for each descriptor a fresh pipe (pipe2), the
/// write end dup2'ed onto it and closed; after the writes, the descriptor
/// restored and the pipe drained to its end of file.
class RawPipeCapture {
 public:
  RawPipeCapture(int fd, std::FILE* stream) : fd_(fd) {
    checked(std::fflush(stream), "fflush");
    int p[2];
    checked(::pipe2(p, O_CLOEXEC), "pipe2");
    read_ = p[0];
    saved_ = checked(::dup(fd_), "dup");
    checked(::dup2(p[1], fd_), "dup2");
    checked(::close(p[1]), "close");
  }

  /// With @p tee, what was read is also written where the fd pointed.
  std::string end(bool tee = false) {
    checked(::dup2(saved_, fd_), "dup2");
    std::string out;
    char buf[64];
    while (ssize_t n = checked(static_cast<int>(::read(read_, buf, sizeof buf)), "read"))
      out.append(buf, static_cast<size_t>(n));
    if (tee) write_all(saved_, out);
    checked(::close(saved_), "close");
    checked(::close(read_), "close");
    return out;
  }

 private:
  int fd_;
  int read_;
  int saved_;
};

void BM_raw_pipe_pair(benchmark::State& state) {
  run_checked(
      state,
      [] {
        RawPipeCapture out(1, stdout);
        RawPipeCapture err(2, stderr);
        write_all(1, "x");
        write_all(2, "y");
        Captured got;
        got.out = out.end();
        got.err = err.end();
        return got;
      },
      "x", "y");
}
BENCHMARK(BM_raw_pipe_pair);

/// The tee strategy's floor: the raw pipe pair, and what each pipe held
/// written to where its descriptor pointed.
void BM_raw_tee_pair(benchmark::State& state) {
  run_checked(
      state,
      [] {
        RawPipeCapture out(1, stdout);
        RawPipeCapture err(2, stderr);
        write_all(1, "x");
        write_all(2, "y");
        Captured got;
        got.out = out.end(true);
        got.err = err.end(true);
        return got;
      },
      "x", "y");
}
BENCHMARK(BM_raw_tee_pair);

/// std::cout's and std::cerr's buffers swapped for fresh std::ostringstream
/// ones, an 'x' and a 'y' written, and the buffers swapped back.
Captured swap_rdbuf_pair() {
  std::ostringstream out, err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  std::cout << 'x';
  std::cerr << 'y';
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return Captured{out.str(), err.str()};
}

/// The memory strategy's floor: std::cout's and std::cerr's buffers swapped
/// for fresh std::ostringstream ones, and back.
void BM_raw_rdbuf_pair(benchmark::State& state) { run_checked(state, swap_rdbuf_pair, "x", "y"); }
BENCHMARK(BM_raw_rdbuf_pair);

/// The memory strategy's whole floor: the raw rdbuf pair and the two system
/// calls a memory trap makes by design, a poll() of descriptors 0 to 2 (a
/// closed standard descriptor is not trapped, as in Perl) and the read of
/// the signal mask that sigsetjmp(env, 1) makes (an exit() out of the code
/// restores the mask the trap began with). On a host where a system call
/// is dear, these two are most of a memory trap.
void BM_raw_memory_floor(benchmark::State& state) {
  run_checked(
      state,
      [] {
        pollfd fds[3] = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
        checked(::poll(fds, 3, 0), "poll");
        for (const pollfd& p : fds)
          if (p.revents & POLLNVAL) throw std::runtime_error("a standard descriptor is closed");
        sigset_t mask;
        if (int e = ::pthread_sigmask(SIG_BLOCK, nullptr, &mask); e != 0)
          throw std::system_error(e, std::generic_category(), "pthread_sigmask");
        return swap_rdbuf_pair();
      },
      "x", "y");
}
BENCHMARK(BM_raw_memory_floor);

// ---- GoogleTest ---------------------------------------------------------------

void BM_gtest_capture_pair(benchmark::State& state) {
  run_checked(
      state,
      [] {
        testing::internal::CaptureStdout();
        testing::internal::CaptureStderr();
        std::fputs("x", stdout);
        std::fputs("y", stderr);
        Captured got;
        got.out = testing::internal::GetCapturedStdout();
        got.err = testing::internal::GetCapturedStderr();
        return got;
      },
      "x", "y");
}
BENCHMARK(BM_gtest_capture_pair);

// ---- trap -----------------------------------------------------------------------

/// The plain trap of the docs: default layers, one write to stdout.
void BM_trap_default(benchmark::State& state) {
  run_checked(
      state,
      [] {
        trap::Trap r = trap::trap([] { std::fputs("x", stdout); });
        return Captured{r.out(), r.err()};
      },
      "x", "");
}
BENCHMARK(BM_trap_default);

/// The default trap doing what the GoogleTest pair does: a write to each.
void BM_trap_default_pair(benchmark::State& state) {
  run_checked(
      state,
      [] {
        trap::Trap r = trap::trap([] {
          std::fputs("x", stdout);
          std::fputs("y", stderr);
        });
        return Captured{r.out(), r.err()};
      },
      "x", "y");
}
BENCHMARK(BM_trap_default_pair);

/// stdout and stderr with one strategy. memory sees only the iostreams;
/// the others are given C stdio, which they all capture.
void BM_trap_strategy(benchmark::State& state, std::string name) {
  const std::string spec = ":flow:stdout(" + name + "):stderr(" + name + ")";
  const bool iostreams = name == "memory";
  run_checked(
      state,
      [&] {
        trap::Trap r = trap::trap(spec, [iostreams] {
          if (iostreams) {
            std::cout << 'x';
            std::cerr << 'y';
          } else {
            std::fputs("x", stdout);
            std::fputs("y", stderr);
          }
        });
        return Captured{r.out(), r.err()};
      },
      "x", "y");
}
BENCHMARK_CAPTURE(BM_trap_strategy, dup2, std::string("dup2"));
BENCHMARK_CAPTURE(BM_trap_strategy, tempfile, std::string("tempfile"));
BENCHMARK_CAPTURE(BM_trap_strategy, pipe, std::string("pipe"));
BENCHMARK_CAPTURE(BM_trap_strategy, memory, std::string("memory"));
BENCHMARK_CAPTURE(BM_trap_strategy, tee, std::string("tee"));

/// The engine alone: flow layers, nothing captured.
void BM_trap_flow_only(benchmark::State& state) {
  run_checked(
      state,
      [] {
        trap::Trap r = trap::trap(":flow", [] { return 42; });
        return Captured{r.return_value<int>() == 42 ? "" : "wrong return", ""};
      },
      "", "");
}
BENCHMARK(BM_trap_flow_only);

// ---- the hub ------------------------------------------------------------

/// The floor for one event: a std::function call taking an event.
void BM_std_function_call(benchmark::State& state) {
  std::size_t seen = 0;
  std::function<void(const trap::Event&)> fn = [&](const trap::Event& e) { seen += e.pass; };
  for (auto _ : state) {
    trap::Event e;
    e.name = "a test";
    fn(e);
    benchmark::DoNotOptimize(seen);
  }
}
BENCHMARK(BM_std_function_call);

/// One test result through a hub with no formatter and nothing attached.
void BM_hub_event(benchmark::State& state) {
  trap::Hub hub(nullptr);
  for (auto _ : state) {
    trap::Event e;
    e.name = "a test";
    hub.send(std::move(e));
  }
  if (hub.count() != static_cast<std::size_t>(state.iterations()))
    state.SkipWithError("events were lost");
}
BENCHMARK(BM_hub_event);

/// The same with a filter and three listeners.
void BM_hub_event_3_listeners_filter(benchmark::State& state) {
  trap::Hub hub(nullptr);
  std::size_t seen = 0;
  hub.filter([](trap::Hub&, trap::Event e) -> std::optional<trap::Event> { return e; });
  for (int i = 0; i < 3; ++i)
    hub.listen([&](trap::Hub&, const trap::Event&, std::size_t) { ++seen; });
  for (auto _ : state) {
    trap::Event e;
    e.name = "a test";
    hub.send(std::move(e));
  }
  if (seen != 3 * static_cast<std::size_t>(state.iterations()))
    state.SkipWithError("listeners missed events");
}
BENCHMARK(BM_hub_event_3_listeners_filter);

}  // namespace

// The 256 MiB rows (MiB/s) are in capture_throughput.cpp.
BENCHMARK_MAIN();
