// SPDX-License-Identifier: BSL-1.0
// The number conversions of trap::codec, out of line so that
// <trap/codec.hpp> need not include <charconv>.
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <trap/codec.hpp>

namespace trap::detail {
namespace {

template <class T>
std::string to_text(T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Reads all of @p s into @p v; false if anything is left or it is no number.
template <class T>
bool from_text(std::string_view s, T& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::string encode_number(long long v) { return to_text(v); }
std::string encode_number(unsigned long long v) { return to_text(v); }
std::string encode_number(float v) { return to_text(v); }
std::string encode_number(double v) { return to_text(v); }
std::string encode_number(long double v) { return to_text(v); }

bool decode_number(std::string_view s, long long& v, long long min, long long max) {
  return from_text(s, v) && v >= min && v <= max;
}
bool decode_number(std::string_view s, unsigned long long& v, unsigned long long max) {
  return from_text(s, v) && v <= max;
}
bool decode_number(std::string_view s, float& v) { return from_text(s, v); }
bool decode_number(std::string_view s, double& v) { return from_text(s, v); }
bool decode_number(std::string_view s, long double& v) { return from_text(s, v); }

void malformed_number(std::string_view s) {
  throw std::invalid_argument("trap::codec: malformed number \"" + std::string(s) + "\"");
}

std::size_t vector_element_length(std::string_view& s) {
  std::size_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec != std::errc() || r.ptr == s.data() + s.size() || *r.ptr != ':' ||
      static_cast<std::size_t>(s.data() + s.size() - r.ptr - 1) < n)
    throw std::invalid_argument("trap::codec: malformed vector");
  s.remove_prefix(static_cast<std::size_t>(r.ptr - s.data()) + 1);
  return n;
}

}  // namespace trap::detail
