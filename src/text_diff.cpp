#include "text_diff.hpp"

#include <algorithm>

#include "state.hpp"

namespace trap::detail {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

struct Edit {
  char op;  // ' ', '-', '+'
  std::string_view line;
};

// The shortest edit script by longest common subsequence (texts here are
// small: a test's expected output).
std::vector<Edit> edits(const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<Edit> out;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out.push_back({' ', a[i++]});
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push_back({'-', a[i++]});  // what was expected first, as diff -u
    } else {
      out.push_back({'+', b[j++]});
    }
  }
  return out;
}

std::string shown(std::string_view line) { return escape(line); }

}  // namespace

std::vector<std::string> unified_diff(std::string_view expected, std::string_view got) {
  auto a = lines_of(expected), b = lines_of(got);
  if (a.size() + b.size() > 4000) return {};
  auto script = edits(a, b);
  constexpr std::size_t kContext = 3;
  std::vector<std::string> out{"    --- expected", "    +++ got"};
  std::size_t k = 0;
  while (k < script.size()) {
    // The next change, and the hunk around it.
    while (k < script.size() && script[k].op == ' ') ++k;
    if (k == script.size()) break;
    const std::size_t begin = k >= kContext ? k - kContext : 0;
    // Extend while changes are within 2 * context of each other, then keep
    // `context` unchanged lines after the last change.
    std::size_t end = k, quiet = 0;
    while (end < script.size() && quiet <= 2 * kContext) {
      quiet = script[end].op == ' ' ? quiet + 1 : 0;
      ++end;
    }
    if (quiet > kContext) end -= quiet - kContext;
    std::size_t a_line = 1, b_line = 1;
    for (std::size_t x = 0; x < begin; ++x) {
      a_line += script[x].op != '+';
      b_line += script[x].op != '-';
    }
    std::size_t a_count = 0, b_count = 0;
    for (std::size_t x = begin; x < end; ++x) {
      a_count += script[x].op != '+';
      b_count += script[x].op != '-';
    }
    // An empty range names the line before it, as diff -u does.
    if (a_count == 0) --a_line;
    if (b_count == 0) --b_line;
    out.push_back("    @@ -" + std::to_string(a_line) + "," + std::to_string(a_count) + " +" +
                  std::to_string(b_line) + "," + std::to_string(b_count) + " @@");
    for (std::size_t x = begin; x < end; ++x)
      out.push_back("    " + std::string(1, script[x].op) + shown(script[x].line));
    k = end;
  }
  return out;
}

std::vector<std::string> first_difference(std::string_view got, std::string_view expected) {
  std::size_t at = 0;
  while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
  constexpr std::size_t kAround = 30;
  auto excerpt = [&](std::string_view s) {
    std::size_t from = at > kAround ? at - kAround : 0;
    std::string e = (from > 0 ? "..." : "") + std::string("\"") +
                    escape(s.substr(from, 2 * kAround)) + "\"";
    if (from + 2 * kAround < s.size()) e += "...";
    return e;
  };
  return {"    first difference at offset " + std::to_string(at) + ":",
          "         got: " + excerpt(got), "    expected: " + excerpt(expected)};
}

}  // namespace trap::detail
