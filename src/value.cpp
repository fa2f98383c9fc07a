#include <charconv>
#include <cmath>

#include <trap/value.hpp>

#include "state.hpp"

namespace trap {

namespace detail {

std::string plain_text(const Value& v) {
  if (v.is_string()) return v.string();
  if (v.is_null()) return "";
  if (v.is_bool()) return v.as<bool>() ? "1" : "";
  return v.str();
}

}  // namespace detail

const std::string& Value::string() const {
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

void Value::bad_conversion(const char* to) const {
  throw UsageError("Cannot convert " + str() + " (" + type_name() + ") to " + to);
}

bool Value::truthy() const {
  switch (v_.index()) {
    case 0: return false;
    case 1: return std::get<bool>(v_);
    case 2: return std::get<std::int64_t>(v_) != 0;
    case 3: return std::get<double>(v_) != 0;
    case 4: {
      auto& s = std::get<std::string>(v_);
      return !s.empty() && s != "0";
    }
    default: return true;
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
    case 0: return "undef";
    case 1: return std::get<bool>(v_) ? "true" : "false";
    case 2: return std::to_string(std::get<std::int64_t>(v_));
    case 3: return number_text(std::get<double>(v_));
    case 4: return detail::quoted(std::get<std::string>(v_));
    case 5: {
      std::string out = "[";
      auto& a = std::get<Array>(v_);
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ", ";
        out += a[i].str();
      }
      return out + "]";
    }
    default: return std::get<detail::Opaque>(v_).rendering;
  }
}

std::string Value::type_name() const {
  switch (v_.index()) {
    case 0: return "undef";
    case 1: return "bool";
    case 2: return "integer";
    case 3: return "number";
    case 4: return "string";
    case 5: return "array";
    default: {
      auto& o = std::get<detail::Opaque>(v_);
      return detail::demangle(o.type ? o.type->name() : o.type_key.c_str());
    }
  }
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  if (a.is_number() && b.is_number()) {
    if (a.is_integer() && b.is_integer()) return a.as<std::int64_t>() == b.as<std::int64_t>();
    return a.as<double>() == b.as<double>();
  }
  if (a.v_.index() == b.v_.index()) {
    if (a.is_bool()) return a.as<bool>() == b.as<bool>();
    if (a.is_string()) return a.string() == b.string();
    if (a.is_array()) return a.array() == b.array();
    auto& x = std::get<detail::Opaque>(a.v_);
    auto& y = std::get<detail::Opaque>(b.v_);
    if (x.type && y.type && *x.type == *y.type && x.equal)
      return x.equal(x.object.get(), y.object.get());
    if (x.object == y.object && x.object) return true;
    // A value back from a forked child has only its codec bytes.
    auto bytes = [](const detail::Opaque& o) -> std::optional<std::string> {
      if (o.object) return o.encode ? std::optional(o.encode(o.object.get())) : std::nullopt;
      return o.encoded;
    };
    auto key = [](const detail::Opaque& o) {
      return o.type ? std::string(o.type->name()) : o.type_key;
    };
    if (key(x) == key(y)) {
      auto bx = bytes(x), by = bytes(y);
      if (bx && by) return *bx == *by;
    }
  }
  if (a.is_array() || b.is_array()) return false;
  return detail::plain_text(a) == detail::plain_text(b);  // Perl's eq
}

}  // namespace trap
