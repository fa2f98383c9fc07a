// SPDX-License-Identifier: BSL-1.0
#include "report/text_diff.hpp"

#include <algorithm>
#include <cstdint>

#include "report/diagnostics.hpp"

namespace trap::detail {
namespace {

using Lines = std::vector<std::string_view>;

Lines lines_of(std::string_view text) {
  Lines out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

// One line of the edit script, with the 0-based line numbers it sits at in
// each text (for '+', `a` is the number of the next expected line; for '-',
// `b` the next got line).
struct Edit {
  char op;  // ' ', '-', '+'
  std::size_t a, b;
  std::string_view line;
};

struct Script {
  std::vector<Edit> edits;
  bool complete = true;  // false: stopped at the bound on changes
};

// Myers' greedy O(ND) search for the shortest edit script from a to b (the
// texts between their common prefix and suffix), keeping the furthest
// reaching x of every diagonal after each step d: O(D^2) memory. The search
// stops after @p max_d changes; the script then covers the part of the
// texts the furthest path reached, which shows the first differences.
class Myers {
 public:
  Myers(const Lines& a, const Lines& b, std::size_t a0, std::size_t a1, std::size_t b0,
        std::size_t b1, std::size_t max_d)
      : a_(a),
        b_(b),
        a0_(a0),
        b0_(b0),
        n_(std::int64_t(a1 - a0)),
        m_(std::int64_t(b1 - b0)),
        max_d_(std::int64_t(max_d)) {}

  // Appends the middle script to @p out; returns false if it is partial.
  bool run(std::vector<Edit>& out) {
    auto [x, y, d] = search();
    std::vector<Edit> middle;
    backtrack(x, y, d, middle);
    std::reverse(middle.begin(), middle.end());
    out.insert(out.end(), middle.begin(), middle.end());
    return x == n_ && y == m_;
  }

 private:
  bool same(std::int64_t x, std::int64_t y) const { return a_[a0_ + x] == b_[b0_ + y]; }
  // V after step d holds the diagonals -d..d at index k + d.
  std::int64_t at(std::int64_t d, std::int64_t k) const { return trace_[d][k + d]; }

  struct End {
    std::int64_t x, y, d;
  };

  // The furthest point diagonal k reaches with d changes before its snake,
  // and whether it came down (an insertion) rather than right (a deletion);
  // x < 0: no point of the edit graph. Moves never leave the graph.
  struct Step {
    std::int64_t x;
    bool down;
  };
  Step step(std::int64_t d, std::int64_t k) const {
    if (d == 0) return {0, false};
    Step s{-1, false};
    if (k - 1 >= -(d - 1)) {
      const std::int64_t from = at(d - 1, k - 1);
      if (from >= 0 && from + 1 <= n_) s = {from + 1, false};
    }
    if (k + 1 <= d - 1) {
      const std::int64_t from = at(d - 1, k + 1);
      if (from >= 0 && from - k <= m_ && from > s.x) s = {from, true};
    }
    return s;
  }

  std::int64_t distance(std::int64_t k) const {
    return k > n_ - m_ ? k - (n_ - m_) : (n_ - m_) - k;
  }

  End search() {
    for (std::int64_t d = 0;; ++d) {
      std::vector<std::int64_t> v(2 * d + 1, -1);
      End best{0, 0, d};
      for (std::int64_t k = -d; k <= d; k += 2) {
        std::int64_t x = step(d, k).x;
        if (x < 0) continue;
        std::int64_t y = x - k;
        while (x < n_ && y < m_ && same(x, y)) ++x, ++y;
        v[k + d] = x;
        // Stopped early, the furthest path shows most; of those, the one
        // nearest the diagonal that ends both texts (both kinds of change).
        if (x + y > best.x + best.y ||
            (x + y == best.x + best.y && distance(k) < distance(best.x - best.y)))
          best = {x, y, d};
      }
      trace_.push_back(std::move(v));
      if ((best.x == n_ && best.y == m_) || d == max_d_) return best;
    }
  }

  void backtrack(std::int64_t x, std::int64_t y, std::int64_t d, std::vector<Edit>& out) const {
    auto emit = [&](char op, std::int64_t ax, std::int64_t by, std::string_view line) {
      out.push_back({op, a0_ + std::size_t(ax), b0_ + std::size_t(by), line});
    };
    for (; d > 0; --d) {
      const Step s = step(d, x - y);
      const std::int64_t py = s.x - (x - y);  // where the move ended
      while (x > s.x && y > py) {
        --x, --y;
        emit(' ', x, y, a_[a0_ + x]);
      }
      if (s.down) {
        --y;
        emit('+', x, y, b_[b0_ + y]);
      } else {
        --x;
        emit('-', x, y, a_[a0_ + x]);
      }
    }
    while (x > 0 && y > 0) {
      --x, --y;
      emit(' ', x, y, a_[a0_ + x]);
    }
  }

  const Lines& a_;
  const Lines& b_;
  std::size_t a0_, b0_;
  std::int64_t n_, m_, max_d_;
  std::vector<std::vector<std::int64_t>> trace_;
};

// Within each run of changes, what was expected first, as diff -u shows it.
void order_changes(std::vector<Edit>& script) {
  auto is_change = [](const Edit& e) { return e.op != ' '; };
  for (auto it = script.begin(); it != script.end();) {
    it = std::find_if(it, script.end(), is_change);
    if (it == script.end()) break;
    auto end = std::find_if_not(it, script.end(), is_change);
    // The run's first line says where it starts in both texts.
    std::size_t a = it->a, b = it->b;
    std::stable_partition(it, end, [](const Edit& e) { return e.op == '-'; });
    for (auto e = it; e != end; ++e) {
      if (e->op == '-')
        e->a = a++, e->b = b;
      else
        e->a = a, e->b = b++;
    }
    it = end;
  }
}

Script edits(const Lines& a, const Lines& b, std::size_t max_changes) {
  Script s;
  std::size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  std::size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  for (std::size_t i = 0; i < pre; ++i) s.edits.push_back({' ', i, i, a[i]});
  Myers middle(a, b, pre, a.size() - suf, pre, b.size() - suf, max_changes);
  s.complete = middle.run(s.edits);
  if (s.complete)
    for (std::size_t i = suf; i > 0; --i)
      s.edits.push_back({' ', a.size() - i, b.size() - i, a[a.size() - i]});
  order_changes(s.edits);
  return s;
}

std::string shown(std::string_view line) { return escape(line); }

// The hunk around the change at @p k: from `context` lines before it, over
// changes less than 2 * context apart, to `context` lines after the last.
std::size_t hunk(const std::vector<Edit>& script, std::size_t k, std::vector<std::string>& out) {
  constexpr std::size_t kContext = 3;
  const std::size_t begin = k >= kContext ? k - kContext : 0;
  std::size_t end = k, quiet = 0;
  while (end < script.size() && quiet <= 2 * kContext) {
    quiet = script[end].op == ' ' ? quiet + 1 : 0;
    ++end;
  }
  if (quiet > kContext) end -= quiet - kContext;
  std::size_t a_count = 0, b_count = 0;
  for (std::size_t x = begin; x < end; ++x) {
    a_count += script[x].op != '+';
    b_count += script[x].op != '-';
  }
  // An empty range names the line before it, as diff -u does.
  const std::size_t a_line = script[begin].a + (a_count > 0);
  const std::size_t b_line = script[begin].b + (b_count > 0);
  out.push_back("    @@ -" + std::to_string(a_line) + "," + std::to_string(a_count) + " +" +
                std::to_string(b_line) + "," + std::to_string(b_count) + " @@");
  for (std::size_t x = begin; x < end; ++x)
    out.push_back("    " + std::string(1, script[x].op) + shown(script[x].line));
  return end;
}

}  // namespace

std::vector<std::string> unified_diff(std::string_view expected, std::string_view got,
                                      std::size_t max_changes) {
  const auto a = lines_of(expected), b = lines_of(got);
  const Script script = edits(a, b, max_changes);
  std::vector<std::string> out{"    --- expected", "    +++ got"};
  std::size_t k = 0;
  while (k < script.edits.size()) {
    while (k < script.edits.size() && script.edits[k].op == ' ') ++k;
    if (k == script.edits.size()) break;
    k = hunk(script.edits, k, out);
  }
  if (!script.complete)
    out.push_back("    (diff stopped after " + std::to_string(max_changes) +
                  " changed lines; the texts differ further)");
  return out;
}

std::vector<std::string> first_difference(std::string_view got, std::string_view expected) {
  std::size_t at = 0;
  while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
  constexpr std::size_t kAround = 30;
  auto excerpt = [&](std::string_view s) {
    std::size_t from = at > kAround ? at - kAround : 0;
    std::string e =
        (from > 0 ? "..." : "") + std::string("\"") + escape(s.substr(from, 2 * kAround)) + "\"";
    if (from + 2 * kAround < s.size()) e += "...";
    return e;
  };
  return {"    first difference at offset " + std::to_string(at) + ":",
          "         got: " + excerpt(got), "    expected: " + excerpt(expected)};
}

}  // namespace trap::detail
