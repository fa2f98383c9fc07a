// SPDX-License-Identifier: BSL-1.0
// While a warn layer has std::clog, flushing std::clog passes nothing on
// (each warning is teed to std::cerr as it comes), so the captures' flushes
// skip it; while only another thread's warn layer has it, what the buffer
// behind it holds is still passed on.
#define BOOST_TEST_MODULE warn_router_flush
#include <future>
#include <iostream>
#include <streambuf>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

#include "capture/capture.hpp"

using trap::detail::flush_streams;
using trap::detail::may_hold_output;

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

BOOST_AUTO_TEST_CASE(a_warn_layer_s_std_clog_holds_nothing) {
  bool held_inside = true, held_nested = true;
  trap::Trap r = trap::trap([&] {
    held_inside = may_hold_output(std::clog.rdbuf());
    std::clog << "no newline";
    trap::Trap inner = trap::trap([&] { held_nested = may_hold_output(std::clog.rdbuf()); });
  });
  BOOST_TEST(!held_inside);
  BOOST_TEST(!held_nested);
  BOOST_TEST(r.err() == "no newline", "teed as it came, not held for a flush");
  BOOST_REQUIRE_EQUAL(r.warn().size(), 1u);
  BOOST_TEST(r.warn()[0] == "no newline");
}

BOOST_AUTO_TEST_CASE(in_a_fork_trap_s_child_too) {
  trap::Trap r = trap::trap<":fork">([] {
    if (may_hold_output(std::clog.rdbuf())) std::cout << "may hold";
    std::clog << "warned\n";
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.out() == "");
  BOOST_TEST(r.err() == "warned\n");
}

BOOST_AUTO_TEST_CASE(another_thread_s_warn_layer_leaves_this_thread_s_output_held) {
  HoldingBuf buf;
  std::streambuf* saved = std::clog.rdbuf(&buf);
  std::promise<void> entered, go;
  std::thread other([&] {
    trap::Trap r = trap::trap<":warn">([&] {
      entered.set_value();
      go.get_future().wait();
    });
  });
  entered.get_future().wait();
  std::clog << "held";  // through the router to buf, which holds it
  BOOST_TEST(buf.held == "held");
  BOOST_TEST(may_hold_output(std::clog.rdbuf()));
  flush_streams(2);
  BOOST_TEST(buf.passed == "held");
  go.set_value();
  other.join();
  std::clog.rdbuf(saved);
}

BOOST_AUTO_TEST_CASE(after_the_trap_std_clog_is_flushed_as_before) {
  {
    trap::Trap r = trap::trap([] { std::clog << "in\n"; });
  }
  HoldingBuf buf;
  std::streambuf* saved = std::clog.rdbuf(&buf);
  std::clog << "after";
  const bool held = may_hold_output(std::clog.rdbuf());
  flush_streams(2);
  std::clog.rdbuf(saved);
  BOOST_TEST(held);
  BOOST_TEST(buf.passed == "after");
}

}  // namespace
