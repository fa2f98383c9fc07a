// SPDX-License-Identifier: BSL-1.0
// The registry's and the hub's callables (trap::LayerFn, TestFn, AccessorFn,
// StrategyFn, MethodFn, LayerArgCheck, EventFilter, EventListener, FollowUp)
// are trap::detail::Function, so that <trap/trap.hpp> does not compile
// <functional> (issue 16): everything a user passed as a std::function
// before still registers — a lambda, a function's name, a pointer to a
// function, a std::function — an empty one is still refused, and
// Function::target() finds the held type as std::function's does.
#define BOOST_TEST_MODULE registry_callables
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

namespace {

int layer_calls = 0;

void counting_layer(trap::Trap& self, std::string_view) {
  ++layer_calls;
  self.next();
}

bool always_true(trap::Trap&, std::span<const trap::Value>) { return true; }

trap::Value seven(const trap::Trap&) { return trap::Value(7); }

bool plain_method(trap::Trap&, std::span<const trap::Value>, trap::source_location) { return true; }

trap::Trapper& callables() {
  static trap::Trapper t("TT::callables", &trap::standard());
  static bool once = [] {
    auto& B = trap::Builder::instance();
    B.layer(t, "by_name", counting_layer);
    B.layer(t, "by_pointer", &counting_layer, trap::no_layer_argument("by_pointer"));
    B.layer(t, "by_std_function",
            std::function<void(trap::Trap&, std::string_view)>(counting_layer));
    B.test(t, "yes", "trap, name", always_true);
    B.accessor(t, {.flexible = {{"seven", seven}, {"eight", &seven}}});
    B.method(t, "plain", plain_method);
    return true;
  }();
  (void)once;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(functions_pointers_and_std_functions_register_as_before) {
  layer_calls = 0;
  auto r = callables().trap(":by_name:by_pointer:by_std_function", [] { return 1; });
  BOOST_TEST(layer_calls == 3);
  BOOST_TEST(r.test("seven_yes", "a test registered by a function's name"));
  BOOST_TEST(r.get("seven")->as<int>() == 7);
  BOOST_TEST(r.get("eight")->as<int>() == 7);
  BOOST_TEST(r.test("plain"));
  BOOST_CHECK_THROW(callables().trap(":by_pointer(x)", [] {}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(an_empty_std_function_is_still_refused) {
  auto& B = trap::Builder::instance();
  static trap::Trapper t("TT::callables_empty", &trap::standard());
  BOOST_CHECK_THROW(B.layer(t, "empty", std::function<void(trap::Trap&, std::string_view)>()),
                    trap::UsageError);
  BOOST_CHECK_THROW(B.layer(t, "null", nullptr), trap::UsageError);
  BOOST_TEST(!t.has_layer("empty"));
  BOOST_CHECK_THROW(
      B.accessor(t, {.flexible = {{"none", std::function<trap::Value(const trap::Trap&)>()}}}),
      trap::UsageError);
}

BOOST_AUTO_TEST_CASE(hub_callables_take_lambdas_functions_and_std_functions) {
  trap::Hub hub(nullptr);
  int seen = 0;
  int ended = 0;
  std::function<std::optional<trap::Event>(trap::Hub&, trap::Event)> rename =
      [](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
    e.name = "renamed";
    return e;
  };
  hub.filter(rename);
  hub.listen([&](trap::Hub&, const trap::Event& e, std::size_t) {
    if (e.name == "renamed") ++seen;
  });
  hub.follow_up([&](trap::Hub&) { ++ended; });
  trap::Event event;
  event.name = "x";
  hub.send(event);
  hub.finish();
  BOOST_TEST(seen == 1);
  BOOST_TEST(ended == 1);
  auto old = hub.format(trap::make_tap_formatter());
  BOOST_TEST(!old);
}

namespace {
struct Tagged {
  int id;
  void operator()(trap::Trap&, std::string_view, int) const {}
};
}  // namespace

BOOST_AUTO_TEST_CASE(function_target_finds_the_held_type_only) {
  trap::StrategyFn f = Tagged{42};
  BOOST_REQUIRE(f.target<Tagged>() != nullptr);
  BOOST_TEST(f.target<Tagged>()->id == 42);
  BOOST_TEST(f.target<int>() == nullptr);
  trap::StrategyFn copy = f;
  BOOST_TEST(copy.target<Tagged>() != f.target<Tagged>());  // its own copy
  BOOST_TEST(copy.target<Tagged>()->id == 42);
  BOOST_TEST(trap::StrategyFn().target<Tagged>() == nullptr);
  // As std::function: the type of the callable exactly, not what it converts to.
  trap::StrategyFn g = [](trap::Trap&, std::string_view, int) {};
  BOOST_TEST(g.target<Tagged>() == nullptr);
}
