// SPDX-License-Identifier: BSL-1.0
// A warn layer passes on what std::clog's own buffer holds before it takes
// std::clog over (it skips the call into the stream only when nothing can
// be pending there: libstdc++'s stdio buffer with nothing in stderr), and
// gives std::clog back as it found it: its buffer and its state.
#define BOOST_TEST_MODULE warn_flush
#include <iostream>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

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

// Holds what it is given and fails every flush.
class FailingSyncBuf final : public std::streambuf {
 public:
  std::string held;

 protected:
  int overflow(int c) override {
    if (c != traits_type::eof()) held += static_cast<char>(c);
    return c;
  }
  int sync() override { return -1; }
};

// std::clog's buffer, state and exception mask, restored after one test.
struct ClogSaved {
  std::streambuf* buf = std::clog.rdbuf();
  std::ios_base::iostate state = std::clog.rdstate();
  std::ios_base::iostate mask = std::clog.exceptions();
  ~ClogSaved() {
    std::clog.exceptions(std::ios_base::goodbit);
    std::clog.rdbuf(buf);
    std::clog.clear(state);
    std::clog.exceptions(mask);
  }
};

BOOST_AUTO_TEST_CASE(a_failed_std_clog_is_good_for_the_code_and_failed_again_after) {
  ClogSaved saved;
  HoldingBuf buf;
  std::clog.rdbuf(&buf);
  std::clog.setstate(std::ios_base::failbit);
  for (const char* spec : {"", ":fork"}) {
    BOOST_TEST_CONTEXT(spec) {
      std::clog.setstate(std::ios_base::failbit);
      trap::Trap r = trap::trap(spec, [] { std::clog << "seen\n"; });
      BOOST_TEST(r.leaveby() == "return");
      BOOST_TEST(r.warn() == (std::vector<std::string>{"seen\n"}));
      BOOST_TEST(std::clog.rdbuf() == &buf);
      BOOST_TEST(std::clog.rdstate() == std::ios_base::failbit);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_good_std_clog_that_throws_on_failure_is_given_back_good) {
  ClogSaved saved;
  HoldingBuf buf;
  std::clog.rdbuf(&buf);
  std::clog.exceptions(std::ios_base::badbit | std::ios_base::failbit);
  for (const char* spec : {"", ":fork"}) {
    BOOST_TEST_CONTEXT(spec) {
      trap::Trap r = trap::trap(spec, [] { std::clog << "seen\n"; });
      BOOST_TEST(r.leaveby() == "return");
      BOOST_TEST(r.warn() == (std::vector<std::string>{"seen\n"}));
      BOOST_TEST(std::clog.rdbuf() == &buf);
      BOOST_TEST(std::clog.good());
    }
  }
}

BOOST_AUTO_TEST_CASE(std_clog_without_a_buffer_gets_none_back) {
  ClogSaved saved;
  std::clog.rdbuf(nullptr);
  BOOST_REQUIRE(std::clog.bad());
  for (const char* spec : {"", ":fork"}) {
    BOOST_TEST_CONTEXT(spec) {
      trap::Trap r = trap::trap(spec, [] { std::clog << "seen\n"; });
      BOOST_TEST(r.leaveby() == "return");
      BOOST_TEST(r.warn() == (std::vector<std::string>{"seen\n"}));
      BOOST_TEST(std::clog.rdbuf() == nullptr);
      BOOST_TEST(std::clog.rdstate() == std::ios_base::badbit);
    }
  }
}

// The warn layer passes on what std::clog holds before it takes std::clog
// over. If that flush throws (std::clog set to throw), the trap fails as for
// any layer's exception, before the code runs, and has entered nothing:
// std::clog keeps its buffer, and the next trap takes it over and gives it
// back.
BOOST_AUTO_TEST_CASE(a_flush_that_throws_leaves_std_clog_as_it_was) {
  ClogSaved saved;
  FailingSyncBuf buf;
  std::clog.rdbuf(&buf);
  std::clog.exceptions(std::ios_base::badbit);
  std::clog << "pending";
  bool ran = false;
  try {
    (void)trap::trap([&] { ran = true; });
    BOOST_ERROR("the trap did not fail");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).find("iostream error") != std::string::npos, e.what());
  }
  BOOST_TEST(!ran);
  BOOST_TEST(buf.held == "pending");
  BOOST_TEST(std::clog.rdbuf() == &buf);

  HoldingBuf good;
  std::clog.exceptions(std::ios_base::goodbit);
  std::clog.rdbuf(&good);
  trap::Trap next = trap::trap([] { std::clog << "next\n"; });
  BOOST_TEST(next.warn() == (std::vector<std::string>{"next\n"}));
  BOOST_TEST(std::clog.rdbuf() == &good);
  std::clog << "after";
  BOOST_TEST(good.held == "after", "std::clog leads to its own buffer again");
}

}  // namespace
