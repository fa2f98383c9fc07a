// SPDX-License-Identifier: BSL-1.0
// Bad input is a UsageError at the right time: a layer argument when the
// spec is read (before anything runs), a missing test argument when the
// test method is called, a test on an accessor whose layer the trap lacks.
#define BOOST_TEST_MODULE usage_errors
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/net.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

using test_support::one;

namespace {

// The UsageError trap::trap(spec, ...) throws, and whether the code ran.
struct Outcome {
  std::string error = "(no error)";
  bool ran = false;
};

Outcome spring(const trap::Trapper& t, const std::string& spec) {
  Outcome o;
  try {
    t.trap(spec, [&] { o.ran = true; });
  } catch (const trap::UsageError& e) {
    o.error = e.what();
  }
  return o;
}

Outcome spring(const std::string& spec) { return spring(trap::standard(), spec); }

std::string usage_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const trap::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(layer_arguments)

BOOST_AUTO_TEST_CASE(layers_without_arguments_refuse_one) {
  for (std::string layer : {"raw", "die", "exit", "warn", "flow", "default"}) {
    auto o = spring(":" + layer + "(x)");
    BOOST_TEST(o.error == "Layer \"" + layer + "\" takes no argument, not \"x\"");
    BOOST_TEST(!o.ran);
  }
  BOOST_TEST(spring(":die()").error == "(no error)");  // empty parentheses: no argument
}

BOOST_AUTO_TEST_CASE(fork_takes_only_exec) {
  auto o = spring(":fork(blah)");
  BOOST_TEST(o.error == "Layer \"fork\" takes no argument or \"exec\", not \"blah\"");
  BOOST_TEST(!o.ran);
}

BOOST_AUTO_TEST_CASE(on_fail_takes_a_method_of_the_trapper) {
  auto o = spring(":on_fail(nosuch)");
  BOOST_TEST(o.error ==
             "Layer \"on_fail\" takes the name of a test method of trapper trap::standard "
             "(such as diag_all, diag_all_once, quiet), not \"nosuch\"");
  BOOST_TEST(!o.ran);
  BOOST_TEST(spring(":on_fail").error.starts_with("Layer \"on_fail\" takes the name"));
  BOOST_TEST(spring(":on_fail(diag_all_once)").ran);
  BOOST_TEST(spring(":on_fail(stdout_ok)").ran);  // any test method the trapper has
}

BOOST_AUTO_TEST_CASE(timeout_takes_milliseconds) {
  const std::string what =
      "timeout: the limit must be a whole number of milliseconds from 1 to 86400000, not ";
  BOOST_TEST(spring(":timeout(soon)").error == what + "\"soon\"");
  BOOST_TEST(spring(":timeout(0)").error == what + "\"0\"");
  BOOST_TEST(spring(":timeout").error == what + "\"\"");
  BOOST_TEST(!spring(":timeout(soon)").ran);
  BOOST_TEST(spring(":timeout(5000)").ran);
}

BOOST_AUTO_TEST_CASE(tcp_server_options_are_checked_before_a_server_starts) {
  auto o = spring(":tcp_server(colour=red)");
  BOOST_TEST(o.error.starts_with("tcp_server: unknown option \"colour\""));
  BOOST_TEST(!o.ran);
  BOOST_TEST(spring(":tcp_server(port=70000)").error == "tcp_server: port 70000 is out of range");
}

BOOST_AUTO_TEST_CASE(a_custom_layer_with_a_check_refuses_bad_arguments) {
  static trap::Trapper t("TT::checked", &trap::standard());
  static int applied = 0;
  auto& B = trap::Builder::instance();
  B.layer(
      t, "level",
      [](trap::Trap& self, std::string_view) {
        ++applied;
        self.next();
      },
      [](std::string_view arg) {
        if (arg != "low" && arg != "high")
          throw trap::UsageError("Layer \"level\" takes low or high, not \"" + std::string(arg) +
                                 "\"");
      });
  B.layer(
      t, "plain", [](trap::Trap& self, std::string_view) { self.next(); },
      trap::no_layer_argument("plain"));
  B.multi_layer(t, "both", {"level(low)", "plain"});
  BOOST_TEST(spring(t, ":level(medium)").error ==
             "Layer \"level\" takes low or high, not \"medium\"");
  BOOST_TEST(spring(t, ":plain(x)").error == "Layer \"plain\" takes no argument, not \"x\"");
  BOOST_TEST(spring(t, ":both(x)").error == "Layer \"both\" takes no argument, not \"x\"");
  BOOST_TEST(applied == 0);
  BOOST_TEST(spring(t, ":both").ran);
  BOOST_TEST(applied == 1);
  // layer_implementation reads specs the same way.
  const std::vector<std::string> bad{"level(medium)"};
  BOOST_CHECK_THROW(B.layer_implementation(t, bad), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(a_layer_registered_without_a_check_gets_any_argument) {
  static trap::Trapper t("TT::unchecked", &trap::standard());
  static std::string seen;
  trap::Builder::instance().layer(t, "free", [](trap::Trap& self, std::string_view arg) {
    seen = arg;
    self.next();
  });
  BOOST_TEST(spring(t, ":free(anything at all)").ran);
  BOOST_TEST(seen == "anything at all");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(test_arguments)

BOOST_AUTO_TEST_CASE(a_missing_predicate_is_a_usage_error) {
  auto r = trap::trap([] { std::cout << "x"; });
  BOOST_TEST(usage_error([&] { r.test("stdout_is"); }) ==
             "stdout_is: missing argument 1 (a predicate): it takes a predicate, and an "
             "optional test name");
  BOOST_CHECK_THROW(r.test("stdout_isnt"), trap::UsageError);
  BOOST_CHECK_THROW(r.test("stdout_like"), trap::UsageError);
  // An explicit null is a value: compared, not refused.
  BOOST_TEST(!one([&] { r.test("stdout_is", nullptr); }).pass);
  // The test name stays optional.
  BOOST_TEST(one([&] { r.test("stdout_is", "x"); }).pass);
  BOOST_TEST(one([&] { r.test("stdout_ok"); }).pass);
}

BOOST_AUTO_TEST_CASE(a_missing_index_or_predicate_of_an_array_test) {
  auto r = trap::trap([] { std::clog << "w\n"; });
  BOOST_TEST(usage_error([&] { r.test("warn_is", 0); }) ==
             "warn_is: missing argument 2 (a predicate): it takes an index, a predicate, and "
             "an optional test name");
  BOOST_TEST(usage_error([&] { r.test("warn_ok"); }) ==
             "warn_ok: missing argument 1 (an index): it takes an index, and an optional test "
             "name");
  BOOST_CHECK_THROW(r.test("warn_is_deeply"), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(a_custom_test_with_two_predicates_needs_both) {
  static trap::Trapper t("TT::two", &trap::standard());
  trap::Builder::instance().test(t, "between", "element, predicate, predicate, name",
                                 [](trap::Trap&, std::span<const trap::Value> a) {
                                   return a[1].as<int>() <= a[0].as<int>() &&
                                          a[0].as<int>() <= a[2].as<int>();
                                 });
  auto r = t.trap([] { return 5; });
  BOOST_TEST(one([&] { r.test("return_between", 1, 9); }).pass);
  BOOST_TEST(usage_error([&] { r.test("return_between", 1); }) ==
             "return_between: missing argument 2 (a predicate): it takes a predicate, a "
             "predicate, and an optional test name");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(accessors_and_their_layers)

BOOST_AUTO_TEST_CASE(a_test_on_an_accessor_whose_layer_did_not_run) {
  // (including trap/net.hpp registered the layer and its accessors)
  auto r = trap::trap([] {});
  BOOST_TEST(usage_error([&] { r.test("received_is", 0, "hello"); }) ==
             "received_is: the accessor \"received\" is set by layer \"tcp_server\", which "
             "this trap did not run: add :tcp_server to its layer spec");
  BOOST_CHECK_THROW(r.test("connections_ok", 0), trap::UsageError);
  BOOST_CHECK_THROW(r.test("received_is_deeply", trap::Array{}), trap::UsageError);
  // With the layer, the same tests run.
  auto s = trap::trap(":tcp_server", [] {});
  BOOST_TEST(one([&] { s.test("received_is_deeply", trap::Array{}); }).pass);
  BOOST_TEST(!one([&] { s.test("received_ok", 0); }).pass);
}

BOOST_AUTO_TEST_CASE(accessors_without_a_declared_layer_read_as_null) {
  // Test::Trap: an accessor no layer trapped is undef, e.g. stdout under :flow.
  auto r = trap::trap(":flow", [] {});
  BOOST_TEST(!one([&] { r.stdout_ok(); }).pass);
  BOOST_TEST(one([&] { r.stdout_is(nullptr); }).pass);
}

BOOST_AUTO_TEST_SUITE_END()
