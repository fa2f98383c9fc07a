#define BOOST_TEST_MODULE smoke
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <trap/trap.hpp>

BOOST_AUTO_TEST_CASE(basic) {
  auto r = trap::trap([] {
    std::cout << "hello";
    std::cerr << "err\n";
    return 42;
  });
  BOOST_TEST(r.out() == "hello");
  BOOST_TEST(r.err() == "err\n");
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<int>() == 42);
}
