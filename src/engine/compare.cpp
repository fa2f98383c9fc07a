// SPDX-License-Identifier: BSL-1.0
// Comparisons shared by the standard tests and the plain assertions.
#include "engine/compare.hpp"

#include <algorithm>

#include <boost/regex.hpp>

#include <trap/errors.hpp>

namespace trap::detail {
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

// A kind and a value, for the message of a comparison that cannot be made.
std::string described(const Value& v) {
  if (v.is_array()) return "an array";
  return v.type_name() + " " + truncated(v);
}

void differing_at(const std::string& path, const std::string& got, const std::string& want,
                  std::vector<std::string>& out) {
  out.push_back("    Structures begin differing at:");
  out.push_back("         $got" + path + " = " + got);
  out.push_back("    $expected" + path + " = " + want);
}

}  // namespace

std::string truncated(const Value& v) {
  std::string s = v.str();
  constexpr std::size_t kMax = 1000;
  if (s.size() > kMax) s = s.substr(0, kMax) + "... (" + std::to_string(s.size()) + " bytes)";
  return s;
}

bool regex_matches(const std::string& pattern, const std::string& subject) {
  boost::regex re;
  try {
    re.assign(perl_dollars(pattern),
              boost::regex::perl | boost::regex::no_mod_m | boost::regex::no_mod_s);
  } catch (const boost::regex_error& e) {
    throw UsageError("Invalid regular expression \"" + pattern + "\": " + e.what());
  }
  return boost::regex_search(subject, re);
}

// is, isnt and is_deeply compare like with like: a comparison of different
// kinds is the caller's mistake, not a failure (nor, for isnt, a pass).
void require_same_kind(const Value& got, const Value& want, const std::string& where) {
  if (got.is_null() || want.is_null() || Value::same_kind(got, want)) return;
  throw UsageError("Cannot compare " + described(got) + " in " + where + " with " +
                   described(want) +
                   ": values of different kinds are never equal (a bool compares with a "
                   "bool, a number with a number, a string with a string, any other type "
                   "with the same type)");
}

bool deep_diff(const Value& got, const Value& want, const std::string& where,
               const std::string& path, Rendering render, std::vector<std::string>& out) {
  if (got.is_array() && want.is_array()) {
    auto& g = got.array();
    auto& w = want.array();
    for (std::size_t i = 0; i < std::max(g.size(), w.size()); ++i) {
      // Perl's arrow only after the top: $got->[1][0].
      std::string p = path + (path.empty() ? "->[" : "[") + std::to_string(i) + "]";
      if (i >= g.size() || i >= w.size()) {
        differing_at(p, i < g.size() ? render(g[i]) : "Does not exist",
                     i < w.size() ? render(w[i]) : "Does not exist", out);
        return false;
      }
      if (!deep_diff(g[i], w[i], where, p, render, out)) return false;
    }
    return true;
  }
  require_same_kind(got, want, where + path);
  if (got == want) return true;
  differing_at(path, render(got), render(want), out);
  return false;
}

}  // namespace trap::detail
