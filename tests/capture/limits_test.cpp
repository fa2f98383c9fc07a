// SPDX-License-Identifier: BSL-1.0
// Captures under resource limits the code under test may set, each in a
// fresh process: the trap ends with the data it could keep or a clear
// error, trap's own descriptors never kill the process, and the streams
// work afterwards.
#define BOOST_TEST_MODULE capture_limits
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "support/fresh_child.hpp"

// ASan's and TSan's operator new end the process with a report where
// libc's throws std::bad_alloc (allocator_may_return_null does not change
// that for a throwing new): the out-of-memory case runs without them only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TRAP_TEST_SANITIZED_NEW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TRAP_TEST_SANITIZED_NEW 1
#endif
#endif
// UndefinedBehaviorSanitizer's vptr check (in the asan preset) tells
// whether memory is readable by writing it into a pipe: with no descriptor
// left, every virtual call is reported as a type mismatch. The
// out-of-descriptors cases run without ASan + UBSan only.
#if defined(__SANITIZE_ADDRESS__)
#define TRAP_TEST_NEEDS_DESCRIPTORS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRAP_TEST_NEEDS_DESCRIPTORS 1
#endif
#endif

namespace bdata = boost::unit_test::data;

namespace {

const char* const kStrategies[] = {"dup2", "tempfile", "pipe", "tee"};

void set_soft_limit(int resource, rlim_t value) {
  struct rlimit rl {};
  ::getrlimit(resource, &rl);
  rl.rlim_cur = value;
  ::setrlimit(resource, &rl);
}

// The size of this process's address space, in bytes.
rlim_t address_space() {
  long pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE));
}

// The lowest descriptor number not in use: with the limit there, the only
// descriptor that can be made is one closed later.
rlim_t lowest_free_fd() {
  int fd = 0;
  while (::fcntl(fd, F_GETFD) != -1) ++fd;
  return static_cast<rlim_t>(fd);
}

bool sigxfsz_is_default() {
  struct sigaction now {};
  ::sigaction(SIGXFSZ, nullptr, &now);
  return now.sa_handler == SIG_DFL;
}

}  // namespace

BOOST_DATA_TEST_CASE(output_past_the_file_size_limit_is_cut_not_fatal, bdata::make(kStrategies),
                     strategy) {
  std::string failures = fresh_child::run([&](fresh_child::Failures& f) {
    const std::string spec = ":flow:stdout(" + std::string(strategy) + ")";
    const bool to_file = std::string(strategy) == "dup2" || std::string(strategy) == "tempfile";
    ::dup2(::open("/dev/null", O_WRONLY | O_CLOEXEC), 1);  // where tee copies to
    // Earlier traps leave the pooled capture file well past the limit.
    for (int i = 0; i < 4; ++i)
      trap::trap(spec, [] { std::cout << std::string(8192, 'a') << std::flush; });
    set_soft_limit(RLIMIT_FSIZE, 4096);
    auto small = trap::trap(spec, [] { std::cout << "small" << std::flush; });
    f.expect(small.out() == "small", "small output: \"" + small.out() + "\"");
    auto big = trap::trap(spec, [] { std::cout << std::string(10000, 'b') << std::flush; });
    f.expect(big.leaveby() == "return", "leaveby " + big.leaveby() + " " + big.die());
    // A file keeps what the limit allows, as a file would; a pipe is no file.
    const std::string kept(to_file ? 4096 : 10000, 'b');
    f.expect(big.out() == kept, "kept " + std::to_string(big.out().size()) + " bytes");
    f.expect(std::cout.good() && !std::ferror(stdout), "stdout left in error");
    f.expect(sigxfsz_is_default(), "SIGXFSZ not restored");
    auto after = trap::trap(spec, [] { std::cout << "after" << std::flush; });
    f.expect(after.out() == "after", "after: \"" + after.out() + "\"");
  });
  BOOST_TEST(failures == "", strategy << ":\n" << failures);
}

// The two output layers of a trap ask once whether a file-size limit is
// set, unless a layer of the program's runs between them: a limit that
// layer sets is seen by the capture that begins after it (else its file's
// writes past the limit would raise SIGXFSZ and end the process).
BOOST_DATA_TEST_CASE(a_limit_set_by_a_layer_between_two_captures_is_seen_by_the_later,
                     bdata::make({"dup2", "tempfile"}), strategy) {
  std::string failures = fresh_child::run([&](fresh_child::Failures& f) {
    trap::Trapper limits("limits", &trap::standard());
    trap::Builder::instance().layer(limits, "fsize", [](trap::Trap& self, std::string_view n) {
      self.teardown([] { set_soft_limit(RLIMIT_FSIZE, RLIM_INFINITY); });
      set_soft_limit(RLIMIT_FSIZE, std::stoul(std::string(n)));
      self.next();
    });
    // The rightmost layer begins first: stderr, then the limit, then stdout.
    const std::string s(strategy);
    const std::string spec = ":flow:stdout(" + s + "):fsize(100):stderr(" + s + ")";
    auto r = limits.trap(spec, [] {
      std::cerr << "e" << std::flush;
      std::cout << std::string(200, 'o') << std::flush;
    });
    f.expect(r.leaveby() == "return", "leaveby " + r.leaveby() + " " + r.die());
    f.expect(r.out() == std::string(100, 'o'), "kept " + std::to_string(r.out().size()));
    f.expect(r.err() == "e", "stderr: \"" + r.err() + "\"");
    f.expect(sigxfsz_is_default(), "SIGXFSZ not restored");
  });
  BOOST_TEST(failures == "", strategy << ":\n" << failures);
}

BOOST_AUTO_TEST_CASE(a_handler_of_the_program_for_sigxfsz_is_kept) {
  std::string failures = fresh_child::run([&](fresh_child::Failures& f) {
    static volatile sig_atomic_t caught = 0;
    ::signal(SIGXFSZ, [](int) { caught = 1; });
    set_soft_limit(RLIMIT_FSIZE, 100);
    auto r = trap::trap([] { std::cout << std::string(200, 'c') << std::flush; });
    f.expect(r.out() == std::string(100, 'c'), "kept " + std::to_string(r.out().size()));
    f.expect(caught == 1, "the program's handler was not called");
    struct sigaction now {};
    ::sigaction(SIGXFSZ, nullptr, &now);
    f.expect(now.sa_handler != SIG_DFL && now.sa_handler != SIG_IGN, "handler replaced");
  });
  BOOST_TEST(failures == "", failures);
}

BOOST_DATA_TEST_CASE(a_pipe_capture_out_of_memory_ends_in_error_without_blocking_the_writer,
                     bdata::make({"pipe", "tee"}), strategy) {
#ifdef TRAP_TEST_SANITIZED_NEW
  BOOST_TEST_MESSAGE("not run under a sanitizer: its operator new cannot fail with bad_alloc");
  (void)strategy;
  return;
#endif
  std::string failures = fresh_child::run([&](fresh_child::Failures& f) {
    ::dup2(::open("/dev/null", O_WRONLY | O_CLOEXEC), 1);  // where tee copies to
    const std::string spec = ":flow:stdout(" + std::string(strategy) + ")";
    trap::trap(spec, [] { std::cout << "warm" << std::flush; });  // the drainer runs
    const std::string chunk(1 << 20, 'm');
    // Room for some 64 MiB of capture, not for the 256 MiB written.
    set_soft_limit(RLIMIT_AS, address_space() + (96 << 20));
    std::string message;
    try {
      trap::trap(spec, [&] {
        for (int i = 0; i < 256; ++i)
          for (std::size_t done = 0; done < chunk.size();) {
            ssize_t n = ::write(1, chunk.data() + done, chunk.size() - done);
            if (n <= 0) return;
            done += static_cast<std::size_t>(n);
          }
      });
      f.expect(false, "no error");
    } catch (const trap::TrapError& e) {
      message = e.what();
    }
    set_soft_limit(RLIMIT_AS, RLIM_INFINITY);
    // Every byte accounted for: kept until memory ran out, then discarded.
    const std::size_t at = message.find("pipe capture of fd 1 ran out of memory after ");
    unsigned long long kept = 0, discarded = 0;
    f.expect(at != std::string::npos &&
                 std::sscanf(message.c_str() + at,
                             "pipe capture of fd 1 ran out of memory after %llu bytes: the %llu "
                             "bytes written after them were read and discarded",
                             &kept, &discarded) == 2,
             message);
    f.expect(kept + discarded == 256ull << 20, message);
    auto after = trap::trap(spec, [] { std::cout << "after" << std::flush; });
    f.expect(after.out() == "after", "after: \"" + after.out() + "\"");
  });
  BOOST_TEST(failures == "", strategy << ":\n" << failures);
}

BOOST_DATA_TEST_CASE(no_descriptor_left_is_a_clear_error, bdata::make(kStrategies), strategy) {
#ifdef TRAP_TEST_NEEDS_DESCRIPTORS
  BOOST_TEST_MESSAGE("not run under ASan + UBSan: its checks need descriptors");
  (void)strategy;
  return;
#endif
  std::string failures = fresh_child::run([&](fresh_child::Failures& f) {
    ::dup2(::open("/dev/null", O_WRONLY | O_CLOEXEC), 1);
    const std::string spec = ":flow:stdout(" + std::string(strategy) + ")";
    struct rlimit old {};
    ::getrlimit(RLIMIT_NOFILE, &old);
    set_soft_limit(RLIMIT_NOFILE, lowest_free_fd());  // no descriptor can be made
    std::string message;
    try {
      trap::trap(spec, [] { std::cout << "x" << std::flush; });
      f.expect(false, "no error");
    } catch (const trap::TrapError& e) {
      message = e.what();
    }
    set_soft_limit(RLIMIT_NOFILE, old.rlim_cur);
    f.expect(message.find("Too many open files") != std::string::npos, "error: " + message);
    f.expect(std::cout.good(), "std::cout left in error");
    auto after = trap::trap(spec, [] { std::cout << "after" << std::flush; });
    f.expect(after.out() == "after", "after: \"" + after.out() + "\"");
  });
  BOOST_TEST(failures == "", strategy << ":\n" << failures);
}

BOOST_AUTO_TEST_CASE(no_descriptor_above_2_with_stdout_closed_is_a_clear_error) {
#ifdef TRAP_TEST_NEEDS_DESCRIPTORS
  BOOST_TEST_MESSAGE("not run under ASan + UBSan: its checks need descriptors");
  return;
#endif
  // The capture file lands on the closed fd 1 and cannot be moved up: an
  // error, and fd 1 is closed again.
  std::string failures = fresh_child::run([&](fresh_child::Failures& f) {
    set_soft_limit(RLIMIT_NOFILE, lowest_free_fd());
    ::close(1);
    std::string message;
    try {
      trap::trap(":flow:stderr", [] { std::cerr << "x" << std::flush; });
      f.expect(false, "no error");
    } catch (const trap::TrapError& e) {
      message = e.what();
    }
    f.expect(message.find("dup(1): Too many open files") != std::string::npos, "error: " + message);
    f.expect(::fcntl(1, F_GETFD) == -1, "fd 1 left open");
  });
  BOOST_TEST(failures == "", failures);
}
