// SPDX-License-Identifier: BSL-1.0
// trap::export_environment(), what the server layers tell programs with:
// trap::run passes each thread's programs the value its own trap set,
// while traps on other threads set theirs at the same time; nested traps
// give the innermost value; and however the traps end, the process's
// environment ends as it was.
#define BOOST_TEST_MODULE exported_environment
#include <cstdlib>
#include <latch>
#include <optional>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/process.hpp>

namespace {

constexpr const char* kName = "TRAP_TEST_EXPORTED";

// A trapper with the layer `exported(VALUE)`: kName=VALUE for the trap.
const trap::Trapper& trapper() {
  static trap::Trapper t("exported_environment_test", &trap::standard());
  static const bool once = [] {
    trap::Builder::instance().layer(t, "exported", [](trap::Trap& self, std::string_view value) {
      trap::export_environment(self, kName, std::string(value));
      self.next();
    });
    return true;
  }();
  (void)once;
  return t;
}

// What a program started now by trap::run sees.
std::string seen_by_a_program() {
  return trap::run({"sh", "-c", std::string("printf %s \"${") + kName + ":-unset}\""}).out();
}

std::optional<std::string> process_value() {
  const char* v = std::getenv(kName);
  return v ? std::optional<std::string>(v) : std::nullopt;
}

struct Env {
  explicit Env(const char* value) { value ? ::setenv(kName, value, 1) : ::unsetenv(kName); }
  ~Env() { ::unsetenv(kName); }
};

}  // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

BOOST_AUTO_TEST_CASE(nested_traps_give_the_innermost_value_and_take_it_back) {
  const Env before("outside");
  std::string outer_before, inner, outer_after;
  auto r = trapper().trap(":flow:exported(outer)", [&] {
    outer_before = seen_by_a_program();
    trapper().trap(":flow:exported(inner)", [&] { inner = seen_by_a_program(); });
    outer_after = seen_by_a_program();
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(outer_before == "outer");
  BOOST_TEST(inner == "inner");
  BOOST_TEST(outer_after == "outer");
  BOOST_TEST(process_value() == std::optional<std::string>("outside"));
  BOOST_TEST(seen_by_a_program() == "outside");
}

// Two threads in their traps at once (`flow`: no capture of the process's
// descriptors, which would take the threads one at a time); each program
// sees its own thread's value. Then they end in a set order (first the one that set it first,
// then the other way round), and the environment is as before each time.
BOOST_AUTO_TEST_CASE(threads_each_pass_their_own_value_and_end_in_any_order) {
  for (const char* before : {static_cast<const char*>(nullptr), "outside"}) {
    for (int first_to_end : {0, 1}) {
      const Env env(before);
      std::latch both_in(2), first_out(1);
      std::string seen[2], seen_after_other_ended;
      std::optional<std::string> process_after_other_ended;
      auto run = [&](int me) {
        trapper().trap(":flow:exported(thread" + std::to_string(me) + ")", [&] {
          both_in.arrive_and_wait();
          seen[me] = seen_by_a_program();
          if (me != first_to_end) {
            first_out.wait();
            seen_after_other_ended = seen_by_a_program();
            process_after_other_ended = process_value();
          }
        });
        if (me == first_to_end) first_out.count_down();
      };
      std::thread a(run, 0), b(run, 1);
      a.join();
      b.join();
      const std::string last = "thread" + std::to_string(1 - first_to_end);
      BOOST_TEST(seen[0] == "thread0");
      BOOST_TEST(seen[1] == "thread1");
      BOOST_TEST(seen_after_other_ended == last);
      BOOST_TEST(process_after_other_ended == std::optional<std::string>(last));
      BOOST_TEST(process_value() == (before ? std::optional<std::string>(before) : std::nullopt));
    }
  }
}

BOOST_AUTO_TEST_CASE(run_options_still_win_over_an_exported_value) {
  std::string seen;
  trapper().trap(":flow:exported(layer)", [&] {
    trap::RunOptions o;
    o.environment[kName] = "options";
    seen = trap::run({"sh", "-c", std::string("printf %s \"$") + kName + "\""}, o).out();
  });
  BOOST_TEST(seen == "options");
}
