// SPDX-License-Identifier: BSL-1.0
// 02-custom-trapper: extend trap as Test::Trap::Builder allows: a trapper
// that inherits the standard one, a `simpletee` layer that prints what was
// trapped after the trap, a `loud` multi-layer, and a `cmp_ok` test that
// becomes a test method for every accessor (return_cmp_ok, exit_cmp_ok...).
#include <iostream>
#include <string>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

namespace {

bool cmp_ok(trap::Trap& self, std::span<const trap::Value> args) {
  const double got = args[0].as<double>();
  const std::string op = args[1].as<std::string>();
  const double want = args[2].as<double>();
  const bool ok = op == "<"    ? got < want
                  : op == "<=" ? got <= want
                  : op == ">"  ? got > want
                  : op == ">=" ? got >= want
                  : op == "==" ? got == want
                               : got != want;
  if (!ok) {
    self.diag("    " + args[0].str() + " " + op + " " + args[2].str() + " is false for " +
              self.test_accessor());
  }
  return ok;
}

trap::Trapper& my_trapper() {
  static trap::Trapper t("my::trap", &trap::standard());
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
    B.multi_layer(t, "loud", {"flow", "stdout", "stderr", "warn", "simpletee"});
    B.test(t, "cmp_ok", "element, predicate, predicate, name", cmp_ok);
    return true;
  }();
  (void)once;
  return t;
}

}  // namespace

int main() {
  auto r = my_trapper().trap(":loud", [] {
    std::cout << "# this line is trapped, then shown by simpletee\n";
    return 41;
  });
  r.stdout_like("trapped", "simpletee kept the output in the trap too");
  r.test("return_cmp_ok", "<", 42, "41 < 42");
  r.test("return_cmp_ok", ">=", 41, "41 >= 41");

  // Methods exist for every accessor the trapper sees:
  auto e = my_trapper().trap([] { std::exit(3); });
  e.test("exit_cmp_ok", "==", 3, "exit code compared numerically");

  trap::note(std::to_string(my_trapper().methods().size()) + " test methods on my::trap");
  return trap::done_testing();
}
