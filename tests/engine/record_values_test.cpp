// SPDX-License-Identifier: BSL-1.0
// A trap's values are one set, however they are reached: the engine keeps
// the built-in accessors' values (leaveby, return, die, exit, stdout,
// stderr) in slots found by number, and a layer that sets, unsets or reads
// them by name sees and changes the same values.
#define BOOST_TEST_MODULE record_values
#include <iostream>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

namespace {

trap::Trapper& layered() {
  static trap::Trapper t("TT::record_values", &trap::standard());
  static const bool registered = [] {
    auto& B = trap::Builder::instance();
    // Outermost: rewrites by name what the built-in layers set (the
    // capture, still active, appends to it when it ends).
    B.layer(t, "rewrite", [](trap::Trap& self, std::string_view) {
      self.next();
      self.unset("stdout");
      self.set("return", trap::Value(7));
      self.set("stdout", trap::Value("again"));
      self.set("mine", trap::Value("x"));
      self.unset("leaveby");
      self.set_leaveby("return");
    });
    // Reads by name what the built-in layers set, before and after.
    B.layer(t, "peek", [](trap::Trap& self, std::string_view) {
      const trap::Value* before = self.get("stdout");
      self.set("peek_before", before ? *before : trap::Value("absent"));
      self.next();
      self.set("peek_after", *self.get("stdout"));
    });
    // A flexible accessor of the same name as an output layer's.
    B.accessor(
        t, {.flexible = {{"stderr", [](const trap::Trap&) { return trap::Value("flexible"); }}}});
    return true;
  }();
  (void)registered;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(values_set_by_name_are_the_ones_the_accessors_read) {
  auto r = layered().trap(":flow:stdout(memory):rewrite", [] {
    std::cout << "first";
    return 1;
  });
  BOOST_TEST(r.out() == "againfirst");
  BOOST_TEST(r.get("stdout")->string() == "againfirst");
  BOOST_TEST(r.return_value<int>() == 7);
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.get("leaveby")->string() == "return");
  BOOST_TEST(r.get("mine")->string() == "x");
}

BOOST_AUTO_TEST_CASE(unset_built_in_values_are_gone_for_every_reader) {
  auto r = layered().trap(":flow", [] { return 1; });
  BOOST_TEST(r.leaveby() == "return");
  // What unset() takes from a record, no accessor sees any more; what is
  // set again is seen again.
  r.unset("leaveby");
  BOOST_TEST(r.leaveby().empty());
  BOOST_TEST(!r.has("leaveby"));
  BOOST_CHECK_THROW(r.return_value<int>(), trap::UsageError);
  r.set_leaveby("return");
  BOOST_TEST(r.return_value<int>() == 1);
  r.unset("return");
  BOOST_TEST(!r.has("return"));
  BOOST_CHECK_THROW(r.return_value<int>(), trap::UsageError);
  r.set("return", trap::Value(2));
  r.set_leaveby("return");
  BOOST_TEST(r.return_value<int>() == 2);
}

BOOST_AUTO_TEST_CASE(a_layer_reads_by_name_what_an_output_layer_set) {
  auto r = layered().trap(":flow:stdout(memory):peek", [] { std::cout << "out"; });
  // :peek is outermost: stdout is not set before; after, the capture has
  // set it (empty until it ends).
  BOOST_TEST(r.get("peek_before")->string() == "absent");
  BOOST_TEST(r.get("peek_after")->string() == "");
  BOOST_TEST(r.out() == "out");
}

BOOST_AUTO_TEST_CASE(a_flexible_accessor_does_not_reach_into_the_captured_text) {
  // The capture appends to what the record holds for its accessor (nested
  // layers of one stream), not to what a flexible accessor of that name
  // computes.
  auto r = layered().trap(":flow:stderr(memory)", [] { std::cerr << "err"; });
  BOOST_TEST(r.err() == "err");
  BOOST_TEST(r.get("stderr")->string() == "flexible");
}

BOOST_AUTO_TEST_CASE(nested_layers_of_one_stream_still_append) {
  auto r = trap::trap(":flow:stdout(memory):stdout(memory)", [] { std::cout << "once"; });
  BOOST_TEST(r.out() == "once");
}
