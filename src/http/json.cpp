// SPDX-License-Identifier: BSL-1.0
// The JSON parser behind detail::json_equal: strict RFC 8259 (no comments,
// no trailing commas, no leading zeros, no lone surrogates, UTF-8 only),
// into the canonical form json.hpp describes.
#include "http/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "http/matcher.hpp"

namespace trap::http::detail::json {
namespace {

// RFC 8259 lets an implementation limit the range of numbers: a number
// whose exact form needs an exponent beyond 10^16 is invalid, and so is a
// written exponent of more than 17 digits, so that nothing overflows and
// what write() gives back always parses.
constexpr std::size_t kMaxExponentDigits = 17;
constexpr std::int64_t kMaxExponent = 10'000'000'000'000'000;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<Value> document() {
    skip_space();
    Value v;
    if (!value(v, 0)) return std::nullopt;
    skip_space();
    if (pos_ != text_.size()) return fail("unexpected text after the value");
    return v;
  }

  Error error() const { return error_; }

 private:
  std::nullopt_t fail(std::string message) {
    if (error_.message.empty()) error_ = {std::move(message), pos_};
    return std::nullopt;
  }
  bool failed(std::string message) {
    fail(std::move(message));
    return false;
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return failed("expected a value");
    pos_ += word.size();
    return true;
  }

  bool value(Value& v, std::size_t depth) {
    switch (peek()) {
      case '{':
        return object(v, depth + 1);
      case '[':
        return array(v, depth + 1);
      case '"':
        v.kind = Value::Kind::string;
        return string(v.string);
      case 't':
        v.kind = Value::Kind::boolean;
        v.boolean = true;
        return literal("true");
      case 'f':
        v.kind = Value::Kind::boolean;
        return literal("false");
      case 'n':
        v.kind = Value::Kind::null;
        return literal("null");
      default:
        v.kind = Value::Kind::number;
        return number(v.number);
    }
  }

  bool enter(std::size_t depth) {
    if (depth > kMaxDepth)
      return failed("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    ++pos_;  // the opening bracket
    skip_space();
    return true;
  }

  bool array(Value& v, std::size_t depth) {
    v.kind = Value::Kind::array;
    if (!enter(depth)) return false;
    if (peek() == ']') return ++pos_, true;
    for (;;) {
      skip_space();
      if (!value(v.array.emplace_back(), depth)) return false;
      skip_space();
      if (peek() == ']') return ++pos_, true;
      if (peek() != ',') return failed("expected ',' or ']' in an array");
      ++pos_;
    }
  }

  bool object(Value& v, std::size_t depth) {
    v.kind = Value::Kind::object;
    if (!enter(depth)) return false;
    if (peek() == '}') return ++pos_, true;
    for (;;) {
      skip_space();
      if (peek() != '"') return failed("expected a string key in an object");
      auto& member = v.object.emplace_back();
      if (!string(member.key)) return false;
      skip_space();
      if (peek() != ':') return failed("expected ':' after an object key");
      ++pos_;
      skip_space();
      if (!value(member.value, depth)) return false;
      skip_space();
      if (peek() == '}') break;
      if (peek() != ',') return failed("expected ',' or '}' in an object");
      ++pos_;
    }
    ++pos_;
    canonical_members(v.object);
    return true;
  }

  // Sorted by key; of members with the same key the last one wins, as in
  // most parsers (JavaScript's JSON.parse, Python's json).
  static void canonical_members(std::vector<Member>& members) {
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return a.key < b.key; });
    std::vector<Member> unique;
    unique.reserve(members.size());
    for (std::size_t i = 0; i < members.size(); ++i)
      if (i + 1 == members.size() || members[i].key != members[i + 1].key)
        unique.push_back(std::move(members[i]));
    members = std::move(unique);
  }

  bool string(std::string& out) {
    ++pos_;  // the opening quote
    for (;;) {
      if (at_end()) return failed("unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') return ++pos_, true;
      if (c < 0x20) return failed("control character in a string");
      if (c == '\\') {
        if (!escape(out)) return false;
      } else if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
      } else if (!utf8(out)) {
        return false;
      }
    }
  }

  bool escape(std::string& out) {
    ++pos_;  // the backslash
    const char c = peek();
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        return unicode_escape(out);
      default:
        --pos_;
        return failed("invalid escape in a string");
    }
  }

  bool hex4(std::uint32_t& code) {
    code = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = peek();
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return failed("expected four hex digits after \\u");
      code = code * 16 + static_cast<std::uint32_t>(d);
    }
    return true;
  }

  // \uXXXX, with a high surrogate followed by \u and a low one making one
  // code point; a surrogate alone is invalid.
  bool unicode_escape(std::string& out) {
    std::uint32_t code = 0;
    if (!hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return failed("lone low surrogate in a string");
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") return failed("lone high surrogate in a string");
      pos_ += 2;
      std::uint32_t low = 0;
      if (!hex4(low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return failed("lone high surrogate in a string");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, code);
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t code) {
    auto byte = [&out](std::uint32_t b) { out += static_cast<char>(b); };
    if (code < 0x80) {
      byte(code);
    } else if (code < 0x800) {
      byte(0xC0 | (code >> 6));
      byte(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      byte(0xE0 | (code >> 12));
      byte(0x80 | ((code >> 6) & 0x3F));
      byte(0x80 | (code & 0x3F));
    } else {
      byte(0xF0 | (code >> 18));
      byte(0x80 | ((code >> 12) & 0x3F));
      byte(0x80 | ((code >> 6) & 0x3F));
      byte(0x80 | (code & 0x3F));
    }
  }

  // One UTF-8 sequence, copied: no overlong forms, no surrogates, nothing
  // above U+10FFFF.
  bool utf8(std::string& out) {
    const auto lead = static_cast<unsigned char>(peek());
    std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (length == 0 || lead > 0xF4) return failed("invalid UTF-8 in a string");
    if (pos_ + length > text_.size()) return failed("invalid UTF-8 in a string");
    std::uint32_t code = lead & (0x7F >> length);
    for (std::size_t i = 1; i < length; ++i) {
      const auto c = static_cast<unsigned char>(text_[pos_ + i]);
      if ((c & 0xC0) != 0x80) return failed("invalid UTF-8 in a string");
      code = (code << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMin[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return failed("invalid UTF-8 in a string");
    out.append(text_.substr(pos_, length));
    pos_ += length;
    return true;
  }

  std::string_view digits() {
    const std::size_t start = pos_;
    while (peek() >= '0' && peek() <= '9') ++pos_;
    return text_.substr(start, pos_ - start);
  }

  bool number(Number& n) {
    n.negative = peek() == '-';
    if (n.negative) ++pos_;
    const std::string_view whole = digits();
    if (whole.empty()) return failed("expected a value");
    if (whole.size() > 1 && whole[0] == '0') {
      pos_ -= whole.size() - 1;
      return failed("leading zero in a number");
    }
    std::string_view fraction;
    if (peek() == '.') {
      ++pos_;
      fraction = digits();
      if (fraction.empty()) return failed("expected a digit after '.'");
    }
    std::int64_t exponent = 0;
    if ((peek() == 'e' || peek() == 'E') && !exponent_part(exponent)) return false;
    canonical(n, whole, fraction, exponent);
    if (n.exponent > kMaxExponent || n.exponent < -kMaxExponent)
      return failed("number out of range");
    return true;
  }

  bool exponent_part(std::int64_t& exponent) {
    ++pos_;
    const bool negative = peek() == '-';
    if (peek() == '-' || peek() == '+') ++pos_;
    std::string_view e = digits();
    if (e.empty()) return failed("expected a digit in the exponent");
    e.remove_prefix(std::min(e.find_first_not_of('0'), e.size()));
    if (e.size() > kMaxExponentDigits) return failed("exponent out of range");
    for (char c : e) exponent = exponent * 10 + (c - '0');
    if (negative) exponent = -exponent;
    return true;
  }

  static void canonical(Number& n, std::string_view whole, std::string_view fraction,
                        std::int64_t exponent) {
    n.digits.assign(whole).append(fraction);
    n.exponent = exponent - static_cast<std::int64_t>(fraction.size());
    const auto first = n.digits.find_first_not_of('0');
    if (first == std::string::npos) {  // zero, -0 included
      n = Number{};
      return;
    }
    n.digits.erase(0, first);
    const auto last = n.digits.find_last_not_of('0');
    n.exponent += static_cast<std::int64_t>(n.digits.size() - last - 1);
    n.digits.erase(last + 1);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  Error error_;
};

// Plain decimal while that stays short ("1500", "0.015"), otherwise
// scientific ("1.5e+40" as "1.5e40").
std::string number_text(const Number& n) {
  if (n.digits.empty()) return "0";
  std::string out = n.negative ? "-" : "";
  const auto size = static_cast<std::int64_t>(n.digits.size());
  if (n.exponent >= 0 && n.exponent <= 20) {
    out += n.digits;
    out.append(static_cast<std::size_t>(n.exponent), '0');
  } else if (n.exponent < 0 && -n.exponent < size) {
    out.append(n.digits, 0, static_cast<std::size_t>(size + n.exponent));
    out += '.';
    out.append(n.digits, static_cast<std::size_t>(size + n.exponent));
  } else if (n.exponent < 0 && -n.exponent - size <= 6) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n.exponent - size), '0');
    out += n.digits;
  } else {
    out += n.digits[0];
    if (size > 1) out.append(".").append(n.digits, 1);
    out += 'e' + std::to_string(n.exponent + size - 1);
  }
  return out;
}

// The nearest double, if finite.
std::optional<double> to_double(const Number& n) {
  const std::string text = number_text(n);
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(d))
    return std::nullopt;
  return d;
}

bool equal_numbers(const Number& a, const Number& b) {
  if (a.integral() && b.integral()) return a == b;
  const auto x = to_double(a);
  const auto y = to_double(b);
  if (x && y) return *x == *y;
  return a == b;
}

void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

void write_to(std::string& out, const Value& v) {
  switch (v.kind) {
    case Value::Kind::null:
      out += "null";
      return;
    case Value::Kind::boolean:
      out += v.boolean ? "true" : "false";
      return;
    case Value::Kind::number:
      out += number_text(v.number);
      return;
    case Value::Kind::string:
      write_string(out, v.string);
      return;
    case Value::Kind::array:
      out += '[';
      for (std::size_t i = 0; i < v.array.size(); ++i) {
        if (i) out += ',';
        write_to(out, v.array[i]);
      }
      out += ']';
      return;
    case Value::Kind::object:
      out += '{';
      for (std::size_t i = 0; i < v.object.size(); ++i) {
        if (i) out += ',';
        write_string(out, v.object[i].key);
        out += ':';
        write_to(out, v.object[i].value);
      }
      out += '}';
      return;
  }
}

}  // namespace

std::optional<Value> parse(std::string_view text, Error* error) {
  Parser parser(text);
  auto value = parser.document();
  if (!value && error) *error = parser.error();
  return value;
}

bool equal(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::null:
      return true;
    case Value::Kind::boolean:
      return a.boolean == b.boolean;
    case Value::Kind::number:
      return equal_numbers(a.number, b.number);
    case Value::Kind::string:
      return a.string == b.string;
    case Value::Kind::array:
      return std::equal(a.array.begin(), a.array.end(), b.array.begin(), b.array.end(), equal);
    case Value::Kind::object:
      return std::equal(
          a.object.begin(), a.object.end(), b.object.begin(), b.object.end(),
          [](const auto& x, const auto& y) { return x.key == y.key && equal(x.value, y.value); });
  }
  return false;
}

std::string write(const Value& value) {
  std::string out;
  write_to(out, value);
  return out;
}

}  // namespace trap::http::detail::json

namespace trap::http::detail {

std::optional<bool> json_equal(std::string_view a, std::string_view b) {
  auto x = json::parse(a);
  if (!x) return std::nullopt;
  auto y = json::parse(b);
  if (!y) return std::nullopt;
  return json::equal(*x, *y);
}

}  // namespace trap::http::detail
