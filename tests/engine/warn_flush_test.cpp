// SPDX-License-Identifier: BSL-1.0
// A warn layer passes on what std::clog's own buffer holds before it takes
// std::clog over (it skips the call into the stream only when nothing can
// be pending there: libstdc++'s stdio buffer with nothing in stderr).
#define BOOST_TEST_MODULE warn_flush
#include <iostream>
#include <ostream>
#include <streambuf>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

namespace {

// Holds every character until it is flushed.
class HoldingBuf final : public std::streambuf {
 public:
  std::string held, passed;

 protected:
  int overflow(int c) override {
    if (c != traits_type::eof()) held += static_cast<char>(c);
    return c;
  }
  int sync() override {
    passed += held;
    held.clear();
    return 0;
  }
};

// std::clog on a HoldingBuf for one test.
struct ClogHolds {
  HoldingBuf buf;
  std::streambuf* saved = std::clog.rdbuf(&buf);
  ~ClogHolds() { std::clog.rdbuf(saved); }
};

BOOST_AUTO_TEST_CASE(what_std_clog_held_is_passed_on_before_the_code_runs) {
  ClogHolds clog;
  std::clog << "before";
  BOOST_REQUIRE_EQUAL(clog.buf.held, "before");
  std::string passed_when_run;
  trap::Trap r = trap::trap([&] { passed_when_run = clog.buf.passed; });
  BOOST_TEST(passed_when_run == "before");
  BOOST_TEST(clog.buf.held.empty());
  BOOST_TEST(r.warn().empty(), "what was held before the trap is no warning of its code");
}

BOOST_AUTO_TEST_CASE(a_fork_trap_passes_it_on_once_in_the_parent) {
  ClogHolds clog;
  std::clog << "before";
  trap::Trap r = trap::trap<":fork">([] {});
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(clog.buf.passed == "before", "passed on in the parent, not lost in the child");
  BOOST_TEST(r.warn().empty());
}

}  // namespace
