/// @file
/// trap::Value: what an accessor holds, what a test predicate is, and what a
/// test callback receives.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include <trap/codec.hpp>
#include <trap/errors.hpp>

namespace trap {

class Value;
/// An array of values (Perl's array reference), e.g. the `warn` accessor.
using Array = std::vector<Value>;

namespace detail {

/// Demangles a type name as the compiler's ABI spells it.
std::string demangle(const char* mangled);

/// Renders a value of a type Value does not know natively.
template <class T>
std::string render_opaque(const T& object) {
  if constexpr (requires(std::ostream& os) { os << object; }) {
    std::ostringstream os;
    os << object;
    return os.str();
  } else {
    return demangle(typeid(T).name()) + " object";
  }
}

/// A value of any other type, kept with its rendering and its equality.
/// One that came back from a forked child has no object: it keeps the
/// type's mangled name and, if the type has a trap::codec, its bytes.
struct Opaque {
  std::shared_ptr<const void> object;
  const std::type_info* type = nullptr;
  std::string rendering;
  bool (*equal)(const void*, const void*) = nullptr;
  std::string (*encode)(const void*) = nullptr;  ///< codec<T>::encode, if any
  std::string type_key;                          ///< mangled name, without object
  std::optional<std::string> encoded;            ///< codec bytes, without object
};

struct ValueCodec;

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

}  // namespace detail

/// A dynamically typed value, the C++ stand-in for a Perl scalar.
///
/// Holds null (Perl's undef), a bool, an integer, a floating-point number, a
/// string (any bytes), an Array, or any other copyable type together with its
/// rendering. Equality follows Perl's `eq` where types differ: numbers compare
/// numerically, strings byte for byte, arrays element by element, other types
/// with their own `==`, and mixed kinds by their renderings.
///
/// @code
/// trap::Value v = 42;
/// v.as<int>();          // 42
/// v == trap::Value(42.0) // true
/// v.str();              // "42"
/// @endcode
class Value {
 public:
  /// A null value (Perl's undef).
  Value() = default;
  /// A null value (Perl's undef).
  Value(std::nullptr_t) {}
  /// A boolean.
  Value(bool b) : v_(b) {}
  /// Any integer type (except bool) is held as a 64-bit signed integer.
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Value(T i) : v_(static_cast<std::int64_t>(i)) {}
  /// Any floating-point type is held as a double.
  template <std::floating_point T>
  Value(T d) : v_(static_cast<double>(d)) {}
  /// A string; a null pointer gives a null value.
  Value(const char* s) {
    if (s) v_ = std::string(s);
  }
  /// A string.
  Value(std::string s) : v_(std::move(s)) {}
  /// A string.
  Value(std::string_view s) : v_(std::string(s)) {}
  /// An array.
  Value(Array a) : v_(std::move(a)) {}

  /// Makes a Value from any copyable object: the native kinds as above,
  /// `std::vector` as an Array, `std::optional` as null or its value, and any
  /// other type kept as it is, rendered with its `operator<<` if it has one.
  template <class T>
  static Value from(T&& object);

  /// True for null (Perl's undef).
  bool is_null() const { return v_.index() == 0; }
  /// True for a boolean.
  bool is_bool() const { return v_.index() == 1; }
  /// True for an integer.
  bool is_integer() const { return v_.index() == 2; }
  /// True for an integer or a floating-point number.
  bool is_number() const { return v_.index() == 2 || v_.index() == 3; }
  /// True for a string.
  bool is_string() const { return v_.index() == 4; }
  /// True for an Array.
  bool is_array() const { return v_.index() == 5; }

  /// The string held. @throws UsageError if this is not a string.
  const std::string& string() const;
  /// The array held. @throws UsageError if this is not an array.
  const Array& array() const;

  /// Perl's truth: null, false, 0, "" and "0" are false; everything else,
  /// including every array, is true.
  bool truthy() const;

  /// The rendering used in diagnostics, in the style of Perl's Data::Dump:
  /// `undef`, `42`, `"text\n"` (quoted, invisible characters escaped),
  /// `[1, "a"]`, or the rendering of another type.
  std::string str() const;

  /// The name of the kind or type held, e.g. "string" or "MyType".
  std::string type_name() const;

  /// Converts to T: an arithmetic type from a number or bool, `std::string`
  /// or `std::string_view` from a string, `std::vector<U>` from an array,
  /// `std::optional<U>` (empty for null), or the exact type of a value made
  /// with from().
  /// @throws UsageError naming both types when the value does not convert.
  template <class T>
  T as() const;

  /// Perl-`eq`-like equality; see the class description.
  friend bool operator==(const Value& a, const Value& b);

 private:
  friend struct detail::ValueCodec;
  [[noreturn]] void bad_conversion(const char* to) const;
  // A string that is a number (white space around it allowed), as Perl
  // numifies "42\n".
  std::optional<double> numeric_string() const;
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array,
               detail::Opaque>
      v_;
};

/// Writes Value::str() to @p os, so values print in any test framework.
inline std::ostream& operator<<(std::ostream& os, const Value& v) { return os << v.str(); }

template <class T>
Value Value::from(T&& object) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_constructible_v<Value, const U&> &&
                !std::is_same_v<U, Value> && !detail::is_vector<U>::value) {
    return Value(object);
  } else if constexpr (std::is_same_v<U, Value>) {
    return object;
  } else if constexpr (detail::is_vector<U>::value) {
    Array a;
    a.reserve(object.size());
    for (const auto& e : object) a.push_back(Value::from(e));
    return Value(std::move(a));
  } else if constexpr (detail::is_optional<U>::value) {
    return object ? Value::from(*object) : Value();
  } else {
    Value v;
    detail::Opaque o;
    o.object = std::make_shared<const U>(std::forward<T>(object));
    o.type = &typeid(U);
    o.rendering = detail::render_opaque(*static_cast<const U*>(o.object.get()));
    if constexpr (std::equality_comparable<U>) {
      o.equal = [](const void* x, const void* y) {
        return *static_cast<const U*>(x) == *static_cast<const U*>(y);
      };
    }
    if constexpr (has_codec<U>) {
      o.encode = [](const void* x) -> std::string {
        return codec<U>::encode(*static_cast<const U*>(x));
      };
    }
    v.v_ = std::move(o);
    return v;
  }
}

template <class T>
T Value::as() const {
  if constexpr (std::is_same_v<T, Value>) {
    return *this;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto* b = std::get_if<bool>(&v_)) return *b;
    if (is_number()) return as<double>() != 0;
    bad_conversion("bool");
  } else if constexpr (std::is_arithmetic_v<T>) {
    if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<T>(*i);
    if (auto* d = std::get_if<double>(&v_)) return static_cast<T>(*d);
    if (auto* b = std::get_if<bool>(&v_)) return static_cast<T>(*b);
    if (auto d = numeric_string()) return static_cast<T>(*d);
    bad_conversion("a number");
  } else if constexpr (std::is_same_v<T, std::string> ||
                       std::is_same_v<T, std::string_view>) {
    return T(string());
  } else if constexpr (detail::is_optional<T>::value) {
    if (is_null()) return T();
    return T(as<typename T::value_type>());
  } else if constexpr (detail::is_vector<T>::value) {
    T out;
    for (const auto& e : array()) out.push_back(e.as<typename T::value_type>());
    return out;
  } else {
    if (auto* o = std::get_if<detail::Opaque>(&v_)) {
      if (o->object && *o->type == typeid(T)) return *static_cast<const T*>(o->object.get());
      if (!o->object && o->type_key == typeid(T).name()) {
        if constexpr (has_codec<T>) {
          if (o->encoded) return codec<T>::decode(*o->encoded);
        }
        throw UsageError("the " + detail::demangle(typeid(T).name()) +
                         " came back from a forked child as its rendering only; "
                         "specialise trap::codec<T> to get the object");
      }
    }
    bad_conversion(detail::demangle(typeid(T).name()).c_str());
  }
}

}  // namespace trap
