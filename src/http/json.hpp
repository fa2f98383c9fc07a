// SPDX-License-Identifier: BSL-1.0
// A small strict JSON parser (RFC 8259) into a canonical value, for the
// body criteria of trap::http's expectations: two texts are equal when
// their canonical values are. Shared by the matcher and its fuzz target.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trap::http::detail::json {

/// How deep arrays and objects may nest; deeper is invalid (and never a
/// stack overflow).
inline constexpr std::size_t kMaxDepth = 512;

/// A number as an exact decimal: (negative ? -1 : 1) * digits * 10^exponent,
/// with neither leading nor trailing zeros in `digits`; zero is empty
/// digits, exponent 0 and not negative (so -0 == 0).
struct Number {
  bool negative = false;
  std::string digits;
  std::int64_t exponent = 0;
  /// Whether its value is a whole number.
  bool integral() const { return exponent >= 0; }
  /// The same exact value.
  bool operator==(const Number&) const = default;
};

struct Member;

/// A JSON value in canonical form: strings unescaped, numbers exact,
/// object members sorted by key with one member per key.
struct Value {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  Number number;
  std::string string;
  std::vector<Value> array;
  std::vector<Member> object;  // sorted, unique keys
};

/// One member of an object.
struct Member {
  std::string key;
  Value value;
};

/// Why a text is not JSON, and where (a byte offset into it).
struct Error {
  std::string message;
  std::size_t offset = 0;
};

/// Parses a whole text (white space around the value allowed, nothing
/// else); nothing when invalid, with the reason in `*error` if given.
std::optional<Value> parse(std::string_view text, Error* error = nullptr);

/// Whether two values are equal: objects member by member whatever their
/// order, arrays element by element, strings byte by byte; numbers exactly
/// when both are whole, otherwise as the nearest doubles when both are
/// finite, otherwise exactly.
bool equal(const Value& a, const Value& b);

/// The value as compact JSON text (members in key order, numbers as
/// DIGITS[eEXP]); parse() gives back an equal value.
std::string write(const Value& value);

}  // namespace trap::http::detail::json
