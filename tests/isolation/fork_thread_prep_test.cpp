// SPDX-License-Identifier: BSL-1.0
// The fork layer prepares each thread for its fork traps in one step
// (isolation/fork_prep.hpp): once per thread, again only after the registry
// changed; a second thread gets its own, and a fork trap nested in a fork
// trap's child finds its thread prepared already.
#define BOOST_TEST_MODULE fork_thread_prep
#include <iostream>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "isolation/fork_prep.hpp"

using trap::detail::fork_thread_preparations;

namespace {

// Runs @p f on a new thread and returns what it returned.
template <class F>
auto on_new_thread(F f) {
  decltype(f()) result{};
  std::thread([&] { result = f(); }).join();
  return result;
}

// A fork trap whose child prints how many preparations its thread made.
trap::Trap fork_reporting_preparations() {
  return trap::trap<":fork">([] { std::cout << fork_thread_preparations(); });
}

BOOST_AUTO_TEST_CASE(a_thread_prepares_once_then_again_after_the_registry_changes) {
  const std::string counts = on_new_thread([] {
    std::string seen = std::to_string(fork_thread_preparations());
    for (int i = 0; i < 3; ++i) seen += " " + fork_reporting_preparations().out();
    static trap::Trapper changed("TT::fork_prep_changed", &trap::standard());
    trap::Builder::instance().accessor(changed, {.simple = {"fork_prep_mark"}});
    for (int i = 0; i < 2; ++i) seen += " " + fork_reporting_preparations().out();
    return seen + " " + std::to_string(fork_thread_preparations());
  });
  BOOST_TEST(counts == "0 1 1 1 2 2 2");
}

BOOST_AUTO_TEST_CASE(a_second_thread_makes_its_own) {
  trap::Trap here = fork_reporting_preparations();
  BOOST_TEST(here.out() != "0");
  const std::string there = on_new_thread([] { return fork_reporting_preparations().out(); });
  BOOST_TEST(there == "1", "the second thread's child found its thread unprepared");
}

BOOST_AUTO_TEST_CASE(a_nested_fork_trap_finds_its_thread_prepared) {
  const std::string nested = on_new_thread([] {
    trap::Trap outer = trap::trap<":fork">([] {
      const unsigned before = fork_thread_preparations();
      trap::Trap inner = trap::trap<":fork">([] {
        std::cout << fork_thread_preparations();
        std::clog << "inner\n";
        return 5;
      });
      std::cout << before << " " << inner.out() << " " << inner.return_value<int>() << " "
                << inner.warn().size();
    });
    return outer.leaveby() + ": " + outer.out();
  });
  BOOST_TEST(nested == "return: 1 1 5 1");
}

BOOST_AUTO_TEST_CASE(another_trapper_s_fork_trap_is_prepared_too) {
  static trap::Trapper other("TT::fork_prep_other", &trap::standard());
  const std::string out = on_new_thread([] {
    trap::Trap r = other.trap(":fork", [] { std::cout << fork_thread_preparations(); });
    return r.leaveby() + " " + r.out();
  });
  BOOST_TEST(out == "return 1");
}

}  // namespace
