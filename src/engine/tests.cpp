// SPDX-License-Identifier: BSL-1.0
// The standard tests (ok, nok, is, isnt, like, unlike, is_deeply) and
// methods (quiet, diag_all, diag_all_once) of trap::standard().
#include <algorithm>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "engine/compare.hpp"
#include "engine/result.hpp"
#include "engine/state.hpp"
#include "report/text_diff.hpp"

namespace trap {
namespace detail {
namespace {

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

bool test_is(Trap& self, std::span<const Value> a) {
  require_same_kind(a[0], a[1], self.test_accessor());
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
  require_same_kind(a[0], a[1], self.test_accessor());
  bool ok = !(a[0] == a[1]);
  if (!ok) {
    self.diag("         got: " + a[0].str());
    self.diag("    expected: anything else");
  }
  return ok;
}

bool regex_test(Trap& self, std::span<const Value> a, bool want) {
  std::string pattern = plain_text(a[1]);
  bool ok = !a[0].is_null() && regex_matches(pattern, plain_text(a[0])) == want;
  if (!ok) {
    self.diag("                  " + truncated(a[0]));
    self.diag(std::string(want ? "    doesn't match" : "          matches") + " /" + pattern + "/");
  }
  return ok;
}

bool test_is_deeply(Trap& self, std::span<const Value> a) {
  std::vector<std::string> out;
  bool ok = deep_diff(
      a[0], a[1], self.test_accessor(), "", [](const Value& v) { return v.str(); }, out);
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
  // Without a name, the call names the test.
  const bool named = !args.empty() && !plain_text(args[0]).empty();
  return report_test(self, ok, named ? args[0] : Value("quiet"), std::move(fails), where);
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
