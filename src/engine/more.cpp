// SPDX-License-Identifier: BSL-1.0
// Test::More's plain assertions (include/trap/more.hpp): one result each,
// sent like a test method's, with Test::More's diagnostics to the letter.
#include <array>
#include <cmath>

#include <trap/more.hpp>

#include "engine/compare.hpp"
#include "engine/result.hpp"
#include "engine/state.hpp"

namespace trap {
namespace detail {
namespace {

// A value as Test::More quotes it: 'text' (a number as its digits), or
// undef. (Strings here are appended to, not built as `"'" + text`: GCC 12
// at -O3 warns -Wrestrict inside std::string for a literal prepended to a
// temporary.)
std::string perl_quoted(const Value& v) {
  if (v.is_null()) return "undef";
  std::string quoted = "'";
  quoted += plain_text(v);
  quoted += '\'';
  return quoted;
}

bool report(bool ok, std::string_view name, std::vector<std::string> diagnostics,
            trap::source_location where) {
  ErrnoGuard errno_guard;
  send_result(ok, Value(name), ok ? std::vector<std::string>{} : std::move(diagnostics), where);
  return ok;
}

// Test::Builder's _is_diag: "got: ..." over "expected: ...".
std::vector<std::string> is_diag(const std::string& got, const std::string& expected) {
  return {"         got: " + got, "    expected: " + expected};
}

// A number for a numeric operator, as Perl numifies: a number, or a
// string that is one ("42" the integer 42, shown as 42).
Value numeric(const Value& v, std::string_view op) {
  if (v.is_number()) return v;
  if (v.is_string()) {
    try {
      const double d = v.as<double>();
      if (std::trunc(d) == d && std::fabs(d) < 0x1p63) return Value(static_cast<std::int64_t>(d));
      return Value(d);
    } catch (const UsageError&) {
      // not a number: said below
    }
  }
  throw UsageError("cmp_ok: " + std::string(op) + " compares numbers, and " + v.str() +
                   " is not one");
}

// -1, 0 or 1, as Perl's <=> gives it (exact for two integers).
int spaceship(const Value& a, const Value& b) {
  if (a.is_integer() && b.is_integer()) {
    const auto x = a.as<std::int64_t>(), y = b.as<std::int64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const double x = a.as<double>(), y = b.as<double>();
  return x < y ? -1 : x > y ? 1 : 0;
}

struct Operator {
  std::string_view numeric, text;
  bool (*holds)(int order);
};

constexpr std::array<Operator, 6> kOperators{{
    {"==", "eq", [](int o) { return o == 0; }},
    {"!=", "ne", [](int o) { return o != 0; }},
    {"<", "lt", [](int o) { return o < 0; }},
    {"<=", "le", [](int o) { return o <= 0; }},
    {">", "gt", [](int o) { return o > 0; }},
    {">=", "ge", [](int o) { return o >= 0; }},
}};

[[noreturn]] void unknown_operator(std::string_view op) {
  std::string known;
  for (const auto& o : kOperators) {
    if (!known.empty()) known += ' ';
    known += o.numeric;
  }
  for (const auto& o : kOperators) (known += ' ') += o.text;
  std::string message = "cmp_ok: unknown operator \"";
  message.append(op).append("\"; the operators are ").append(known);
  throw UsageError(message);
}

// Test::Builder's diagnostics of a failed cmp_ok: is's for == and eq,
// isnt's for != and ne, the three-line form for the others.
std::vector<std::string> cmp_diag(const Operator& o, const std::string& got, std::string_view op,
                                  const std::string& expected) {
  if (o.numeric == "==") return is_diag(got, expected);
  if (o.numeric == "!=") return is_diag(got, "anything else");
  return {"    " + got, "        " + std::string(op), "    " + expected};
}

bool regex_ok(const Value& got, std::string_view pattern, bool want, std::string_view name,
              trap::source_location where) {
  const std::string re(pattern);
  const bool ok = regex_matches(re, plain_text(got)) == want;
  return report(
      ok, name,
      {"                  " + perl_quoted(got),
       std::string(want ? "    doesn't match" : "          matches") + " '(?^:" + re + ")'"},
      where);
}

}  // namespace
}  // namespace detail

bool ok(bool test, std::string_view name, trap::source_location where) {
  return detail::report(test, name, {}, where);
}

bool is(const Expected& got, const Expected& expected, std::string_view name,
        trap::source_location where) {
  const Value &g = got.value(), &e = expected.value();
  detail::require_same_kind(g, e, "is()");
  return detail::report(g == e, name,
                        detail::is_diag(detail::perl_quoted(g), detail::perl_quoted(e)), where);
}

bool isnt(const Expected& got, const Expected& expected, std::string_view name,
          trap::source_location where) {
  const Value &g = got.value(), &e = expected.value();
  detail::require_same_kind(g, e, "isnt()");
  return detail::report(!(g == e), name, detail::is_diag(detail::perl_quoted(g), "anything else"),
                        where);
}

bool like(const Expected& got, std::string_view pattern, std::string_view name,
          trap::source_location where) {
  return detail::regex_ok(got.value(), pattern, true, name, where);
}

bool unlike(const Expected& got, std::string_view pattern, std::string_view name,
            trap::source_location where) {
  return detail::regex_ok(got.value(), pattern, false, name, where);
}

bool is_deeply(const Expected& got, const Expected& expected, std::string_view name,
               trap::source_location where) {
  const Value &g = got.value(), &e = expected.value();
  // Two scalars: Test::More says it as `is` does.
  if (!g.is_array() || !e.is_array()) {
    detail::require_same_kind(g, e, "$got");
    return detail::report(g == e, name,
                          detail::is_diag(detail::perl_quoted(g), detail::perl_quoted(e)), where);
  }
  std::vector<std::string> out;
  const bool ok = detail::deep_diff(g, e, "$got", "", detail::perl_quoted, out);
  return detail::report(ok, name, std::move(out), where);
}

bool cmp_ok(const Expected& got, std::string_view op, const Expected& expected,
            std::string_view name, trap::source_location where) {
  using namespace detail;
  for (const Operator& o : kOperators) {
    if (op != o.numeric && op != o.text) continue;
    const Value &g = got.value(), &e = expected.value();
    // Test::Builder shows == and != operands numified, the others as given.
    const bool numified = o.numeric == "==" || o.numeric == "!=";
    if (op == o.numeric) {
      const Value gn = numeric(g, op), en = numeric(e, op);
      return report(o.holds(spaceship(gn, en)), name,
                    cmp_diag(o, numified ? plain_text(gn) : perl_quoted(g), op,
                             numified ? plain_text(en) : perl_quoted(e)),
                    where);
    }
    return report(o.holds(plain_text(g).compare(plain_text(e))), name,
                  cmp_diag(o, perl_quoted(g), op, perl_quoted(e)), where);
  }
  unknown_operator(op);
}

bool pass(std::string_view name, trap::source_location where) {
  return detail::report(true, name, {}, where);
}

bool fail(std::string_view name, trap::source_location where) {
  return detail::report(false, name, {}, where);
}

}  // namespace trap
