// SPDX-License-Identifier: BSL-1.0
// What the fork layer does in the parent so that its child has less to do
// (fork.cpp): it reads the stdout and stderr accessors of a trap of the
// standard trapper before forking, never a flexible accessor another
// trapper defines under those names (which would run the trapper's code
// in the parent); the trap's record is the same either way.
#define BOOST_TEST_MODULE fork_parent_prep
#include <iostream>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

namespace {

int flexible_calls = 0;

BOOST_AUTO_TEST_CASE(a_flexible_stdout_of_another_trapper_is_not_read_before_the_fork) {
  static trap::Trapper t("TT::flexible_stdout", &trap::standard());
  trap::Builder::instance().accessor(t, {.flexible = {{"stdout", [](const trap::Trap&) {
                                                         ++flexible_calls;
                                                         return trap::Value("flexible");
                                                       }}}});
  trap::Trap r = t.trap(":fork", [] { std::cout << "out"; });
  BOOST_TEST(flexible_calls == 0, "the parent ran the trapper's stdout accessor");
  BOOST_TEST(r.leaveby() == "return");
}

BOOST_AUTO_TEST_CASE(the_standard_record_is_whole) {
  trap::Trap r = trap::trap<":fork">([] {
    std::cout << "out";
    std::cerr << "err";
    std::clog << "careful\n";
    return 7;
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<int>() == 7);
  BOOST_TEST(r.out() == "out");
  BOOST_TEST(r.err() == "errcareful\n");
  BOOST_TEST(r.warn() == std::vector<std::string>{"careful\n"});
}

}  // namespace
