// SPDX-License-Identifier: BSL-1.0
// 14-sharded: a standalone program whose top-level subtests can be listed,
// run by name and split into shards without changing it:
//   14-sharded --list                 (or TRAP_LIST=1)
//   14-sharded --filter='greet*'      (or TRAP_FILTER=...)
//   TEST_TOTAL_SHARDS=2 TEST_SHARD_INDEX=0 14-sharded   (Bazel's sharding)
// examples/CMakeLists.txt registers each subtest as its own ctest test
// with trap_discover_tests (docs/ci-and-sharding.md).
#include <iostream>
#include <stdexcept>
#include <string>

#include <trap/trap.hpp>

namespace {

void greet(const std::string& who) { std::cout << "hello, " << who << "\n"; }

}  // namespace

//! [synopsis]
int main(int argc, char** argv) {
  trap::parse_arguments(argc, argv);  // --list, --filter=...; optional

  trap::subtest("greets someone", [] {
    auto r = trap::trap([] { greet("world"); });
    r.stdout_is("hello, world\n", "greets the world");
  });
  trap::subtest("greets no one", [] {
    auto r = trap::trap([] { greet(""); });
    r.stdout_like("^hello, $", "an empty name still greets");
  });
  trap::subtest("dies", [] {
    auto r = trap::trap([] { throw std::runtime_error("no"); });
    r.die_like("^no", "the exception is trapped");
  });
  return trap::done_testing();
}
//! [synopsis]
