// SPDX-License-Identifier: BSL-1.0
// Which expectation answers a request: the first, in the order added, that
// matches every criterion, has count left and, if ordered, is not waiting
// for an earlier ordered one. When none does, why names the closest.
#include "http/matcher.hpp"

#include <utility>

namespace trap::http::detail {
namespace {

// A method or path that differs outweighs any number of other criteria.
constexpr std::size_t kWeighty = 100;

std::string times(std::size_t n) { return std::to_string(n) + (n == 1 ? " time" : " times"); }

std::string request_line(const Request& request) {
  return printable(request.method) + ' ' +
         printable(request.target.empty() ? request.path : request.target);
}

}  // namespace

bool Matcher::Entry::met() const {
  const auto n = expectation.expected_times();
  return !n || seen >= *n;
}

bool Matcher::Entry::exhausted() const {
  const auto n = expectation.expected_times();
  return n && seen >= *n;
}

std::size_t Matcher::add(Expectation expectation) {
  auto criteria = compile(expectation);
  entries_.push_back({std::move(expectation), std::move(criteria), 0});
  return entries_.size() - 1;
}

bool Matcher::matches(std::size_t index, const Request& request) const {
  const Entry& e = entries_[index];
  if (e.exhausted()) return false;
  if (e.expectation.is_ordered())
    for (std::size_t j = 0; j < index; ++j)
      if (entries_[j].expectation.is_ordered() && !entries_[j].met()) return false;
  for (const CompiledCriterion& c : e.criteria)
    if (!c.check(request, nullptr)) return false;
  return true;
}

Matcher::Misses Matcher::misses(std::size_t index, const Request& request) const {
  const Entry& e = entries_[index];
  Misses m;
  for (const CompiledCriterion& c : e.criteria) {
    std::string difference;
    if (c.check(request, &difference)) continue;
    m.weight += c.weighty() ? kWeighty : 1;
    m.differences.push_back(std::move(difference));
  }
  if (e.exhausted()) {
    m.weight += 1;
    m.differences.push_back("already matched " + times(e.seen) + " of " +
                            std::to_string(*e.expectation.expected_times()));
  }
  if (e.expectation.is_ordered()) {
    for (std::size_t j = 0; j < index; ++j) {
      if (!entries_[j].expectation.is_ordered() || entries_[j].met()) continue;
      m.weight += 1;
      m.differences.push_back("waits for " + entries_[j].expectation.describe());
      break;
    }
  }
  return m;
}

// The closest: the fewest failed criteria, a method or path counting for
// more than the rest; of equals, the one added first.
std::string Matcher::why(const Request& request) const {
  std::string out = "no expectation matched " + request_line(request);
  if (entries_.empty()) return out + ": there are no expectations";
  std::size_t closest = 0;
  Misses best = misses(0, request);
  for (std::size_t i = 1; i < entries_.size(); ++i) {
    Misses m = misses(i, request);
    if (m.weight < best.weight) {
      best = std::move(m);
      closest = i;
    }
  }
  out += "; closest: " + entries_[closest].expectation.describe();
  const char* sep = ": ";
  for (const std::string& d : best.differences) {
    out += sep + d;
    sep = "; ";
  }
  return out;
}

MatchOutcome Matcher::match(const Request& request) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!matches(i, request)) continue;
    ++entries_[i].seen;
    return {i, {}};
  }
  return {std::nullopt, why(request)};
}

std::vector<std::string> Matcher::unmet() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_)
    if (!e.met()) out.push_back(e.expectation.describe() + ": seen " + std::to_string(e.seen));
  return out;
}

}  // namespace trap::http::detail
