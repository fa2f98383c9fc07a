// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::codec<T>: how a value travels from a forked child to the parent.
///
/// Under the `fork` layer the trapped code returns in another process; its
/// return value reaches the parent's trap as bytes. Built-in types (bool,
/// arithmetic types, std::string, and std::vector / std::optional of
/// transferable types) travel on their own. For any other type, specialise
/// trap::codec:
///
/// @code{.cpp}
/// template <> struct trap::codec<Point> {
///   static std::string encode(const Point& p) {
///     return std::to_string(p.x) + "," + std::to_string(p.y);
///   }
///   static Point decode(std::string_view s) { return parse_point(s); }
/// };
/// @endcode
/// Then a Point comes back from a child:
/// @code
/// auto r = trap::trap<":fork">([] { return Point{1, 2}; });
/// r.return_value<Point>();  // decoded in the parent
/// @endcode
///
/// Returning a type without a codec from code trapped with a compile-time
/// spec that names `fork` (trap::trap<":fork">) does not compile.
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace trap {

/// Encodes a T to bytes and decodes it back. Not defined for arbitrary
/// types: specialise it with `static std::string encode(const T&)` and
/// `static T decode(std::string_view)`. decode may throw on malformed bytes.
template <class T>
struct codec;

/// Whether codec<T> is usable.
template <class T>
concept has_codec = requires(const T& t, std::string_view bytes) {
  { codec<T>::encode(t) } -> std::convertible_to<std::string>;
  { codec<T>::decode(bytes) } -> std::convertible_to<T>;
};

namespace detail {
/// @name The text of a number, out of line (no `<charconv>` here)
/// encode_number(): the shortest text that reads back as @p v (std::to_chars).
/// decode_number(): reads the whole of @p s into @p v as std::from_chars
/// would; false if it is not such a number or does not fit.
///@{
std::string encode_number(long long v);
std::string encode_number(unsigned long long v);
std::string encode_number(float v);
std::string encode_number(double v);
std::string encode_number(long double v);
bool decode_number(std::string_view s, long long& v, long long min, long long max);
bool decode_number(std::string_view s, unsigned long long& v, unsigned long long max);
bool decode_number(std::string_view s, float& v);
bool decode_number(std::string_view s, double& v);
bool decode_number(std::string_view s, long double& v);
///@}
/// Throws std::invalid_argument for a malformed number @p s.
[[noreturn]] void malformed_number(std::string_view s);

// The range of an integral type other than bool, as std::numeric_limits
// gives it, without <limits>: that header alone costs a file that includes
// trap a twentieth of its compile time.
template <class T>
constexpr T integer_max() noexcept {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(std::is_signed_v<T> ? static_cast<U>(static_cast<U>(-1) >> 1)
                                            : static_cast<U>(-1));
}
template <class T>
constexpr T integer_min() noexcept {
  if constexpr (std::is_signed_v<T>) {
    return static_cast<T>(-integer_max<T>() - 1);
  } else {
    return T(0);
  }
}
}  // namespace detail

/// Arithmetic types and bool, as text (shortest round trip for floats).
template <class T>
requires std::is_arithmetic_v<T>
struct codec<T> {
  /// The decimal text of @p v.
  static std::string encode(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      return v ? "1" : "0";
    } else if constexpr (std::is_floating_point_v<T>) {
      return detail::encode_number(v);
    } else if constexpr (std::is_signed_v<T>) {
      return detail::encode_number(static_cast<long long>(v));
    } else {
      return detail::encode_number(static_cast<unsigned long long>(v));
    }
  }
  /// Parses what encode() wrote. @throws std::invalid_argument otherwise.
  static T decode(std::string_view s) {
    if constexpr (std::is_same_v<T, bool>) {
      if (s == "1") return true;
      if (s == "0") return false;
    } else if constexpr (std::is_floating_point_v<T>) {
      T v{};
      if (detail::decode_number(s, v)) return v;
    } else if constexpr (std::is_signed_v<T>) {
      long long v = 0;
      if (detail::decode_number(s, v, detail::integer_min<T>(), detail::integer_max<T>()))
        return static_cast<T>(v);
    } else {
      unsigned long long v = 0;
      if (detail::decode_number(s, v, detail::integer_max<T>())) return static_cast<T>(v);
    }
    detail::malformed_number(s);
  }
};

/// std::string, as itself.
template <>
struct codec<std::string> {
  /// The bytes of @p s.
  static std::string encode(const std::string& s) { return s; }
  /// The bytes, as a string.
  static std::string decode(std::string_view s) { return std::string(s); }
};

namespace detail {
/// Reads the "LENGTH:" before an element of an encoded vector off @p s and
/// returns LENGTH. @throws std::invalid_argument if it is malformed or
/// longer than what is left.
std::size_t vector_element_length(std::string_view& s);
}  // namespace detail

/// std::vector of an encodable type: each element as "LENGTH:" then bytes.
template <class T, class A>
requires has_codec<T>
struct codec<std::vector<T, A>> {
  /// The elements, each length-prefixed.
  static std::string encode(const std::vector<T, A>& v) {
    std::string out;
    for (const auto& e : v) {
      std::string b = codec<T>::encode(e);
      out += detail::encode_number(static_cast<unsigned long long>(b.size()));
      out += ':';
      out += b;
    }
    return out;
  }
  /// Parses what encode() wrote. @throws std::invalid_argument otherwise.
  static std::vector<T, A> decode(std::string_view s) {
    std::vector<T, A> out;
    while (!s.empty()) {
      const std::size_t n = detail::vector_element_length(s);
      out.push_back(codec<T>::decode(s.substr(0, n)));
      s.remove_prefix(n);
    }
    return out;
  }
};

/// std::optional of an encodable type: "" for none, "=" then the value.
template <class T>
requires has_codec<T>
struct codec<std::optional<T>> {
  /// Empty for none.
  static std::string encode(const std::optional<T>& v) {
    return v ? "=" + codec<T>::encode(*v) : std::string();
  }
  /// Parses what encode() wrote. @throws std::invalid_argument otherwise.
  static std::optional<T> decode(std::string_view s) {
    if (s.empty()) return std::nullopt;
    if (s.front() != '=') throw std::invalid_argument("trap::codec: malformed optional");
    return codec<T>::decode(s.substr(1));
  }
};

class Value;

namespace detail {

/// Whether a value of type T (the trapped code's return type) can come back
/// from a forked child: void, trap::Value, C strings, or a type with a codec.
template <class T>
concept transferable = std::is_void_v<T> || std::is_same_v<std::remove_cvref_t<T>, Value> ||
    std::is_convertible_v<T, std::string_view> || has_codec<std::remove_cvref_t<T>>;

}  // namespace detail
}  // namespace trap
