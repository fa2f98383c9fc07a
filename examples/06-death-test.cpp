// SPDX-License-Identifier: BSL-1.0
// 06-death-test: a death test. A function that calls abort() on bad input
// runs under the fork layer; the test checks the signal and the message it
// printed, and the test program goes on.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <trap/trap.hpp>

namespace {

// The code under test: refuses a negative size the hard way.
std::string make_buffer(int size) {
  if (size < 0) {
    std::fprintf(stderr, "make_buffer: negative size %d\n", size);
    std::abort();
  }
  return std::string(static_cast<std::size_t>(size), '.');
}

}  // namespace

int main() {
  auto dies = trap::trap<":fork">([] { return make_buffer(-1); });
  dies.did_signal("make_buffer(-1) dies");
  dies.signal_is(SIGABRT, "by SIGABRT");
  dies.stderr_is("make_buffer: negative size -1\n", "saying why");

  auto lives = trap::trap<":fork">([] { return make_buffer(3); });
  lives.return_is("...", "make_buffer(3) returns, its value brought back from the child");

  // A crash, an exception and _exit: the same layer traps each.
  auto crash = trap::trap<":fork">([] {
    volatile int* p = nullptr;
    return *p;
  });
  crash.signal_is(SIGSEGV, "a null dereference is SIGSEGV");
  auto thrown = trap::trap<":fork">([] { throw std::runtime_error("bad state"); });
  thrown.die_is("bad state", "an exception comes back as die");
  auto quits = trap::trap<":fork">([] { std::_Exit(3); });
  quits.exit_is(3, "_Exit(3) is exit 3");
  return 0;  // the exit status still counts the failures
}
