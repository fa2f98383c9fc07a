// SPDX-License-Identifier: BSL-1.0
// The expectations of one server and how a request is matched against
// them. Not thread-safe: the server calls it under its own lock.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <trap/http.hpp>

#include "http/criteria.hpp"

namespace trap::http::detail {

/// What matching one request found.
struct MatchOutcome {
  /// The index of the expectation that answers it (counted as seen), or
  /// nothing when none does.
  std::optional<std::size_t> index;
  /// When none does: why, naming the closest expectation and what
  /// differed ("no expectation matched GET /x; closest: GET /x, times 1:
  /// already matched 1 time of 1").
  std::string why;
};

/// The expectations, their counts and their order.
class Matcher {
 public:
  /// Adds one; returns its index.
  std::size_t add(Expectation expectation);
  /// Whether there are none.
  bool empty() const { return entries_.empty(); }
  /// Finds the expectation that answers `request` and counts it.
  MatchOutcome match(const Request& request);
  /// The expectation at `index`.
  const Expectation& at(std::size_t index) const { return entries_.at(index).expectation; }
  /// How many requests the expectation at `index` answered.
  std::size_t matched_count(std::size_t index) const { return entries_.at(index).seen; }
  /// Expectations not met, each described with its count
  /// ("GET /users, times 2: seen 1").
  std::vector<std::string> unmet() const;

 private:
  struct Entry {
    Expectation expectation;
    std::vector<CompiledCriterion> criteria;  // compiled once, on add()
    std::size_t seen = 0;
    bool met() const;
    bool exhausted() const;
  };
  /// What keeps `entries_[index]` from answering `request`, weighed.
  struct Misses {
    std::size_t weight = 0;
    std::vector<std::string> differences;
  };
  bool matches(std::size_t index, const Request& request) const;
  Misses misses(std::size_t index, const Request& request) const;
  std::string why(const Request& request) const;
  std::vector<Entry> entries_;
};

/// Whether two texts parse as JSON and are equal: objects compared key by
/// key whatever their order, numbers by value, strings after unescaping.
/// Nothing when either is not valid JSON.
std::optional<bool> json_equal(std::string_view a, std::string_view b);

}  // namespace trap::http::detail
