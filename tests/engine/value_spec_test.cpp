// SPDX-License-Identifier: BSL-1.0
// trap::Value and the layer spec grammar.
#define BOOST_TEST_MODULE value_spec
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "engine/spec.hpp"
#include "support/test_support.hpp"

namespace {
struct Point {
  int x, y;
  bool operator==(const Point&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Point& p) {
  return os << "Point(" << p.x << ", " << p.y << ")";
}
struct Opaque {
  int v;
};

// The message a compile-time check throws when evaluated at run time.
template <class F>
std::string compile_time_error(F check) {
  try {
    check();
  } catch (const char* message) {
    return message;
  }
  return "(no error)";
}

std::string usage_error(const std::string& spec) {
  try {
    trap::trap(spec, [] {});
  } catch (const trap::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(value)

BOOST_AUTO_TEST_CASE(kinds_and_rendering) {
  BOOST_TEST(trap::Value().is_null());
  BOOST_TEST(trap::Value().str() == "undef");
  BOOST_TEST(trap::Value(true).str() == "true");
  BOOST_TEST(trap::Value(42).str() == "42");
  BOOST_TEST(trap::Value(2.5).str() == "2.5");
  BOOST_TEST(trap::Value("a\"b\n\t\x7f").str() == "\"a\\\"b\\n\\t\\x7F\"");
  BOOST_TEST(trap::Value(trap::Array{1, "x"}).str() == "[1, \"x\"]");
  BOOST_TEST(trap::Value::from(Point{1, 2}).str() == "Point(1, 2)");
  BOOST_TEST(trap::Value::from(Opaque{1}).str().find("Opaque object") != std::string::npos);
  BOOST_TEST(trap::Value(static_cast<const char*>(nullptr)).is_null());
}

BOOST_AUTO_TEST_CASE(equality_compares_like_with_like) {
  BOOST_TEST(trap::Value(1) == trap::Value(1.0));
  BOOST_TEST(!(trap::Value(1) == trap::Value("1")));
  BOOST_TEST(!(trap::Value(1) == trap::Value("1.0")));
  BOOST_TEST(!(trap::Value() == trap::Value("")));
  BOOST_TEST(trap::Value() == trap::Value());
  BOOST_TEST(!(trap::Value(true) == trap::Value(1)));
  BOOST_TEST(trap::Value(trap::Array{1, 2}) == trap::Value(trap::Array{1.0, 2}));
  BOOST_TEST(!(trap::Value(trap::Array{1, 2}) == trap::Value(trap::Array{1.0, "2"})));
  BOOST_TEST(!(trap::Value(trap::Array{1}) == trap::Value("1")));
  BOOST_TEST(trap::Value::from(Point{1, 2}) == trap::Value::from(Point{1, 2}));
  BOOST_TEST(!(trap::Value::from(Point{1, 2}) == trap::Value::from(Point{2, 1})));
}

BOOST_AUTO_TEST_CASE(truth_is_perls) {
  BOOST_TEST(!trap::Value().truthy());
  BOOST_TEST(!trap::Value("").truthy());
  BOOST_TEST(!trap::Value("0").truthy());
  BOOST_TEST(!trap::Value(0).truthy());
  BOOST_TEST(trap::Value("00").truthy());
  BOOST_TEST(trap::Value(trap::Array{}).truthy());
}

BOOST_AUTO_TEST_CASE(conversions) {
  BOOST_TEST(trap::Value(42).as<int>() == 42);
  BOOST_TEST(trap::Value(42).as<double>() == 42.0);
  BOOST_TEST(trap::Value("s").as<std::string>() == "s");
  BOOST_TEST(trap::Value::from(std::optional<int>()).is_null());
  BOOST_TEST(trap::Value::from(std::optional<int>(3)).as<std::optional<int>>() == 3);
  BOOST_TEST(trap::Value::from(Point{1, 2}).as<Point>().y == 2);
  BOOST_CHECK_THROW(trap::Value("s").as<int>(), trap::UsageError);
  BOOST_CHECK_THROW(trap::Value(1).as<std::string>(), trap::UsageError);
  BOOST_CHECK_THROW(trap::Value::from(Point{1, 2}).as<Opaque>(), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(spec)

BOOST_AUTO_TEST_CASE(unknown_layer_names_the_element) {
  BOOST_TEST(usage_error(":stdot") == "Unknown trap layer \"stdot\"");
  BOOST_TEST(usage_error(":flow:stdot(pipe)") == "Unknown trap layer \"stdot(pipe)\"");
}

BOOST_AUTO_TEST_CASE(unknown_strategy) {
  BOOST_TEST(usage_error(":stdout(a;b)") == "No capture strategy found for \"a\", \"b\"");
  BOOST_TEST(usage_error(":stderr(a)") == "No capture strategy found for \"a\"");
}

BOOST_AUTO_TEST_CASE(malformed_specs_name_the_position) {
  BOOST_TEST(usage_error(":stdout(pipe") ==
             "Malformed layer spec \":stdout(pipe\": unclosed \"(\" at position 7");
  BOOST_TEST(usage_error(":flow::stderr") ==
             "Malformed layer spec \":flow::stderr\": empty layer name at position 6");
  BOOST_TEST(usage_error(":flow:pipe)") ==
             "Malformed layer spec \":flow:pipe)\": \")\" without \"(\" at position 10");
  BOOST_TEST(usage_error(":(pipe)") ==
             "Malformed layer spec \":(pipe)\": \"(\" without a layer name at position 1");
  BOOST_TEST(usage_error(":stdout(a(b))") ==
             "Malformed layer spec \":stdout(a(b))\": nested \"(\" at position 9");
  BOOST_TEST(
      usage_error(":stdout(pipe)x") ==
      "Malformed layer spec \":stdout(pipe)x\": unexpected \"x\" after \")\" at position 13");
}

BOOST_AUTO_TEST_CASE(lenient_where_perl_is) {
  BOOST_TEST(usage_error("") == "(no error)");
  BOOST_TEST(usage_error("flow") == "(no error)");
  BOOST_TEST(usage_error(":flow:") == "(no error)");
  BOOST_TEST(usage_error("  :flow   stdout  ") == "(no error)");
}

BOOST_AUTO_TEST_CASE(white_space_separates_as_well_as_colons) {
  using V = std::vector<std::string>;
  BOOST_TEST(trap::detail::split_spec(" \v:flow\r\fstdout(pipe;tee)\n") ==
             (V{"flow", "stdout(pipe;tee)"}));
  BOOST_TEST(trap::detail::split_spec("stderr(a b):\twarn") == (V{"stderr(a b)", "warn"}));
  BOOST_TEST(usage_error(": :flow") ==
             "Malformed layer spec \": :flow\": empty layer name at position 2");
  BOOST_TEST(usage_error("flow stdout (pipe)") ==
             "Malformed layer spec \"flow stdout (pipe)\": \"(\" without a layer name at "
             "position 12");
}

BOOST_AUTO_TEST_CASE(one_element_at_a_time) {
  auto e = trap::detail::parse_element("stderr(tempfile)");
  BOOST_TEST(e.name == "stderr");
  BOOST_TEST(e.arg == "tempfile");
  BOOST_TEST(trap::detail::parse_element("flow").name == "flow");
  BOOST_TEST(trap::detail::parse_element("flow stdout").name.empty());
  BOOST_TEST(trap::detail::parse_element(":flow").name.empty());
  BOOST_TEST(trap::detail::parse_element("a(b)c").name.empty());
}

// The compile-time checks read a spec as the run-time parser does: white
// space separates layers there too (trap<"flow fork"> is checked as a fork).
BOOST_AUTO_TEST_CASE(compile_time_checks_share_the_grammar) {
  using trap::detail::spec_names_layer;
  constexpr bool spaced = spec_names_layer("flow fork", "fork");
  constexpr bool tabbed = spec_names_layer(":flow\t\tfork(exec)", "fork");
  constexpr bool line = spec_names_layer(" \nflow\r\nfork ", "fork");
  constexpr bool in_argument = spec_names_layer(":forked:stdout(fork)", "fork");
  BOOST_TEST(spaced);
  BOOST_TEST(tabbed);
  BOOST_TEST(line);
  BOOST_TEST(!in_argument);
  constexpr bool checked = trap::detail::builtin_layer_arguments_ok("flow  timeout(5)\tfork");
  BOOST_TEST(checked);
  BOOST_TEST(compile_time_error([] { trap::detail::builtin_layer_arguments_ok("flow fork(x)"); }) ==
             "trap: the fork layer takes no argument or \"exec\"");
  BOOST_TEST(compile_time_error([] { trap::detail::check_spec_syntax("flow stdout (pipe)"); }) ==
             "trap: malformed layer spec: \"(\" without a layer name");
  BOOST_TEST(compile_time_error([] { trap::detail::check_spec_syntax("stdout(pipe)x"); }) ==
             "trap: malformed layer spec: a \")\" must be followed by ':', white space or the "
             "end");
  BOOST_TEST(compile_time_error([] { trap::detail::check_spec_syntax(":flow: :stderr"); }) ==
             "trap: malformed layer spec: empty layer name (two ':' with no name between)");
  auto r = trap::trap<" flow\tstderr ">([]() -> int { throw std::runtime_error("boom"); });
  BOOST_TEST(r.leaveby() == "die");
}

BOOST_AUTO_TEST_CASE(layer_names_a_spec_cannot_name_are_refused) {
  static trap::Trapper t("TT::layer_names", &trap::standard());
  auto& B = trap::Builder::instance();
  auto noop = [](trap::Trap& self, std::string_view) { self.next(); };
  for (std::string bad : {"", "a b", "a:b", "a(b", "a)b", "a\rb", "a\vb", "a\fb"})
    BOOST_CHECK_THROW(B.layer(t, bad, noop), trap::UsageError);
  B.layer(t, "a.b-c", noop);
  BOOST_TEST(t.has_layer("a.b-c"));
}

BOOST_AUTO_TEST_CASE(bad_spec_leaves_no_trace) {
  auto before = trap::last().leaveby();
  BOOST_CHECK_THROW(trap::trap(":nope", [] {}), trap::UsageError);
  BOOST_TEST(trap::last().leaveby() == before);
}

BOOST_AUTO_TEST_SUITE_END()
