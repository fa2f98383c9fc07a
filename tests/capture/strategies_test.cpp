// SPDX-License-Identifier: BSL-1.0
// The five capture strategies: what each captures, binary safety, nesting,
// large output, closed descriptors, temp-dir failure, and that 10,000 traps
// of each leave nothing behind.
#define BOOST_TEST_MODULE strategies
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "capture/capture.hpp"
#include "posix/fd.hpp"
#include "support/test_support.hpp"

namespace bdata = boost::unit_test::data;
using test_support::identity;

namespace {

const char* const kAll[] = {"tempfile", "dup2", "pipe", "memory", "tee"};
const char* const kFdLevel[] = {"dup2", "pipe", "tee"};

std::string spec_for(const std::string& strategy) {
  return ":flow:stdout(" + strategy + "):stderr(" + strategy + ")";
}

// Writes through every path: iostreams, stdio, raw write, a child process.
void write_every_way() {
  std::cout << "cout ";
  std::fputs("stdio ", stdout);
  std::fflush(stdout);
  BOOST_TEST_REQUIRE(::write(1, "raw ", 4) == 4);
  BOOST_TEST_REQUIRE(std::system("printf child") == 0);
  std::cerr << "cerr";
}

// Runs @p fn inside an outer dup2 trap: what escapes the inner trap lands
// in the outer one instead of the test's output.
trap::Trap contained(const std::function<void()>& fn) {
  return trap::trap(":flow:stdout(dup2):stderr(dup2)", fn);
}

}  // namespace

BOOST_AUTO_TEST_CASE(what_each_strategy_captures) {
  struct Row {
    const char* name;
    const char* inner_out;
    const char* outer_out;
  };
  const Row rows[] = {
      {"tempfile", "cout stdio ", "raw child"},
      {"dup2", "cout stdio raw child", ""},
      {"pipe", "cout stdio raw child", ""},
      {"memory", "cout ", "stdio raw child"},
      {"tee", "cout stdio raw child", "cout stdio raw child"},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      trap::Trap inner;
      auto outer = contained([&] { inner = trap::trap(spec_for(row.name), write_every_way); });
      BOOST_TEST(inner.out() == row.inner_out);
      BOOST_TEST(inner.err() == "cerr");
      BOOST_TEST(outer.out() == row.outer_out);
    }
  }
}

BOOST_DATA_TEST_CASE(binary_output_comes_back_byte_for_byte, bdata::make(kAll), strategy) {
  const std::string bytes("a\0b\xff\xfe\x80\n\r\x1b end", 13);
  auto r = contained([&] {
    auto inner = trap::trap(spec_for(strategy), [&] {
      std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      std::cerr.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    });
    BOOST_TEST(inner.out() == bytes);
    BOOST_TEST(inner.err() == bytes);
  });
  (void)r;
}

BOOST_DATA_TEST_CASE(nested_traps_capture_their_own_output, bdata::make(kAll), strategy) {
  auto outer = contained([&] {
    trap::Trap inner;
    auto mid = trap::trap(spec_for(strategy), [&] {
      std::cout << "before ";
      inner = trap::trap(spec_for(strategy), [] {
        std::cout << "inner";
        std::cerr << "inner err";
      });
      std::cout << "after";
    });
    BOOST_TEST(inner.out() == "inner");
    BOOST_TEST(inner.err() == "inner err");
    // tee shows the inner output to the trap around it, and so on out.
    const bool tee = std::string(strategy) == "tee";
    BOOST_TEST(mid.out() == (tee ? "before innerafter" : "before after"));
    BOOST_TEST(mid.err() == (tee ? "inner err" : ""));
  });
  BOOST_TEST(outer.out() == (std::string(strategy) == "tee" ? "before innerafter" : ""));
}

BOOST_DATA_TEST_CASE(large_output_does_not_deadlock, bdata::make(kAll), strategy) {
  const std::string chunk(64 * 1024, 'x');
  constexpr int kChunks = 128;  // 8 MiB, far more than a pipe holds
  auto outer = contained([&] {
    auto r = trap::trap(spec_for(strategy), [&] {
      for (int i = 0; i < kChunks; ++i) std::cout << chunk;
      std::cerr << "done";
    });
    BOOST_TEST(r.out().size() == chunk.size() * kChunks);
    BOOST_TEST(r.err() == "done");
  });
  (void)outer;
}

BOOST_AUTO_TEST_CASE(tee_shows_output_while_capturing) {
  auto outer = contained([] {
    auto r = trap::trap(":flow:stdout(tee)", [] {
      std::cout << "seen twice" << std::flush;
      BOOST_TEST_REQUIRE(std::system("echo child") == 0);
    });
    BOOST_TEST(r.out() ==
               "seen twice"
               "child\n");
  });
  BOOST_TEST(outer.out() ==
             "seen twice"
             "child\n");
}

// Two layers for one stream: ":stdout" pushed on top of `default`'s. As in
// Perl (`use Test::Trap qw(trap $trap :default:stdout)` and
// `:default:output(tempfile)` give "noise\n"), the inner layer holds the
// output and the outer one, which sees none, adds nothing: the accessor is
// what both captured, inner first, never the outer one's empty capture.
BOOST_DATA_TEST_CASE(a_second_layer_for_one_stream_loses_nothing,
                     boost::unit_test::data::make({"tempfile", "dup2", "pipe", "memory", "tee"}),
                     strategy) {
  const std::string name = strategy;
  auto outer = contained([&] {
    auto r = trap::trap(":stdout(" + name + "):stderr(" + name + ")", [] {
      std::printf("noise\n");
      std::fflush(stdout);
      std::cout << "cout\n" << std::flush;
      std::cerr << "err\n";
    });
    // Under memory, which sees std::cout only, `default`'s layer inside it
    // gets the rest: its part comes first, as it ends first.
    BOOST_TEST(r.out() == "noise\ncout\n");
    BOOST_TEST(r.err() == "err\n");
    auto twice = trap::trap(":stdout:output(" + name + ")", [] { std::cout << "x" << std::flush; });
    // Both layers use the strategy here; tee passes the inner layer's bytes
    // on to the outer one, which captures them too.
    BOOST_TEST(twice.out() == (name == "tee" ? "xx" : "x"));
  });
  (void)outer;
}

BOOST_AUTO_TEST_CASE(perl_strategy_names_are_aliases) {
  // t/11-systemsafe-basic.pl: systemsafe traps a child process's output;
  // perlio, like memory, sees only the iostreams.
  trap::Trap safe, perlio;
  auto outer = contained([&] {
    safe = trap::trap(":flow:stderr(systemsafe):stdout(systemsafe):warn", [] {
      std::fflush(nullptr);
      BOOST_TEST_REQUIRE(std::system("echo Printing; echo 0123456789Warning >&2") == 0);
      std::exit(1);
    });
    perlio = trap::trap(":flow:stdout(perlio)", [] {
      std::cout << "cout";
      BOOST_TEST_REQUIRE(std::system("echo child") == 0);
    });
  });
  BOOST_TEST(safe.exit_code() == 1);
  BOOST_TEST(safe.out() == "Printing\n");
  BOOST_TEST(safe.err() == "0123456789Warning\n");
  BOOST_TEST(safe.warn().empty());
  BOOST_TEST(perlio.out() == "cout");
  BOOST_TEST(outer.out() == "child\n");
}

BOOST_AUTO_TEST_CASE(strategy_lists_take_the_first_known) {
  auto r = trap::trap(":flow:stdout(nosuch;memory,pipe)", [] {
    std::fputs("stdio", stdout);
    std::fflush(stdout);
    std::cout << "cout";
  });
  (void)r;
  // memory was chosen: only the iostream part is captured.
  auto outer = contained([] {
    auto inner = trap::trap(":flow:stdout(nosuch;memory,pipe)", [] {
      std::fputs("stdio", stdout);
      std::fflush(stdout);
      std::cout << "cout";
    });
    BOOST_TEST(inner.out() == "cout");
  });
  BOOST_TEST(outer.out() == "stdio");
}

BOOST_DATA_TEST_CASE(closed_descriptor_is_not_trapped, bdata::make(kAll), strategy) {
  // As Perl: a closed handle reads "" and nothing is captured; the
  // descriptor is still closed afterwards.
  auto outer = contained([&] {
    int saved = ::dup(1);
    std::fflush(stdout);
    ::close(1);
    auto r = trap::trap(spec_for(strategy), [] {
      std::cerr << "err";
      return 1;
    });
    bool still_closed = !test_support::is_open_fd(1);
    ::dup2(saved, 1);
    ::close(saved);
    std::cout.clear();
    BOOST_TEST(still_closed);
    BOOST_TEST(r.has("stdout"));
    BOOST_TEST(r.out() == "");
    BOOST_TEST(r.err() == "err");
  });
  (void)outer;
}

BOOST_DATA_TEST_CASE(code_closing_the_descriptor_is_undone, bdata::make(kFdLevel), strategy) {
  auto before = identity(1);
  auto outer = contained([&] {
    auto r = trap::trap(spec_for(strategy), [] {
      std::cout << "before close" << std::flush;
      ::close(1);
      std::cout << "lost" << std::flush;
    });
    std::cout.clear();
    BOOST_TEST(r.out() == "before close");
    std::cout << "outer again";
  });
  const bool tee = std::string(strategy) == "tee";
  BOOST_TEST(outer.out() == (tee ? "before closeouter again" : "outer again"));
  BOOST_TEST((identity(1) == before));
}

BOOST_AUTO_TEST_CASE(no_writable_temp_dir_is_a_clear_error) {
  auto out_before = identity(1);
  auto err_before = identity(2);
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", "/nonexistent/dir", 1);
  try {
    trap::trap(spec_for("tempfile"), [] { std::cout << "x"; });
    BOOST_FAIL("no error");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).starts_with(
        "cannot create temp file in \"/nonexistent/dir\" (open): No such file or directory"));
  }
  // dup2 needs no temp dir.
  auto r = trap::trap([] { std::cout << "still works"; });
  if (old)
    ::setenv("TMPDIR", saved.c_str(), 1);
  else
    ::unsetenv("TMPDIR");
  BOOST_TEST(r.out() == "still works");
  BOOST_TEST((identity(1) == out_before));
  BOOST_TEST((identity(2) == err_before));
}

BOOST_AUTO_TEST_CASE(memory_strategy_only_for_fd_1_and_2) {
  static trap::Trapper t("TT::fd5", &trap::standard());
  trap::Builder::instance().output_layer(t, "fd5", 5);
  BOOST_REQUIRE(::dup2(2, 5) == 5);
  auto bad = [] { t.trap(":flow:fd5(memory)", [] {}); };
  BOOST_CHECK_EXCEPTION(bad(), trap::TrapError, [](const trap::TrapError& e) {
    return std::string(e.what()) ==
           "The memory capture strategy captures only descriptors 1 and 2, not 5";
  });
  // fd-level strategies capture any descriptor.
  auto r = t.trap(":flow:fd5(pipe)", [] { BOOST_TEST_REQUIRE(::write(5, "five", 4) == 4); });
  ::close(5);
  BOOST_TEST(r.get("fd5")->as<std::string>() == "five");
}

// Process-wide strategies run one thread at a time: traps on several threads
// each capture exactly their own output, and the streams end up where they
// were.
const char* const kProcessWide[] = {"dup2", "pipe", "tee", "tempfile"};

BOOST_DATA_TEST_CASE(process_wide_traps_on_several_threads_take_turns, bdata::make(kProcessWide),
                     strategy) {
  const auto out_before = identity(1);
  const auto err_before = identity(2);
  // tee copies to the original streams: point them at /dev/null meanwhile,
  // by hand (an outer trap would make the workers wait for it).
  trap::posix::Fd out_saved = trap::posix::dup(1), err_saved = trap::posix::dup(2);
  {
    trap::posix::Fd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    std::cout.flush();
    std::cerr.flush();
    trap::posix::dup2(null.get(), 1);
    trap::posix::dup2(null.get(), 2);
  }
  std::atomic<int> inside{0}, overlaps{0}, wrong{0};
  auto worker = [&](char tag) {
    for (int i = 0; i < 200; ++i) {
      auto r = trap::trap(spec_for(strategy), [&] {
        if (++inside > 1) ++overlaps;
        std::cout << tag << std::flush;
        std::cerr << tag << tag << std::flush;
        --inside;
      });
      if (r.out() != std::string(1, tag) || r.err() != std::string(2, tag)) ++wrong;
    }
  };
  {
    std::thread a(worker, 'a'), b(worker, 'b'), c(worker, 'c');
    a.join();
    b.join();
    c.join();
  }
  std::cout.flush();
  std::cerr.flush();
  trap::posix::dup2(out_saved.get(), 1);
  trap::posix::dup2(err_saved.get(), 2);
  BOOST_TEST(overlaps.load() == 0);
  BOOST_TEST(wrong.load() == 0);
  BOOST_TEST((identity(1) == out_before));
  BOOST_TEST((identity(2) == err_before));
  trap::Trap after;
  contained([&] { after = trap::trap(spec_for(strategy), [] { std::cout << "after"; }); });
  BOOST_TEST(after.out() == "after");
}

BOOST_AUTO_TEST_CASE(diversions_ending_out_of_order_restore_the_descriptor) {
  // What two threads' captures do when the first one ends first.
  int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  BOOST_REQUIRE(fd >= 0);
  const auto original = identity(fd);
  auto [r1, w1] = trap::posix::pipe();
  auto [r2, w2] = trap::posix::pipe();
  trap::posix::Fd first = trap::detail::divert(fd, w1.get());
  trap::posix::Fd second = trap::detail::divert(fd, w2.get());
  trap::detail::restore(fd, first.get());  // not the latest: the second inherits
  BOOST_TEST((identity(fd) == identity(w2.get())));
  BOOST_TEST((identity(second.get()) == original));
  trap::detail::restore(fd, second.get());
  BOOST_TEST((identity(fd) == original));
  BOOST_TEST(trap::detail::original_fd(fd) == fd);
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(swaps_ending_out_of_order_restore_the_pointer) {
  trap::detail::SwapChain<int> chain(trap::posix::ForkSafeMutex::make());
  int live = 0, first = -1, second = -1;
  auto get = [&] { return live; };
  auto set = [&](int v) { live = v; };
  chain.enter(&first, 1, get, set);
  chain.enter(&second, 2, get, set);
  chain.leave(&first, set);
  BOOST_TEST(live == 2);  // the second swap is still on
  chain.leave(&second, set);
  BOOST_TEST(live == 0);
}

BOOST_DATA_TEST_CASE(ten_thousand_traps_leave_nothing_behind, bdata::make(kAll), strategy) {
  const std::string dir = "/tmp/trap-leak-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", dir.c_str(), 1);
  const std::string spec = spec_for(strategy) + ":warn";
  auto run = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto r = trap::trap(spec, [] {
        std::cout << "out";
        std::cerr << "err";
        std::clog << "warn\n";
      });
      if (r.out() != "out" || r.err() != "errwarn\n") BOOST_FAIL("capture " << i << " broke");
    }
  };
  // tee shows what it captures: keep that out of the test's output.
  auto outer = contained([&] {
    run(200);  // warm up pools and allocators
    const int fds = test_support::count_fds();
    const int threads = test_support::settled_thread_count(1);
    const long rss = test_support::rss_kib();
    run(10000);
    const long grown = test_support::rss_kib() - rss;
    BOOST_TEST(test_support::settled_fd_count(fds) == fds);
    BOOST_TEST(test_support::settled_thread_count(threads) == threads);
#ifndef TRAP_TEST_RSS_MEANINGLESS
    BOOST_TEST(grown < 2048, "resident memory grew by " << grown << " KiB");
#else
    (void)grown;
#endif
  });
  BOOST_TEST(test_support::count_entries(dir) == 0);
  if (old)
    ::setenv("TMPDIR", saved.c_str(), 1);
  else
    ::unsetenv("TMPDIR");
  ::rmdir(dir.c_str());
}

BOOST_AUTO_TEST_CASE(a_child_forked_by_hand_does_not_write_into_the_parents_capture_files) {
  // A child made by fork() (not the fork layer) shares the parent's pooled
  // capture files and their offsets: its own traps must take fresh ones,
  // or what it writes lands in the parent's next capture.
  auto warm = trap::trap([] { std::cerr << "warm"; });
  BOOST_REQUIRE(warm.err() == "warm");
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    trap::trap([] {
      std::cerr << "from the child" << std::flush;
      ::_exit(0);  // ends the child inside its trap
    });
    ::_exit(1);
  }
  int status = -1;
  BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  BOOST_TEST(WIFEXITED(status));
  auto r = trap::trap([] { std::cerr << "parent"; });
  BOOST_TEST(r.err() == "parent");
}

// Reading a capture file back: past a first chunk the string is sized from
// the file once. Every size around the chunk boundaries, from the start
// and from an offset (a pooled file is read from where the last trap
// ended), appended to what the string already holds.
BOOST_DATA_TEST_CASE(a_capture_file_reads_back_whole,
                     bdata::make({0, 1, 4095, 4096, 4097, 8192, (1 << 20) + 3, (3 << 20) + 5}) *
                         bdata::make({0, 100}),
                     size, offset) {
  trap::posix::Fd f = trap::posix::memfd("read-back");
  BOOST_REQUIRE(f);
  std::string text(static_cast<std::size_t>(size), '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 23);
  const std::string skipped(static_cast<std::size_t>(offset), '-');
  trap::posix::write_all(f.get(), skipped.data(), skipped.size());
  trap::posix::write_all(f.get(), text.data(), text.size());
  std::string out = "before:";
  BOOST_TEST(trap::posix::read_from(f.get(), static_cast<std::size_t>(offset), out) == text.size());
  BOOST_TEST((out == "before:" + text));
}

BOOST_AUTO_TEST_CASE(a_short_read_after_sizing_is_completed) {
  trap::posix::Fd f = trap::posix::memfd("read-back");
  BOOST_REQUIRE(f);
  const std::string text((2 << 20) + 7, 'z');
  trap::posix::write_all(f.get(), text.data(), text.size());
  trap::posix::inject_fault("pread", 2, -1);  // the sized read comes back short
  std::string out;
  const std::size_t n = trap::posix::read_from(f.get(), 0, out);
  trap::posix::inject_fault("", 0, 0);
  BOOST_TEST(n == text.size());
  BOOST_TEST((out == text));
}
