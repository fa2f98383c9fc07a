// SPDX-License-Identifier: BSL-1.0
// One criterion of an expectation, checked once when it is built and
// compiled once (its regular expression, its JSON) for the matcher; how
// it prints in describe() and in why a request did not match.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <trap/http.hpp>

namespace trap::http::detail {

/// How much of a body (or any other value) a message quotes.
inline constexpr std::size_t kQuoteLimit = 200;

/// `s` in double quotes, with `"`, `\` and control or non-ASCII bytes
/// escaped, cut after `limit` bytes ("..." and the whole size added).
std::string quote(std::string_view s, std::size_t limit = kQuoteLimit);

/// `s` without quotes, escaped and cut as quote() does.
std::string printable(std::string_view s, std::size_t limit = kQuoteLimit);

/// One criterion as describe() lists it: "header Accept == text/plain",
/// "path ~ /\/users\/\d+/", "query id present", "body json {"a":1}" (a JSON
/// value in its canonical form: compact, keys in order).
std::string describe(const Criterion& criterion);

/// A criterion ready to be checked against requests.
class CompiledCriterion {
 public:
  /// Checks the criterion and compiles it; throws trap::UsageError naming
  /// `who` (the builder called: "with_header_matching") and what is wrong
  /// (unknown part, missing name, bad regular expression, invalid JSON).
  CompiledCriterion(Criterion criterion, std::string_view who);

  /// The criterion.
  const Criterion& criterion() const { return criterion_; }
  /// Whether it weighs more when the closest expectation is chosen (the
  /// method and the path).
  bool weighty() const { return criterion_.part == "method" || criterion_.part == "path"; }
  /// Whether `request` satisfies it; if not and `difference` is given,
  /// what differed ("header Accept: expected "a", got "b"").
  bool check(const Request& request, std::string* difference) const;

 private:
  struct Compiled;
  Criterion criterion_;
  std::shared_ptr<const Compiled> compiled_;  // shared by copies, never changed
};

/// Every criterion of `expectation`, compiled.
std::vector<CompiledCriterion> compile(const Expectation& expectation);

}  // namespace trap::http::detail
