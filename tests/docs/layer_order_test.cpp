// SPDX-License-Identifier: BSL-1.0
// The order README's picture of layers shows ("Layer order: the leftmost is
// the deepest"), as Test::Trap documents it: a trap springs from the right,
// the rightmost layer outermost, each layer calling the next to its left
// down to a `raw`, which runs the code; what lies left of that `raw` never
// runs. Checked with layers that record when they set up and tear down,
// and with the picture's own spec, `:flow:stdout:timeout(2)`.
#define BOOST_TEST_MODULE docs_layer_order
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

namespace {

// What the recording layers saw, in order: "+a" when layer a set up, "-a"
// when its teardown ran, "code" when the code ran.
std::vector<std::string>& seen() {
  static std::vector<std::string> events;
  return events;
}

// A trapper with layers a, b and c, each recording itself around next().
const trap::Trapper& recording() {
  static trap::Trapper t("docs::recording", &trap::standard());
  static const bool registered = [] {
    auto& B = trap::Builder::instance();
    for (std::string name : {"a", "b", "c"}) {
      B.layer(t, name, [name](trap::Trap& self, std::string_view) {
        seen().push_back("+" + name);
        self.teardown([name] { seen().push_back("-" + name); });
        self.next();
      });
    }
    return true;
  }();
  (void)registered;
  return t;
}

std::vector<std::string> spring(std::string_view spec) {
  seen().clear();
  recording().trap(spec, [] { seen().push_back("code"); });
  return seen();
}

using Events = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_CASE(the_rightmost_layer_is_the_outermost) {
  BOOST_TEST(spring(":raw:a:b:c") == (Events{"+c", "+b", "+a", "code", "-a", "-b", "-c"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(what_lies_left_of_a_raw_never_runs) {
  BOOST_TEST(spring(":a:raw:b") == (Events{"+b", "code", "-b"}), boost::test_tools::per_element());
  BOOST_TEST(spring(":a:flow:b") == (Events{"+b", "code", "-b"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_pictures_spec_traps_stdout_and_the_flow_only) {
  trap::Trap inner;
  auto outer = trap::trap([&] {
    inner = trap::trap(":flow:stdout:timeout(2000)", [] {
      std::cout << "out";
      std::cerr << "err";
      trap::warn("careful\n");
      std::exit(3);
    });
  });
  BOOST_TEST(inner.leaveby() == "exit");  // exit, below stdout, trapped exit()
  BOOST_TEST(inner.exit_code().value_or(-1) == 3);
  BOOST_TEST(inner.out() == "out");
  BOOST_TEST(!inner.has("stderr"));  // default's stderr and warn lie left of flow's raw
  BOOST_TEST(!inner.has("warn"));
  BOOST_TEST(outer.err() == "errcareful\n");
}

BOOST_AUTO_TEST_CASE(the_timeout_on_the_right_stops_the_layers_on_its_left) {
  auto r = trap::trap(":flow:stdout:timeout(2)", [] {
    std::cout << "started\n";
    for (;;) pause();  // until the deadline's signal
  });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.out() == "started\n");  // stdout, inside the timeout, kept its capture
}
