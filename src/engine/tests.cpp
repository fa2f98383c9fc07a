// SPDX-License-Identifier: BSL-1.0
// The standard tests (ok, nok, is, isnt, like, unlike, is_deeply) and
// methods (quiet, diag_all, diag_all_once) of trap::standard().
#include <algorithm>

#include <boost/regex.hpp>

#include <trap/trap.hpp>

#include "engine/result.hpp"
#include "engine/state.hpp"
#include "report/text_diff.hpp"

namespace trap {
namespace detail {
namespace {

// Perl's `$` (without /m) also matches before a final newline; Boost's
// matches only at the very end. Every bare `$` becomes "end, or before a
// final newline", which under (?m) still means what Perl's /m `$` means.
std::string perl_dollars(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == '$')
      out += "(?:$|(?=\\n\\z))";
    else
      out += c;
  }
  return out;
}

bool matches(const std::string& pattern, const std::string& subject) {
  boost::regex re;
  try {
    re.assign(perl_dollars(pattern),
              boost::regex::perl | boost::regex::no_mod_m | boost::regex::no_mod_s);
  } catch (const boost::regex_error& e) {
    throw UsageError("Invalid regular expression \"" + pattern + "\": " + e.what());
  }
  return boost::regex_search(subject, re);
}

std::string truncated(const Value& v) {
  std::string s = v.str();
  constexpr std::size_t kMax = 1000;
  if (s.size() > kMax) s = s.substr(0, kMax) + "... (" + std::to_string(s.size()) + " bytes)";
  return s;
}

bool test_ok(Trap& self, std::span<const Value> a) {
  bool ok = a[0].truthy();
  if (!ok)
    self.diag("    Expecting true value in " + self.test_accessor() + ", but got " + a[0].str() +
              " instead");
  return ok;
}

bool test_nok(Trap& self, std::span<const Value> a) {
  bool ok = !a[0].truthy();
  if (!ok)
    self.diag("    Expecting false value in " + self.test_accessor() + ", but got " + a[0].str() +
              " instead");
  return ok;
}

// A kind and a value, for the message of a comparison that cannot be made.
std::string described(const Value& v) {
  if (v.is_array()) return "an array";
  return v.type_name() + " " + truncated(v);
}

// is, isnt and is_deeply compare like with like: a comparison of different
// kinds is the caller's mistake, not a failure (nor, for isnt, a pass).
void require_same_kind(Trap& self, const Value& got, const Value& want,
                       const std::string& path = {}) {
  if (got.is_null() || want.is_null() || Value::same_kind(got, want)) return;
  throw UsageError("Cannot compare " + described(got) + " in " + self.test_accessor() + path +
                   " with " + described(want) +
                   ": values of different kinds are never equal (a bool compares with a "
                   "bool, a number with a number, a string with a string, any other type "
                   "with the same type)");
}

bool test_is(Trap& self, std::span<const Value> a) {
  require_same_kind(self, a[0], a[1]);
  bool ok = a[0] == a[1];
  if (ok) return true;
  self.diag("         got: " + truncated(a[0]));
  self.diag("    expected: " + truncated(a[1]));
  if (!a[0].is_string() || !a[1].is_string()) return false;
  // Long texts: show where they differ, not only what they are.
  const std::string& got = a[0].string();
  const std::string& want = a[1].string();
  auto multi_line = [](const std::string& t) {
    auto nl = t.find('\n');
    return nl != std::string::npos && nl + 1 < t.size();
  };
  if (multi_line(got) || multi_line(want)) {
    for (auto& line : unified_diff(want, got)) self.diag(line);
  } else if (got.size() > 60 || want.size() > 60) {
    for (auto& line : first_difference(got, want)) self.diag(line);
  }
  return false;
}

bool test_isnt(Trap& self, std::span<const Value> a) {
  require_same_kind(self, a[0], a[1]);
  bool ok = !(a[0] == a[1]);
  if (!ok) {
    self.diag("         got: " + a[0].str());
    self.diag("    expected: anything else");
  }
  return ok;
}

bool regex_test(Trap& self, std::span<const Value> a, bool want) {
  std::string pattern = plain_text(a[1]);
  bool ok = !a[0].is_null() && matches(pattern, plain_text(a[0])) == want;
  if (!ok) {
    self.diag("                  " + truncated(a[0]));
    self.diag(std::string(want ? "    doesn't match" : "          matches") + " /" + pattern + "/");
  }
  return ok;
}

// Where two structures first differ, as Test::More's is_deeply says it.
bool deep_diff(Trap& self, const Value& got, const Value& want, const std::string& path,
               std::vector<std::string>& out) {
  if (got.is_array() && want.is_array()) {
    auto& g = got.array();
    auto& w = want.array();
    for (std::size_t i = 0; i < std::max(g.size(), w.size()); ++i) {
      std::string p = path + "->[" + std::to_string(i) + "]";
      if (i >= g.size() || i >= w.size()) {
        out.push_back("    Structures begin differing at:");
        out.push_back("         $got" + p + " = " + (i < g.size() ? g[i].str() : "Does not exist"));
        out.push_back("    $expected" + p + " = " + (i < w.size() ? w[i].str() : "Does not exist"));
        return false;
      }
      if (!deep_diff(self, g[i], w[i], p, out)) return false;
    }
    return true;
  }
  require_same_kind(self, got, want, path);
  if (got == want) return true;
  out.push_back("    Structures begin differing at:");
  out.push_back("         $got" + path + " = " + got.str());
  out.push_back("    $expected" + path + " = " + want.str());
  return false;
}

bool test_is_deeply(Trap& self, std::span<const Value> a) {
  std::vector<std::string> out;
  bool ok = deep_diff(self, a[0], a[1], "", out);
  for (auto& line : out) self.diag(line);
  return ok;
}

// A Data::Dump-like dump of everything the trap recorded.
std::string dump_trap(const Trap& trap) {
  auto* st = Registry::state(trap);
  std::vector<std::pair<std::string, std::string>> rows;
  // Keys quoted as Data::Dump quotes them.
  for (auto& [k, v] : st->values) rows.emplace_back(Value(k).str(), v.str());
  if (!st->die_type.empty()) rows.emplace_back("\"die_type\"", Value(st->die_type).str());
  if (st->layer_names) {
    // The stack as it was asked for: `default`, then the spec, outermost last.
    Array names(st->layer_names->begin(), st->layer_names->end());
    rows.emplace_back("\"layers\"", Value(std::move(names)).str());
  }
  std::sort(rows.begin(), rows.end());
  std::size_t width = 0;
  for (auto& r : rows) width = std::max(width, r.first.size());
  std::string out = "bless({\n";
  for (auto& [k, v] : rows)
    out += "  " + k + std::string(width - k.size(), ' ') + " => " + v + ",\n";
  return out + "}, \"" + trap.trapper().name() + "\")";
}

bool method_quiet(Trap& self, std::span<const Value> args, trap::source_location where) {
  if (args.size() > 1) throw UsageError("quiet: takes at most a test name");
  std::vector<std::string> fails;
  for (auto [acc, label] : {std::pair{"stdout", "STDOUT"}, std::pair{"stderr", "STDERR"}}) {
    const Value* v = self.get(acc);
    std::string text = v ? plain_text(*v) : std::string();
    if (!text.empty())
      fails.push_back(std::string("Expecting no ") + label + ", but got " + Value(text).str());
  }
  bool ok = fails.empty();
  send_result(ok, args.empty() ? Value() : args[0], std::move(fails), where);
  if (!ok) self.test_failure();
  return ok;
}

bool method_diag_all(Trap& self, std::span<const Value>, trap::source_location where) {
  diag(dump_trap(self), where);
  return true;
}

bool method_diag_all_once(Trap& self, std::span<const Value>, trap::source_location where) {
  auto* st = Registry::state(self);
  diag(st->diag_all_done ? std::string("(as above)") : dump_trap(self), where);
  st->diag_all_done = true;
  return true;
}

}  // namespace

void register_standard_tests(Trapper& t) {
  auto& B = Builder::instance();
  B.test(t, "ok", "trap, element, name", test_ok);
  B.test(t, "nok", "trap, element, name", test_nok);
  B.test(t, "is", "element, predicate, name", test_is);
  B.test(t, "isnt", "element, predicate, name", test_isnt);
  B.test(t, "like", "element, predicate, name",
         [](Trap& s, std::span<const Value> a) { return regex_test(s, a, true); });
  B.test(t, "unlike", "element, predicate, name",
         [](Trap& s, std::span<const Value> a) { return regex_test(s, a, false); });
  B.test(t, "is_deeply", "entirety, predicate, name", test_is_deeply);
  B.method(t, "quiet", method_quiet);
  B.method(t, "diag_all", method_diag_all);
  B.method(t, "diag_all_once", method_diag_all_once);
}

}  // namespace detail
}  // namespace trap
