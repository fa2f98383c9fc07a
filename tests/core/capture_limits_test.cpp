// Captures under resource limits the code under test may set, each in a
// fresh process: the trap ends with the data it could keep or a clear
// error, trap's own descriptors never kill the process, and the streams
// work afterwards.
#define BOOST_TEST_MODULE capture_limits
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <trap/trap.hpp>

#include "fresh_child.hpp"

namespace bdata = boost::unit_test::data;

namespace {

const char* const kStrategies[] = {"dup2", "tempfile", "pipe", "tee"};

void set_soft_limit(int resource, rlim_t value) {
  struct rlimit rl {};
  ::getrlimit(resource, &rl);
  rl.rlim_cur = value;
  ::setrlimit(resource, &rl);
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
