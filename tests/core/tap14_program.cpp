// A standalone TAP 14 program: prove must accept it; with --fail it adds one
// deliberately failing check, whose YAML block ctest inspects.
#include <cstring>
#include <iostream>

#include <trap/trap.hpp>

int main(int argc, char** argv) {
  trap::hub().format(trap::make_tap14_formatter());
  auto r = trap::trap([] {
    std::cout << "actual output\n";
    return 1;
  });
  r.stdout_is("actual output\n", "stdout");
  trap::subtest("a subtest", [&] {
    r.did_return("returned");
    r.return_is(1, "one");
  });
  trap::todo("later", [&] { r.return_is(2, "not yet"); });
  trap::skip("not on this machine");
  if (argc > 1 && std::strcmp(argv[1], "--fail") == 0)
    r.stdout_is("expected output\n", "deliberately failing check");
  return trap::done_testing();
}
