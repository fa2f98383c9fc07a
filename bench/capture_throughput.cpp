// SPDX-License-Identifier: BSL-1.0
// Part of trap_bench: 256 MiB written through each capture strategy, beside
// the raw floors of the same work and GoogleTest's CaptureStdout, in MiB/s.
//
// The code writes 1 MiB chunks: write(1, ...) for the descriptor-level
// captures, fwrite(stdout) for tempfile and std::cout.write for memory (the
// only streams those two see). Every operation checks the size it captured
// and its last byte, so a lossy capture fails instead of looking fast.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <trap/trap.hpp>

namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr int kChunks = 256;
constexpr std::size_t kTotal = kChunk * kChunks;

const std::string& chunk() {
  static const std::string c = [] {
    std::string s(kChunk, 'x');
    s.back() = '\n';
    return s;
  }();
  return c;
}

int checked(long rc, const char* call) {
  if (rc < 0) throw std::system_error(errno, std::generic_category(), call);
  return static_cast<int>(rc);
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    checked(w, "write");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

/// 256 MiB in 1 MiB write(1, ...) calls.
void write_fd1() {
  for (int i = 0; i < kChunks; ++i) write_all(1, chunk().data(), kChunk);
}

void fwrite_stdout() {
  for (int i = 0; i < kChunks; ++i)
    if (std::fwrite(chunk().data(), 1, kChunk, stdout) != kChunk)
      throw std::runtime_error("short fwrite");
  std::fflush(stdout);
}

void write_cout() {
  for (int i = 0; i < kChunks; ++i)
    std::cout.write(chunk().data(), static_cast<std::streamsize>(kChunk));
  std::cout.flush();
}

/// What an operation captured: its size and last byte, taken while the
/// text still exists (it is freed inside the timed operation).
struct Captured {
  std::size_t size = 0;
  char last = 0;
};

Captured captured(const std::string& text) {
  return {text.size(), text.empty() ? '\0' : text.back()};
}

/// Runs @p op once per iteration; fails the benchmark the first time what
/// it captured is not all 256 MiB.
template <class Op>
void run_sized(benchmark::State& state, Op op) {
  try {
    for (auto _ : state) {
      const Captured got = op();
      if (got.size != kTotal || got.last != '\n') {
        std::string msg =
            "captured " + std::to_string(got.size) + " bytes, expected " + std::to_string(kTotal);
        state.SkipWithError(msg.c_str());
        break;
      }
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                            static_cast<int64_t>(kTotal));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

/// fd 1 pointed at @p target for a scope (untimed around the loop, or the
/// diversion being measured).
class Divert {
 public:
  explicit Divert(int target) : saved_(checked(::dup(1), "dup")) {
    std::cout.flush();
    std::fflush(stdout);
    checked(::dup2(target, 1), "dup2");
  }
  ~Divert() {
    ::dup2(saved_, 1);
    ::close(saved_);
  }
  Divert(const Divert&) = delete;
  Divert& operator=(const Divert&) = delete;

 private:
  int saved_;
};

// ---- raw floors -------------------------------------------------------------

/// A fresh pipe on fd 1 and a thread draining it into a std::string (64 KiB
/// reads, the default pipe buffer), joined at the end.
void BM_raw_pipe_drainer_256MiB(benchmark::State& state) {
  run_sized(state, [] {
    int p[2];
    checked(::pipe2(p, O_CLOEXEC), "pipe2");
    std::string out;
    std::thread drainer([&] {
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
      }
    });
    {
      Divert d(p[1]);
      ::close(p[1]);
      write_fd1();
    }
    drainer.join();
    ::close(p[0]);
    return captured(out);
  });
}
BENCHMARK(BM_raw_pipe_drainer_256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The 256 MiB written to fd 1 pointed at the file @p f, read back with
/// pread into a string sized from the file's length; @p f closed.
Captured through_file(int f) {
  {
    Divert d(f);
    write_fd1();
  }
  off_t size = checked(::lseek(f, 0, SEEK_END), "lseek");
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(f, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (checked(n, "pread") == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  ::close(f);
  return captured(out);
}

/// A fresh O_TMPFILE in /tmp on fd 1.
void BM_raw_tempfile_256MiB(benchmark::State& state) {
  run_sized(state, [] {
    return through_file(
        checked(::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), "open O_TMPFILE"));
  });
}
BENCHMARK(BM_raw_tempfile_256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

/// A fresh memfd on fd 1: the dup2 strategy's own floor (its file is a
/// memfd, shared memory, where /tmp may be a disk's page cache).
void BM_raw_memfd_256MiB(benchmark::State& state) {
  run_sized(state, [] {
    return through_file(checked(::memfd_create("raw", MFD_CLOEXEC), "memfd_create"));
  });
}
BENCHMARK(BM_raw_memfd_256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

/// std::cout's buffer swapped for an ostringstream's.
void BM_raw_ostringstream_256MiB(benchmark::State& state) {
  run_sized(state, [] {
    std::ostringstream os;
    std::streambuf* old = std::cout.rdbuf(os.rdbuf());
    write_cout();
    std::cout.rdbuf(old);
    return captured(std::move(os).str());
  });
}
BENCHMARK(BM_raw_ostringstream_256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- GoogleTest ---------------------------------------------------------------

void BM_gtest_capture_256MiB(benchmark::State& state) {
  run_sized(state, [] {
    testing::internal::CaptureStdout();
    write_fd1();
    return captured(testing::internal::GetCapturedStdout());
  });
}
BENCHMARK(BM_gtest_capture_256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- trap -----------------------------------------------------------------------

/// `:flow:stdout(NAME)`, the text read where the trap keeps it
/// (`get("stdout")`), as each raw floor reads its own string: out() would
/// add a copy (about 130 ms for 256 MiB here, most of it faulting in the
/// copy's fresh pages). tee copies to the real stdout, pointed at
/// /dev/null for the loop (untimed).
void BM_trap_256MiB(benchmark::State& state, std::string name) {
  const std::string spec = ":flow:stdout(" + name + ")";
  void (*writer)() = name == "memory" ? write_cout : name == "tempfile" ? fwrite_stdout : write_fd1;
  int null = checked(::open("/dev/null", O_WRONLY | O_CLOEXEC), "open /dev/null");
  {
    std::optional<Divert> quiet;
    if (name == "tee") quiet.emplace(null);
    run_sized(state, [&] {
      trap::Trap r = trap::trap(spec, writer);
      const trap::Value* text = r.get("stdout");
      return text && text->is_string() ? captured(text->string()) : Captured{};
    });
  }
  ::close(null);
}
BENCHMARK_CAPTURE(BM_trap_256MiB, dup2, std::string("dup2"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_trap_256MiB, tempfile, std::string("tempfile"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_trap_256MiB, pipe, std::string("pipe"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_trap_256MiB, tee, std::string("tee"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_trap_256MiB, memory, std::string("memory"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
