// SPDX-License-Identifier: BSL-1.0
#include <charconv>
#include <cmath>

#include <trap/value.hpp>

#include "engine/state.hpp"
#include "posix/child_path.hpp"

namespace trap {

namespace detail {

std::string plain_text(const Value& v) {
  if (v.is_string()) return v.string();
  if (v.is_null()) return "";
  if (v.is_bool()) return v.as<bool>() ? "1" : "";
  return v.str();
}

}  // namespace detail

TRAP_CHILD_PATH Value::Value() noexcept = default;
Value::Value(std::nullptr_t) noexcept {}
Value::Value(bool b) noexcept : v_(b) {}
Value::Value(Integer i) noexcept : v_(i.i) {}
Value::Value(Floating d) noexcept : v_(d.d) {}
Value::Value(detail::Opaque&& o) noexcept : v_(std::move(o)) {}
Value::Value(const char* s) {
  if (s) v_ = std::string(s);
}
TRAP_CHILD_PATH Value::Value(std::string s) noexcept : v_(std::move(s)) {}
Value::Value(std::string_view s) : v_(std::string(s)) {}
TRAP_CHILD_PATH Value::Value(Array a) noexcept : v_(std::move(a)) {}
Value::Value(const Value& other) = default;
Value& Value::operator=(const Value& other) = default;
// Strings (captured output, leaveby) are what a trap moves most: moved
// without the variant's general visit.
TRAP_CHILD_PATH Value::Value(Value&& other) noexcept {
  if (auto* s = std::get_if<std::string>(&other.v_))
    v_.emplace<std::string>(std::move(*s));
  else
    v_ = std::move(other.v_);
}
TRAP_CHILD_PATH Value& Value::operator=(Value&& other) noexcept {
  auto* to = std::get_if<std::string>(&v_);
  auto* from = std::get_if<std::string>(&other.v_);
  if (to && from)
    *to = std::move(*from);
  else
    v_ = std::move(other.v_);
  return *this;
}
TRAP_CHILD_PATH Value::~Value() = default;

TRAP_CHILD_PATH const std::string& Value::string() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  bad_conversion("std::string");
}

const Array& Value::array() const {
  if (auto* a = std::get_if<Array>(&v_)) return *a;
  bad_conversion("trap::Array");
}

std::optional<double> Value::numeric_string() const {
  auto* s = std::get_if<std::string>(&v_);
  if (!s) return std::nullopt;
  std::string_view t(*s);
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!t.empty() && space(t.front())) t.remove_prefix(1);
  while (!t.empty() && space(t.back())) t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double d = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), d);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return d;
}

std::int64_t Value::integer_in(std::int64_t min, std::uint64_t max, const char* to) const {
  std::int64_t i = 0;
  std::optional<double> d;
  if (auto* p = std::get_if<std::int64_t>(&v_)) {
    i = *p;
  } else if ((d = std::get_if<double>(&v_) ? std::optional(std::get<double>(v_))
                                           : numeric_string())) {
    // Only a whole number in int64's range; NaN fails the first test.
    if (!(std::trunc(*d) == *d) || *d < -0x1p63 || *d >= 0x1p63) bad_conversion(to);
    i = static_cast<std::int64_t>(*d);
  } else {
    bad_conversion(to);
  }
  if (i < min || (i > 0 && static_cast<std::uint64_t>(i) > max)) bad_conversion(to);
  return i;
}

void Value::bad_conversion(const char* to) const {
  throw UsageError("Cannot convert " + str() + " (" + type_name() + ") to " + to);
}

bool Value::truthy() const {
  switch (v_.index()) {
    case 0:
      return false;
    case 1:
      return std::get<bool>(v_);
    case 2:
      return std::get<std::int64_t>(v_) != 0;
    case 3:
      return std::get<double>(v_) != 0;
    case 4: {
      auto& s = std::get<std::string>(v_);
      return !s.empty() && s != "0";
    }
    default:
      return true;
  }
}

namespace {

std::string number_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string Value::str() const {
  switch (v_.index()) {
    case 0:
      return "undef";
    case 1:
      return std::get<bool>(v_) ? "true" : "false";
    case 2:
      return std::to_string(std::get<std::int64_t>(v_));
    case 3:
      return number_text(std::get<double>(v_));
    case 4:
      return detail::quoted(std::get<std::string>(v_));
    case 5: {
      std::string out = "[";
      auto& a = std::get<Array>(v_);
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ", ";
        out += a[i].str();
      }
      return out + "]";
    }
    default:
      return std::get<detail::Opaque>(v_).rendering;
  }
}

std::string Value::type_name() const {
  switch (v_.index()) {
    case 0:
      return "undef";
    case 1:
      return "bool";
    case 2:
      return "integer";
    case 3:
      return "number";
    case 4:
      return "string";
    case 5:
      return "array";
    default: {
      auto& o = std::get<detail::Opaque>(v_);
      return detail::demangle(o.type ? o.type->name() : o.type_key.c_str());
    }
  }
}

namespace {

// An integer and a double, exactly: no rounding of the integer to a double.
bool same_number(std::int64_t i, double d) {
  if (!(std::trunc(d) == d) || d < -0x1p63 || d >= 0x1p63) return false;
  return static_cast<std::int64_t>(d) == i;
}

std::string type_key(const detail::Opaque& o) {
  return o.type ? std::string(o.type->name()) : o.type_key;
}

[[noreturn]] void cannot_compare(const detail::Opaque& o, const std::string& why) {
  throw UsageError("Cannot compare values of type " + detail::demangle(type_key(o).c_str()) + ": " +
                   why);
}

// Two values of the same type that from() made, or that came back from a
// forked child.
bool opaque_equal(const detail::Opaque& x, const detail::Opaque& y) {
  if (x.object && y.object) {
    if (!x.equal) cannot_compare(x, "it has no operator==");
    return x.equal(x.object.get(), y.object.get());
  }
  if (!x.object && !y.object) {
    if (!x.encoded || !y.encoded)
      cannot_compare(x,
                     "one came back from a forked child as its rendering only; "
                     "specialise trap::codec<T> for it");
    return *x.encoded == *y.encoded;
  }
  const detail::Opaque& live = x.object ? x : y;
  const detail::Opaque& back = x.object ? y : x;
  if (!live.equal) cannot_compare(live, "it has no operator==");
  if (!back.encoded || !live.equal_encoded)
    cannot_compare(live,
                   "one came back from a forked child as its rendering only; "
                   "specialise trap::codec<T> for it");
  try {
    return live.equal_encoded(live.object.get(), *back.encoded);
  } catch (const std::exception& e) {
    cannot_compare(live, std::string("its trap::codec cannot decode what came back: ") + e.what());
  }
}

}  // namespace

bool Value::same_kind(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return true;
  if (a.v_.index() != b.v_.index()) return false;
  if (a.v_.index() != 6) return true;
  return type_key(std::get<detail::Opaque>(a.v_)) == type_key(std::get<detail::Opaque>(b.v_));
}

bool operator==(const Value& a, const Value& b) {
  if (!Value::same_kind(a, b)) return false;
  switch (a.v_.index()) {
    case 0:
      return true;
    case 1:
      return std::get<bool>(a.v_) == std::get<bool>(b.v_);
    case 2:
    case 3: {
      auto* ai = std::get_if<std::int64_t>(&a.v_);
      auto* bi = std::get_if<std::int64_t>(&b.v_);
      if (ai && bi) return *ai == *bi;
      if (ai) return same_number(*ai, std::get<double>(b.v_));
      if (bi) return same_number(*bi, std::get<double>(a.v_));
      return std::get<double>(a.v_) == std::get<double>(b.v_);
    }
    case 4:
      return a.string() == b.string();
    case 5:
      return a.array() == b.array();
    default:
      return opaque_equal(std::get<detail::Opaque>(a.v_), std::get<detail::Opaque>(b.v_));
  }
}

}  // namespace trap
