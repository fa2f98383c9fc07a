// SPDX-License-Identifier: BSL-1.0
// Subtest filters in GoogleTest's syntax (POSITIVE[-NEGATIVE], each a list
// of globs separated by ':'), with backslash escapes so that any name can
// be selected exactly.
#include <string>
#include <string_view>

#include <trap/errors.hpp>

#include "report/selection.hpp"

namespace trap::detail {

SubtestFilter::SubtestFilter(std::string_view text, std::string source)
    : text_(text), source_(std::move(source)) {
  Pattern current;
  bool negative = false;
  auto close = [&] {
    if (!current.empty()) (negative ? negative_ : positive_).push_back(std::move(current));
    current.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (++i == text.size())
        throw UsageError(describe() + " ends with a lone backslash (write \\\\ for one)");
      current.push_back({text[i], false});
    } else if (c == ':') {
      close();
    } else if (c == '-' && !negative) {
      close();
      negative = true;
    } else {
      current.push_back({c, c == '*' || c == '?'});
    }
  }
  close();
}

bool SubtestFilter::matches(std::string_view name) const {
  bool wanted = positive_.empty();
  for (auto& p : positive_) wanted = wanted || match(p, name);
  if (!wanted) return false;
  for (auto& p : negative_)
    if (match(p, name)) return false;
  return true;
}

std::string SubtestFilter::describe() const { return source_ + "=\"" + text_ + "\""; }

// Glob matching with backtracking to the last '*' only: linear in practice,
// never exponential.
bool SubtestFilter::match(const Pattern& p, std::string_view name) {
  std::size_t pi = 0, ni = 0;
  std::size_t star = std::string_view::npos, resume = 0;
  while (ni < name.size()) {
    if (pi < p.size() && p[pi].wild && p[pi].c == '*') {
      star = pi++;
      resume = ni;
    } else if (pi < p.size() && ((p[pi].wild && p[pi].c == '?') || p[pi].c == name[ni])) {
      ++pi;
      ++ni;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ni = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi].wild && p[pi].c == '*') ++pi;
  return pi == p.size();
}

std::string escape_for_filter(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::string_view("\\*?:-").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace trap::detail
