// SPDX-License-Identifier: BSL-1.0
#include <charconv>
#include <cmath>

#include <trap/value.hpp>

#include "engine/state.hpp"
#include "engine/value_storage.hpp"
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

TRAP_CHILD_PATH Value::Value() noexcept {
  static_assert(sizeof(Storage) <= sizeof(raw_) && alignof(Storage) <= alignof(Value),
                "Value's raw_ must hold its Storage");
  new (raw_) Storage();
}
Value::Value(std::nullptr_t) noexcept { new (raw_) Storage(); }
Value::Value(bool b) noexcept { new (raw_) Storage(std::in_place_type<bool>, b); }
Value::Value(Integer i) noexcept { new (raw_) Storage(std::in_place_type<std::int64_t>, i.i); }
Value::Value(Floating d) noexcept { new (raw_) Storage(std::in_place_type<double>, d.d); }
Value::Value(detail::Opaque&& o) noexcept {
  new (raw_) Storage(std::in_place_type<detail::Opaque>, std::move(o));
}
Value::Value(const char* s) {
  if (s)
    new (raw_) Storage(std::in_place_type<std::string>, s);
  else
    new (raw_) Storage();
}
TRAP_CHILD_PATH Value::Value(std::string s) noexcept {
  new (raw_) Storage(std::in_place_type<std::string>, std::move(s));
}
Value::Value(std::string_view s) { new (raw_) Storage(std::in_place_type<std::string>, s); }
TRAP_CHILD_PATH Value::Value(Array a) noexcept {
  new (raw_) Storage(std::in_place_type<Array>, std::move(a));
}
Value::Value(const Value& other) { new (raw_) Storage(other.v()); }
Value& Value::operator=(const Value& other) {
  v() = other.v();
  return *this;
}
// Strings (captured output, leaveby) are what a trap moves most: moved
// without the variant's general visit.
TRAP_CHILD_PATH Value::Value(Value&& other) noexcept {
  if (auto* s = std::get_if<std::string>(&other.v()))
    new (raw_) Storage(std::in_place_type<std::string>, std::move(*s));
  else
    new (raw_) Storage(std::move(other.v()));
}
TRAP_CHILD_PATH Value& Value::operator=(Value&& other) noexcept {
  auto* to = std::get_if<std::string>(&v());
  auto* from = std::get_if<std::string>(&other.v());
  if (to && from)
    *to = std::move(*from);
  else
    v() = std::move(other.v());
  return *this;
}
TRAP_CHILD_PATH Value::~Value() { v().~Storage(); }

TRAP_CHILD_PATH std::size_t Value::kind() const noexcept { return v().index(); }
const bool* Value::if_bool() const noexcept { return std::get_if<bool>(&v()); }
const std::int64_t* Value::if_integer() const noexcept { return std::get_if<std::int64_t>(&v()); }
const double* Value::if_floating() const noexcept { return std::get_if<double>(&v()); }
const detail::Opaque* Value::if_opaque() const noexcept {
  return std::get_if<detail::Opaque>(&v());
}

TRAP_CHILD_PATH const std::string& Value::string() const {
  if (auto* s = std::get_if<std::string>(&v())) return *s;
  bad_conversion("std::string");
}

const Array& Value::array() const {
  if (auto* a = std::get_if<Array>(&v())) return *a;
  bad_conversion("trap::Array");
}

std::optional<double> Value::numeric_string() const {
  auto* s = std::get_if<std::string>(&v());
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
  if (auto* p = std::get_if<std::int64_t>(&v())) {
    i = *p;
  } else if ((d = std::get_if<double>(&v()) ? std::optional(std::get<double>(v()))
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
  switch (v().index()) {
    case 0:
      return false;
    case 1:
      return std::get<bool>(v());
    case 2:
      return std::get<std::int64_t>(v()) != 0;
    case 3:
      return std::get<double>(v()) != 0;
    case 4: {
      auto& s = std::get<std::string>(v());
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
  switch (v().index()) {
    case 0:
      return "undef";
    case 1:
      return std::get<bool>(v()) ? "true" : "false";
    case 2:
      return std::to_string(std::get<std::int64_t>(v()));
    case 3:
      return number_text(std::get<double>(v()));
    case 4:
      return detail::quoted(std::get<std::string>(v()));
    case 5: {
      std::string out = "[";
      auto& a = std::get<Array>(v());
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ", ";
        out += a[i].str();
      }
      return out + "]";
    }
    default:
      return std::get<detail::Opaque>(v()).rendering;
  }
}

std::string Value::type_name() const {
  switch (v().index()) {
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
      auto& o = std::get<detail::Opaque>(v());
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
  if (a.v().index() != b.v().index()) return false;
  if (a.v().index() != 6) return true;
  return type_key(std::get<detail::Opaque>(a.v())) == type_key(std::get<detail::Opaque>(b.v()));
}

bool operator==(const Value& a, const Value& b) {
  if (!Value::same_kind(a, b)) return false;
  switch (a.v().index()) {
    case 0:
      return true;
    case 1:
      return std::get<bool>(a.v()) == std::get<bool>(b.v());
    case 2:
    case 3: {
      auto* ai = std::get_if<std::int64_t>(&a.v());
      auto* bi = std::get_if<std::int64_t>(&b.v());
      if (ai && bi) return *ai == *bi;
      if (ai) return same_number(*ai, std::get<double>(b.v()));
      if (bi) return same_number(*bi, std::get<double>(a.v()));
      return std::get<double>(a.v()) == std::get<double>(b.v());
    }
    case 4:
      return a.string() == b.string();
    case 5:
      return a.array() == b.array();
    default:
      return opaque_equal(std::get<detail::Opaque>(a.v()), std::get<detail::Opaque>(b.v()));
  }
}

}  // namespace trap
