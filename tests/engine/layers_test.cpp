// SPDX-License-Identifier: BSL-1.0
// The standard layers and their order: raw, die, exit, flow, stdout, stderr,
// warn, default, output. Ports Test::Trap's t/06-layers.t, t/04-exit.t and
// the reentrancy cases of t/03-files.pl.
#define BOOST_TEST_MODULE layers
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

using test_support::in_child;

namespace {

// The same block as t/06-layers.t: print, warn, exit 1.
void hello_warn_exit() {
  std::cout << "Hello";
  trap::warn("Hi!\n");
  std::exit(1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(layer_order)

BOOST_AUTO_TEST_CASE(default_traps_everything) {
  auto r = trap::trap(hello_warn_exit);
  BOOST_TEST(r.exit_code() == 1);
  BOOST_TEST(r.leaveby() == "exit");
  BOOST_TEST(r.out() == "Hello");
  BOOST_TEST(r.err() == "Hi!\n");
  BOOST_TEST(r.warn() == std::vector<std::string>{"Hi!\n"});
}

BOOST_AUTO_TEST_CASE(flow_traps_no_output) {
  trap::Trap inner;
  auto outer = trap::trap([&] { inner = trap::trap(":flow", hello_warn_exit); });
  BOOST_TEST(inner.exit_code() == 1);
  BOOST_TEST(inner.get("stdout") == nullptr);
  BOOST_TEST(inner.get("stderr") == nullptr);
  BOOST_TEST(inner.get("warn") == nullptr);
  BOOST_TEST(outer.out() == "Hello");  // went through to the outer trap
  BOOST_TEST(outer.err() == "Hi!\n");
}

BOOST_AUTO_TEST_CASE(mixed_order_traps_the_same) {
  auto r = trap::trap(":raw:warn:stderr:stdout:exit:die", hello_warn_exit);
  BOOST_TEST(r.exit_code() == 1);
  BOOST_TEST(r.out() == "Hello");
  BOOST_TEST(r.err() == "Hi!\n");
  BOOST_TEST(r.warn() == std::vector<std::string>{"Hi!\n"});
}

BOOST_AUTO_TEST_CASE(warn_without_stderr_tees_through) {
  trap::Trap inner;
  auto outer = trap::trap([&] { inner = trap::trap(":flow:warn", hello_warn_exit); });
  BOOST_TEST(inner.exit_code() == 1);
  BOOST_TEST(inner.get("stdout") == nullptr);
  BOOST_TEST(inner.get("stderr") == nullptr);
  BOOST_TEST(inner.warn() == std::vector<std::string>{"Hi!\n"});
  BOOST_TEST(outer.out() == "Hello");
  BOOST_TEST(outer.err() == "Hi!\n");
}

// Perl's warn layer sets $self->{warn} when it begins: under two warn
// layers (`use Test::Trap qw(:warn)` pushes one on default's), the inner
// one's warnings are the trap's, and the outer one, which sees none, leaves
// them. The same when a fork layer lies between the two (the inner one
// runs in the child).
BOOST_AUTO_TEST_CASE(under_two_warn_layers_the_inner_ones_warnings_are_the_traps) {
  for (const char* spec : {":warn", ":stderr:warn", ":flow:warn:warn", ":flow:warn:stderr:warn",
                           ":warn:fork", ":fork:warn", ":flow:warn:fork:warn"}) {
    BOOST_TEST_CONTEXT(spec) {
      trap::Trap inner;
      auto outer = trap::trap(":flow:stderr", [&] {
        inner = trap::trap(spec, [] {
          std::clog << "first\n";
          trap::warn("second\n");
        });
      });
      BOOST_TEST(inner.warn() == (std::vector<std::string>{"first\n", "second\n"}));
      // Teed once, by the inner layer: into the trap's stderr layer, or on.
      BOOST_TEST(inner.err() + outer.err() == "first\nsecond\n");
    }
  }
}

BOOST_AUTO_TEST_CASE(spec_accepts_whitespace_and_template_argument) {
  auto r = trap::trap("flow stdout", [] { std::cout << "x"; });
  BOOST_TEST(r.out() == "x");
  BOOST_TEST(!r.has("stderr"));
  auto s = trap::trap<":flow:stderr">([] {
    std::cerr << "y";
    throw std::runtime_error("boom");
  });
  BOOST_TEST(s.err() == "y");
  BOOST_TEST(!s.has("stdout"));
  BOOST_TEST(s.die() == "boom");
}

BOOST_AUTO_TEST_CASE(output_sets_the_strategy_of_layers_below_it) {
  // stderr sits below output(tempfile): a child process's stderr is not
  // trapped; stdout sits above it and uses dup2: a child's stdout is.
  trap::Trap inner;
  auto outer = trap::trap([&] {
    inner = trap::trap(":flow:stderr:output(tempfile):stdout", [] {
      std::fflush(nullptr);
      BOOST_TEST_REQUIRE(std::system("echo to-stdout; echo to-stderr >&2") == 0);
      std::cerr << "cerr";
    });
  });
  BOOST_TEST(inner.out() == "to-stdout\n");
  BOOST_TEST(inner.err() == "cerr");
  BOOST_TEST(outer.err() == "to-stderr\n");
}

BOOST_AUTO_TEST_CASE(output_applies_to_the_default_layers) {
  auto r = trap::trap(":output(memory)", [] {
    std::cout << "cout";
    std::fputs("stdio", stdout);
    std::fflush(stdout);
  });
  BOOST_TEST(r.out() == "cout");  // memory sees only the iostreams
  auto bad = [] { trap::trap(":output(nope;none)", [] {}); };
  BOOST_CHECK_EXCEPTION(bad(), trap::UsageError, [](const trap::UsageError& e) {
    return std::string(e.what()) == "No capture strategy found for \"nope\", \"none\"";
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(die_layer)

BOOST_AUTO_TEST_CASE(std_exceptions) {
  auto r = trap::trap([] { throw std::invalid_argument("bad arg"); });
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die() == "bad arg");
  BOOST_TEST(r.die_type() == "std::invalid_argument");
  BOOST_TEST(static_cast<bool>(r.exception()));
  BOOST_CHECK_THROW(std::rethrow_exception(r.exception()), std::invalid_argument);
  BOOST_TEST(r.get("return") == nullptr);
}

struct Custom {
  int code;
};

BOOST_AUTO_TEST_CASE(non_std_exceptions) {
  BOOST_TEST(trap::trap([] { throw std::string("text"); }).die() == "text");
  BOOST_TEST(trap::trap([] { throw "literal"; }).die() == "literal");
  BOOST_TEST(trap::trap([] { throw 42; }).die() == "42");
  auto r = trap::trap([] { throw Custom{3}; });
  BOOST_TEST(r.did_die());
  BOOST_TEST(r.die_type() == "die_layer::Custom");
  BOOST_TEST(r.die().find("Custom") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(return_values) {
  BOOST_TEST(trap::trap([] { return std::string("s"); }).return_value<std::string>() == "s");
  BOOST_TEST(trap::trap([] { return 2.5; }).return_value<double>() == 2.5);
  BOOST_TEST(trap::trap([] {
               return std::vector<int>{1, 2};
             }).return_value<std::vector<int>>() == (std::vector<int>{1, 2}));
  auto v = trap::trap([] {});
  BOOST_TEST(v.did_return());
  BOOST_TEST(v.has("return"));
  BOOST_TEST(v.get("return")->is_null());
  auto d = trap::trap([] { throw 1; });
  BOOST_CHECK_THROW(d.return_value<int>(), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(exit_layer)

BOOST_AUTO_TEST_CASE(exit_std_exit_and_quick_exit_are_trapped) {
  BOOST_TEST(trap::trap([] { exit(3); }).exit_code() == 3);
  BOOST_TEST(trap::trap([] { std::exit(0); }).exit_code() == 0);
  BOOST_TEST(trap::trap([] { std::quick_exit(5); }).exit_code() == 5);
  auto r = trap::trap([] { std::exit(EXIT_FAILURE); });
  BOOST_TEST(r.did_exit());
  BOOST_TEST(r.get("return") == nullptr);
  BOOST_TEST(r.get("die") == nullptr);
}

BOOST_AUTO_TEST_CASE(exit_deep_in_the_call_stack) {
  std::function<void(int)> dive = [&](int n) {
    if (n == 0) std::exit(9);
    dive(n - 1);
  };
  auto r = trap::trap([&] { dive(50); });
  BOOST_TEST(r.exit_code() == 9);
}

BOOST_AUTO_TEST_CASE(nested_traps_each_trap_their_own_exit) {
  trap::Trap inner;
  auto outer = trap::trap([&] {
    inner = trap::trap([] { std::exit(1); });
    std::cout << "after inner";
    std::exit(2);
  });
  BOOST_TEST(inner.exit_code() == 1);
  BOOST_TEST(outer.exit_code() == 2);
  BOOST_TEST(outer.out() == "after inner");
}

BOOST_AUTO_TEST_CASE(exit_through_a_trap_without_exit_layer) {
  // The inner trap has no exit layer: the outer one takes the exit, and the
  // inner one's capture is undone on the way.
  auto before = test_support::identity(1);
  auto outer = trap::trap([] {
    trap::trap(":raw:stdout(pipe)", [] {
      std::cout << "inner output";
      std::exit(4);
    });
    std::cout << "not reached";
  });
  BOOST_TEST(outer.exit_code() == 4);
  BOOST_TEST(outer.out() == "");
  BOOST_TEST((test_support::identity(1) == before));
  auto next = trap::trap([] { std::cout << "next"; });
  BOOST_TEST(next.out() == "next");
}

BOOST_AUTO_TEST_CASE(atexit_handlers_do_not_run_for_a_trapped_exit) {
  auto child = in_child([] {
    std::atexit([] { std::fputs("atexit ran\n", stdout); });
    auto r = trap::trap([] { std::exit(7); });
    std::printf("trapped %d\n", *r.exit_code());
    std::fflush(stdout);
    std::exit(0);  // untrapped: the handler runs now, once
  });
  BOOST_TEST(child.exited(0));
  BOOST_TEST(child.out == "trapped 7\natexit ran\n");
}

BOOST_AUTO_TEST_CASE(exit_outside_a_trap_exits) {
  auto child = in_child([] {
    trap::trap([] {});  // the library is in use
    std::exit(42);
  });
  BOOST_TEST(child.exited(42));
}

BOOST_AUTO_TEST_CASE(a_forked_childs_exit_really_exits_the_child) {
  int status = -1;
  auto r = trap::trap([&] {
    pid_t pid = ::fork();
    if (pid == 0) std::exit(3);  // must not jump into the parent's trap
    ::waitpid(pid, &status, 0);
    return 1;
  });
  BOOST_TEST(r.did_return());
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 3);
}

BOOST_AUTO_TEST_CASE(exit_on_another_thread_is_a_real_exit) {
  auto child = in_child([] {
    trap::trap([] { std::thread([] { std::exit(6); }).join(); });
    std::_Exit(0);
  });
  BOOST_TEST(child.exited(6));
}

BOOST_AUTO_TEST_CASE(exit_with_active_capture_restores_descriptors_first) {
  // A trap without exit layer: the real exit happens, and output written
  // after it (atexit) reaches the real stdout, not the dead capture.
  auto child = in_child([] {
    std::atexit([] { std::fputs("after exit\n", stdout); });
    trap::trap(":raw:stdout", [] { std::exit(5); });
  });
  BOOST_TEST(child.exited(5));
  BOOST_TEST(child.out == "after exit\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(warn_layer)

BOOST_AUTO_TEST_CASE(each_line_and_each_warn_call_is_an_element) {
  auto r = trap::trap([] {
    std::clog << "one\n"
              << "two\n";
    trap::warn("multi\nline\n");
    std::clog << "unterminated";
  });
  BOOST_TEST(r.warn() ==
             (std::vector<std::string>{"one\n", "two\n", "multi\nline\n", "unterminated"}));
  BOOST_TEST(r.err() == "one\ntwo\nmulti\nline\nunterminated");
}

BOOST_AUTO_TEST_CASE(warn_without_newline_gets_the_location) {
  const int line = __LINE__ + 1;
  auto r = trap::trap([] { trap::warn("careful"); });
  BOOST_TEST(r.warn().at(0) ==
             "careful at " + std::string(__FILE__) + " line " + std::to_string(line) + ".\n");
}

BOOST_AUTO_TEST_CASE(warn_with_closed_stderr) {
  // From t/03-files.pl: the warning is trapped even when STDERR is closed
  // inside the trap; nothing reaches stderr.
  auto r = trap::trap([] {
    ::close(2);
    trap::warn("Testing stderr trapping\n");
    return 5;
  });
  BOOST_TEST(r.warn() == std::vector<std::string>{"Testing stderr trapping\n"});
  BOOST_TEST(r.err() == "");
  BOOST_TEST(r.return_value<int>() == 5);
  BOOST_TEST(test_support::is_open_fd(2));
  std::cerr << "";  // std::cerr is still usable
  BOOST_TEST(std::cerr.good());
}

BOOST_AUTO_TEST_CASE(warn_outside_a_trap_with_closed_stderr_loses_only_that_warning) {
  // Perl's warn with STDERR closed prints nothing, and the next warning,
  // once STDERR is open again, is printed. A failed write must not leave
  // std::clog failed: that would drop every later warning, and the
  // program's own std::clog output, for good.
  test_support::StderrAside aside;
  aside.close();
  trap::warn("lost: descriptor 2 is closed\n");
  aside.to_file();
  trap::warn("printed\n");
  std::clog << "the program's own" << std::endl;
  const bool clog_good = std::clog.good();
  aside.restore();
  BOOST_TEST(aside.text() == "printed\nthe program's own\n");
  BOOST_TEST(clog_good);
}

BOOST_AUTO_TEST_CASE(warn_keeps_a_stream_the_program_silenced) {
  // std::clog set failed on purpose (a common way to silence it) stays so.
  std::clog.setstate(std::ios_base::badbit);
  trap::warn("not printed\n");
  const bool still_bad = std::clog.bad();
  std::clog.clear();
  BOOST_TEST(still_bad);
}

BOOST_AUTO_TEST_CASE(inner_trap_takes_its_own_warnings) {
  trap::Trap inner;
  auto outer = trap::trap([&] {
    inner = trap::trap([] {
      trap::warn("Testing stderr trapping\n");
      return 5;
    });
    return 5;
  });
  BOOST_TEST(outer.warn().empty());
  BOOST_TEST(outer.err() == "");
  BOOST_TEST(inner.warn() == std::vector<std::string>{"Testing stderr trapping\n"});
  BOOST_TEST(inner.err() == "Testing stderr trapping\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(reentrant_traps) {
  // t/02-reentrant.t: inside the outer trap, last() is the inner trap once
  // it has sprung; the outer trap returns it.
  auto outer = trap::trap([] {
    trap::trap([] { std::exit(0); });
    if (trap::last().leaveby() != "exit") throw std::logic_error("not the inner trap");
    return trap::last();
  });
  BOOST_TEST(outer.leaveby() == "return");
  auto inner = outer.return_value<trap::Trap>();
  BOOST_TEST(inner.leaveby() == "exit");
  BOOST_TEST(inner.exit_code() == 0);
  BOOST_TEST(inner.get("return") == nullptr);
  BOOST_TEST(trap::last().leaveby() == "return");  // the outer one now
}

BOOST_AUTO_TEST_CASE(last_is_the_latest_trap_on_this_thread) {
  trap::trap([] { return 1; });
  auto r = trap::trap([] { return 2; });
  BOOST_TEST(trap::last().return_value<int>() == 2);
  std::string fresh;
  int latest = 0;
  std::thread([&] {
    fresh = trap::last().leaveby();
    trap::trap([] { return 3; });
    latest = trap::last().return_value<int>();
  }).join();
  BOOST_TEST(fresh == "");
  BOOST_TEST(latest == 3);
  BOOST_TEST(trap::last().return_value<int>() == 2);
}
