// SPDX-License-Identifier: BSL-1.0
// The Builder and trappers: registration verbs, inheritance, ACCESSOR_TEST
// generation, the layer author's API on the trap object. Ports the Builder
// documentation's example and Test::Trap's t/07-subclass.t.
#define BOOST_TEST_MODULE builder
#include <atomic>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

using test_support::diagnostics;
using test_support::events_of;
using test_support::one;

namespace {

// cmp_ok from the Builder documentation: element, predicate, predicate, name.
bool cmp_ok(trap::Trap& self, std::span<const trap::Value> a) {
  const auto& got = a[0];
  const auto op = a[1].as<std::string>();
  const auto& want = a[2];
  bool ok = false;
  if (op == "==") ok = got.as<double>() == want.as<double>();
  if (op == "<") ok = got.as<double>() < want.as<double>();
  if (op == ">") ok = got.as<double>() > want.as<double>();
  if (!ok)
    self.diag("    " + got.str() + " " + op + " " + want.str() + " in " + self.test_accessor());
  return ok;
}

// The Builder documentation's trapper: simpletee, a loud multi-layer, a
// timeout accessor and cmp_ok.
trap::Trapper& examples() {
  static trap::Trapper t("TT::examples", &trap::standard());
  static bool once = [] {
    auto& B = trap::Builder::instance();
    B.layer(t, "simpletee", [](trap::Trap& self, std::string_view) {
      for (auto name : {"stdout", "stderr"})
        if (self.has(name)) self.exception(std::string("Too late to tee ") + name);
      self.teardown([](trap::Trap& s) {
        if (s.has("stdout")) std::cout << s.out();
        if (s.has("stderr")) std::cerr << s.err();
      });
      self.next();
    });
    B.multi_layer(t, "loud", {"flow", "stdout", "stderr", "simpletee"});
    B.accessor(t, {.simple = {"timeout"}, .is_leaveby = true});
    B.test(t, "cmp_ok", "element, predicate, predicate, name", cmp_ok);
    return true;
  }();
  (void)once;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(what_is_registered_through_instance_is_seen_everywhere) {
  // The one Builder is where registrations live: what another thread
  // registers through instance() is found through instance() here, and
  // the traps sprung here use it.
  const trap::StrategyFn* memory = trap::Builder::instance().capture_strategy("memory");
  BOOST_REQUIRE(memory);
  BOOST_TEST(!trap::Builder::instance().capture_strategy("builder_test_memory"));
  static trap::Trapper t("TT::instance", &trap::standard());
  static std::atomic<int> layer_runs{0};
  std::thread([&] {
    auto& B = trap::Builder::instance();
    B.capture_strategy("builder_test_memory", *memory);
    B.layer(t, "counted", [](trap::Trap& self, std::string_view) {
      ++layer_runs;
      self.next();
    });
  }).join();
  auto& B = trap::Builder::instance();
  const trap::StrategyFn* renamed = B.capture_strategy("builder_test_memory");
  BOOST_TEST(renamed != nullptr);
  BOOST_TEST(B.first_capture_strategy("no_such_strategy;builder_test_memory") == renamed);
  auto r = t.trap(":flow:stdout(builder_test_memory):counted", [] { std::cout << "hello"; });
  BOOST_TEST(r.out() == "hello");
  BOOST_TEST(layer_runs.load() == 1);
}

BOOST_AUTO_TEST_CASE(simpletee_prints_after_the_trap) {
  auto outer = trap::trap([] {
    auto inner = examples().trap(":loud", [] {
      std::cout << "Hello";
      std::cerr << "Hi!\n";
    });
    BOOST_TEST(inner.out() == "Hello");
    BOOST_TEST(inner.err() == "Hi!\n");
  });
  // The tee printed after the inner trap, into the outer one.
  BOOST_TEST(outer.out() == "Hello");
  BOOST_TEST(outer.err() == "Hi!\n");
}

BOOST_AUTO_TEST_CASE(simpletee_too_late_is_an_untrappable_exception) {
  // simpletee pushed below stdout: stdout is already being trapped.
  try {
    examples().trap(":simpletee:stdout", [] {});
    BOOST_FAIL("no exception");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()) == "Too late to tee stdout");
  }
}

BOOST_AUTO_TEST_CASE(cmp_ok_is_a_test_method_for_every_accessor) {
  auto r = examples().trap([] { return 5; });
  BOOST_TEST(one([&] { r.test("return_cmp_ok", "<", 6, "less"); }).pass);
  auto e = one([&] { r.test("return_cmp_ok", ">", 6, "more"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(e.name == "more");
  BOOST_TEST(diagnostics(e) == "    5 > 6 in return()\n");
  auto w = examples().trap([] { std::clog << "1\n2\n"; });
  BOOST_TEST(one([&] { w.test("warn_cmp_ok", 1, "==", 2); }).pass);
  BOOST_TEST(examples().can("stdout_cmp_ok"));
  BOOST_TEST(!trap::standard().can("stdout_cmp_ok"));  // not in the parent
}

BOOST_AUTO_TEST_CASE(leaveby_accessor_gets_did_and_flow_check) {
  auto& B = trap::Builder::instance();
  static trap::Trapper t("TT::timeout", &trap::standard());
  // The Builder documentation's timeout layer, shape only: it says the
  // code timed out and forgets how it left otherwise.
  B.layer(t, "fake_timeout", [](trap::Trap& self, std::string_view) {
    self.next();
    self.set("timeout", true);
    self.set_leaveby("timeout");
    for (auto k : {"die", "exit", "return"}) self.unset(k);
  });
  B.accessor(t, {.simple = {"timeout"}, .is_leaveby = true});
  auto r = t.trap(":fake_timeout", [] { return 1; });
  BOOST_TEST(r.leaveby() == "timeout");
  BOOST_TEST(r.get("return") == nullptr);
  BOOST_TEST(one([&] { r.test("did_timeout", "timed out"); }).pass);
  BOOST_TEST(one([&] { r.test("timeout_is", true, "timed out"); }).pass);
  auto e = one([&] { r.did_return(); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) == "    Expecting to return(), but instead timeout()ed with true\n");
  auto q = t.trap([] {});
  BOOST_TEST(diagnostics(one([&] { q.test("timeout_ok"); })) ==
             "    Expecting to timeout(), but instead return()ed with undef\n");
}

BOOST_AUTO_TEST_CASE(methods_follow_registrations_made_after_the_trap) {
  static trap::Trapper parent("TT::late_parent", &trap::standard());
  static trap::Trapper child("TT::late_child", &parent);
  auto r = child.trap([] { return 3; });
  BOOST_TEST(!child.can("return_twice"));
  BOOST_CHECK_THROW(r.test("return_twice", "name"), trap::UsageError);
  auto& B = trap::Builder::instance();
  // A test in the parent, registered after the trap sprang: the child
  // inherits it, and with it a method for each accessor.
  B.test(parent, "twice", "trap, element, predicate, name",
         [](trap::Trap&, std::span<const trap::Value> a) {
           return a[0].as<int>() * 2 == a[1].as<int>();
         });
  BOOST_TEST(child.can("return_twice"));
  BOOST_TEST(one([&] { r.test("return_twice", 6, "3 * 2"); }).pass);
  // An accessor only in the child: the child has its methods, the parent not.
  B.accessor(child, {.flexible = {{"tripled", [](const trap::Trap& t) {
                                     return trap::Value(t.return_value<int>() * 3);
                                   }}}});
  BOOST_TEST(child.can("tripled_is"));
  BOOST_TEST(child.can("tripled_twice"));
  BOOST_TEST(!parent.can("tripled_is"));
  BOOST_TEST(one([&] { r.test("tripled_is", 9); }).pass);
  BOOST_TEST(*r.get("tripled") == trap::Value(9));
}

BOOST_AUTO_TEST_CASE(argspec_words_and_errors) {
  static trap::Trapper t("TT::argspec", &trap::standard());
  auto& B = trap::Builder::instance();
  try {
    B.test(t, "bad", "trap, foo", [](trap::Trap&, std::span<const trap::Value>) { return true; });
    BOOST_FAIL("no error");
  } catch (const trap::UsageError& e) {
    BOOST_TEST(std::string(e.what()) == "Unrecognized identifier foo in argspec");
  }
  std::vector<trap::Value> seen;
  B.test(t, "spy", "name entirety;predicate,trap element",
         [&](trap::Trap&, std::span<const trap::Value> a) {
           seen.assign(a.begin(), a.end());
           return true;
         });
  auto r = t.trap([] { std::clog << "a\nb\n"; });
  // Arguments are taken in argspec order: name, predicate, index.
  auto e = one([&] { r.test("warn_spy", "the name", "pred", 1); });
  BOOST_TEST(e.name == "the name");
  BOOST_REQUIRE_EQUAL(seen.size(), 4u);
  BOOST_TEST(seen[0] == trap::Value("the name"));
  BOOST_TEST(seen[1] == trap::Value(trap::Array{"a\n", "b\n"}));
  BOOST_TEST(seen[2] == trap::Value("pred"));
  BOOST_TEST(seen[3] == trap::Value("b\n"));
}

BOOST_AUTO_TEST_CASE(multi_layer_with_unknown_member_fails_at_registration) {
  static trap::Trapper t("TT::badclass", &trap::standard());
  try {
    trap::Builder::instance().multi_layer(t, "trouble", {"warn", "no_such_layer"});
    BOOST_FAIL("no error");
  } catch (const trap::UsageError& e) {
    BOOST_TEST(std::string(e.what()) == "Unknown trap layer \"no_such_layer\"");
  }
  BOOST_TEST(!t.has_layer("trouble"));
}

BOOST_AUTO_TEST_CASE(custom_default_changes_every_trap_of_the_trapper) {
  static trap::Trapper t("TT::quietdefault", &trap::standard());
  trap::Builder::instance().multi_layer(t, "default", {"flow", "stdout"});
  auto outer = trap::trap([] {
    auto r = t.trap([] {
      std::cout << "o";
      std::cerr << "e";
    });
    BOOST_TEST(r.out() == "o");
    BOOST_TEST(!r.has("stderr"));
  });
  BOOST_TEST(outer.err() == "e");
}

BOOST_AUTO_TEST_CASE(anonymous_layer_implementations) {
  auto& B = trap::Builder::instance();
  std::vector<std::string> specs{"flow", "stdout(memory)"};
  auto impls = B.layer_implementation(trap::standard(), specs);
  BOOST_TEST(impls.size() == 4u);  // raw, die, exit, stdout
  std::vector<std::string> bad{"stdot"};
  BOOST_CHECK_THROW(B.layer_implementation(trap::standard(), bad), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(capture_strategies_register_and_look_up) {
  auto& B = trap::Builder::instance();
  BOOST_TEST(B.capture_strategy("dup2") != nullptr);
  BOOST_TEST(B.capture_strategy("nope") == nullptr);
  BOOST_TEST(B.first_capture_strategy("") == nullptr);
  BOOST_TEST(B.first_capture_strategy("nope;pipe,dup2") == B.capture_strategy("pipe"));
  BOOST_TEST(B.first_capture_strategy("nope,memory") == B.capture_strategy("memory"));
  try {
    B.first_capture_strategy("a;b");
    BOOST_FAIL("no error");
  } catch (const trap::UsageError& e) {
    BOOST_TEST(std::string(e.what()) == "No capture strategy found for \"a\", \"b\"");
  }
  // A user's strategy: records a fixed text, to show the protocol.
  B.capture_strategy("canned", [](trap::Trap& self, std::string_view name, int) {
    self.teardown([n = std::string(name)](trap::Trap& t) { t.set(n, "canned"); });
    self.next();
  });
  auto r = trap::trap(":stdout(canned)", [] {});
  BOOST_TEST(r.out() == "canned");
}

BOOST_AUTO_TEST_CASE(output_layer_registers_layer_and_accessor) {
  static trap::Trapper t("TT::fd3", &trap::standard());
  trap::Builder::instance().output_layer(t, "fd3", 2);  // another name for fd 2
  auto r = t.trap(":flow:fd3(pipe)", [] { std::cerr << "to fd 2"; });
  BOOST_TEST(r.get("fd3")->as<std::string>() == "to fd 2");
  BOOST_TEST(one([&] { r.test("fd3_is", "to fd 2"); }).pass);
}

BOOST_AUTO_TEST_SUITE(layer_api)

BOOST_AUTO_TEST_CASE(teardowns_run_in_reverse_even_after_a_throw) {
  static trap::Trapper t("TT::teardown", &trap::standard());
  static std::vector<std::string> order;
  trap::Builder::instance().layer(t, "tdx", [](trap::Trap& self, std::string_view) {
    self.teardown([] {
      order.push_back("td1");
      throw std::runtime_error("td1");
    });
    self.teardown([] {
      order.push_back("td2");
      throw std::runtime_error("td2");
    });
    self.teardown([] { order.push_back("td3"); });
    self.next();
  });
  try {
    t.trap(":flow:tdx", [] {});
    BOOST_FAIL("no exception");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "Rethrowing teardown exception: td2\nRethrowing teardown exception: td1");
  }
  BOOST_TEST(order == (std::vector<std::string>{"td3", "td2", "td1"}));
}

BOOST_AUTO_TEST_CASE(teardown_exception_keeps_captures_restored) {
  static trap::Trapper t("TT::teardown2", &trap::standard());
  trap::Builder::instance().layer(t, "boom", [](trap::Trap& self, std::string_view) {
    self.teardown([] { throw 42; });
    self.next();
  });
  auto before = test_support::identity(1);
  BOOST_CHECK_THROW(t.trap(":boom", [] { std::cout << "x"; }), trap::TrapError);
  BOOST_TEST((test_support::identity(1) == before));
}

BOOST_AUTO_TEST_CASE(exception_is_not_caught_by_die_or_user_code) {
  static trap::Trapper t("TT::exc", &trap::standard());
  auto& B = trap::Builder::instance();
  B.layer(t, "boom", [](trap::Trap& self, std::string_view) { self.exception("Too late"); });
  // Below die (leftmost is deepest): die is outside it and must not catch.
  try {
    t.trap(":boom:die", [] {});
    BOOST_FAIL("no exception");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()) == "Too late");
  }
  // Code that swallows everything cannot swallow it either.
  B.layer(t, "in_code", [](trap::Trap& self, std::string_view) { self.next(); });
  try {
    t.trap([](trap::Trap& self) {
      try {
        self.exception("from a callback");
      } catch (...) {
      }
      return 1;
    });
    BOOST_FAIL("no exception");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()) == "from a callback");
  }
}

BOOST_AUTO_TEST_CASE(exception_escaping_every_layer_is_rethrown) {
  try {
    trap::trap(":raw", [] { throw std::runtime_error("inner"); });
    BOOST_FAIL("no exception");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()) == "Rethrowing internal exception: inner");
  }
}

BOOST_AUTO_TEST_CASE(exception_function_works_from_a_teardown) {
  static trap::Trapper t("TT::excfn", &trap::standard());
  trap::Builder::instance().layer(t, "late", [](trap::Trap& self, std::string_view) {
    auto fail = self.exception_function();
    self.teardown([fail] { fail("Things didn't work."); });
    self.next();
  });
  try {
    t.trap(":late", [] {});
    BOOST_FAIL("no exception");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()) == "Things didn't work.");
  }
  // After the trap: an ordinary error.
  auto r = trap::trap([] {});
  BOOST_CHECK_THROW(r.exception("after"), trap::TrapError);
  BOOST_CHECK_THROW(r.teardown([] {}), trap::UsageError);
  BOOST_CHECK_THROW(r.next(), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(props_are_per_namespace_and_freed_with_the_trap) {
  static trap::Trapper t("TT::prop", &trap::standard());
  trap::Builder::instance().layer(t, "tag", [](trap::Trap& self, std::string_view arg) {
    self.prop("TT::prop")["arg"] = std::string(arg);
    self.prop("TT::prop")["token"] = std::make_shared<int>(7);
    self.next();
  });
  std::weak_ptr<int> token;
  {
    auto r = t.trap(":tag(hello)", [] {});
    BOOST_TEST(std::any_cast<std::string>(r.prop("TT::prop")["arg"]) == "hello");
    BOOST_TEST(r.prop("other").empty());
    token = std::any_cast<std::shared_ptr<int>>(r.prop("TT::prop")["token"]);
    BOOST_TEST(!token.expired());
    trap::last() = trap::Trap();
  }
  BOOST_TEST(token.expired());
}

BOOST_AUTO_TEST_CASE(test_accessor_names_accessor_and_index) {
  static trap::Trapper t("TT::ta", &trap::standard());
  std::vector<std::string> seen;
  trap::Builder::instance().test(t, "spy", "trap, element",
                                 [&](trap::Trap& self, std::span<const trap::Value>) {
                                   seen.push_back(self.test_accessor());
                                   return true;
                                 });
  auto r = t.trap([] { std::clog << "w\n"; });
  events_of([&] {
    r.test("stdout_spy");
    r.test("warn_spy", 0);
  });
  BOOST_TEST(seen == (std::vector<std::string>{"stdout()", "warn(0)"}));
  BOOST_TEST(r.test_accessor() == "");
}

BOOST_AUTO_TEST_CASE(on_fail_runs_the_method_on_each_failure) {
  auto r = trap::trap(":on_fail(diag_all_once)", [] { return 1; });
  auto events = events_of([&] {
    r.return_is(1);
    r.return_is(2);
    r.stdout_is("x");
  });
  BOOST_REQUIRE_EQUAL(events.size(), 5u);
  BOOST_TEST(events[0].pass);
  BOOST_TEST(!events[1].pass);
  BOOST_TEST((events[2].kind == trap::Event::Kind::diag));
  BOOST_TEST(events[2].name.starts_with("bless({"));
  BOOST_TEST(!events[3].pass);
  BOOST_TEST(events[4].name == "(as above)");
}

BOOST_AUTO_TEST_CASE(on_fail_with_a_failing_method_does_not_recurse) {
  // Perl recurses for ever here; we report the method's own failure once.
  auto r = trap::trap(":on_fail(quiet)", [] { std::cout << "noise"; });
  auto events = events_of([&] { r.stdout_is("quiet"); });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(!events[0].pass);
  BOOST_TEST(!events[1].pass);
  BOOST_TEST(test_support::diagnostics(events[1]) == "Expecting no STDOUT, but got \"noise\"\n");
}

BOOST_AUTO_TEST_CASE(on_fail_with_a_custom_method) {
  static trap::Trapper t("TT::onfail", &trap::standard());
  static int calls = 0;
  trap::Builder::instance().method(
      t, "count_failure", [](trap::Trap&, std::span<const trap::Value>, trap::source_location) {
        ++calls;
        return true;
      });
  auto r = t.trap(":on_fail(count_failure)", [] {});
  events_of([&] {
    r.did_die();
    r.stdout_is("nope");
    r.quiet();
  });
  BOOST_TEST(calls == 2);
  BOOST_CHECK_THROW(trap::trap(":on_fail(no_such_method)", [] {}), trap::UsageError);
  // A method of the trap's own trapper is found when the spec is read.
  BOOST_CHECK_NO_THROW(t.trap(":on_fail(count_failure)", [] {}));
}

BOOST_AUTO_TEST_CASE(code_may_take_the_trap) {
  auto r = trap::trap([](trap::Trap& self) {
    self.set("custom", "value");
    return 1;
  });
  BOOST_TEST(r.get("custom")->as<std::string>() == "value");
  BOOST_TEST(r.return_value<int>() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(the_standard_trapper_can_be_extended) {
  // t/07-subclass.t inserts s'mores into Test::Trap itself.
  auto& B = trap::Builder::instance();
  B.accessor(trap::standard(), {.flexible = {{"leavewith", [](const trap::Trap& t) {
                                                const trap::Value* v = t.get(t.leaveby());
                                                return v ? *v : trap::Value();
                                              }}}});
  auto r = trap::trap([] { std::exit(4); });
  BOOST_TEST(one([&] { r.test("leavewith_is", 4); }).pass);
  auto d = trap::trap([] { throw std::runtime_error("gone"); });
  BOOST_TEST(one([&] { d.test("leavewith_like", "^gone$"); }).pass);
}
