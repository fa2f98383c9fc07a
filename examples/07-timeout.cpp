// SPDX-License-Identifier: BSL-1.0
// 07-timeout: code that hangs is stopped. Under `:fork:timeout(2000)` the
// child is killed at the deadline and the output it wrote until then is
// kept; `:timeout(ms)` alone stops code in process.
#include <unistd.h>

#include <iostream>

#include <trap/trap.hpp>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TRAP_EXAMPLE_TSAN 1
#endif
#endif

namespace {

// The code under test: waits for an answer that never comes.
void wait_for_reply() {
  std::cout << "request sent" << std::endl;
  for (;;) ::pause();
}

// Computes for ever.
unsigned long spin() {
  volatile unsigned long n = 0;
  for (;;) {
    n = n + 1;
#if defined(__SANITIZE_THREAD__) || defined(TRAP_EXAMPLE_TSAN)
    // ThreadSanitizer holds the timeout's signal until the code calls into
    // the C library: under it, the loop does.
    ::usleep(0);
#endif
  }
  return n;
}

}  // namespace

int main() {
  // A deadline is counted from the start of the trap: leave the child time
  // to start and write before it (2 s is plenty, even on a busy machine).
  auto hung = trap::trap<":fork:timeout(2000)">(wait_for_reply);
  hung.did_timeout("the child is stopped at its deadline");
  hung.stdout_is("request sent\n", "what it wrote until then is kept");

  auto busy = trap::trap<":timeout(100)">(spin);
  busy.did_timeout("a busy loop is stopped in process");

  auto quick = trap::trap<":fork:timeout(30000)">([] { return 42; });
  quick.return_is(42, "code that finishes in time is untouched");
  return trap::done_testing();
}
