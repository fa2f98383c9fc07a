// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::Value: what an accessor holds, what a test predicate is, and what a
/// test callback receives.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
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

/// What @p write writes of @p object on a std::ostringstream.
std::string render_with(const void* object, void (*write)(std::ostream&, const void*));

/// Renders a value of a type Value does not know natively: with its
/// `operator<<` if one is declared here (the stream operators of the
/// standard types, such as those of an enum's underlying integer, need
/// `<ostream>` included first), else as its type's name.
template <class T>
std::string render_opaque(const T& object) {
  if constexpr (requires(std::ostream & os) { os << object; }) {
    return render_with(&object,
                       [](std::ostream& os, const void* o) { os << *static_cast<const T*>(o); });
  } else {
    return demangle(typeid(T).name()) + " object";
  }
}

/// Shared ownership of an object of any type (as a `std::shared_ptr<const
/// void>`, without `<memory>`): copies share it, the last one destroys it.
class ObjectRef {
 public:
  /// Owns nothing.
  ObjectRef() noexcept = default;
  /// Owns @p object, which @p destroy destroys (at once if this throws).
  ObjectRef(const void* object, void (*destroy)(const void*));
  ObjectRef(const ObjectRef& other) noexcept;             ///< shares
  ObjectRef& operator=(const ObjectRef& other) noexcept;  ///< shares
  ObjectRef(ObjectRef&& other) noexcept;                  ///< takes
  ObjectRef& operator=(ObjectRef&& other) noexcept;       ///< takes
  ~ObjectRef();
  /// The object (null if none).
  const void* get() const noexcept { return object_; }
  /// Whether it owns an object.
  explicit operator bool() const noexcept { return object_ != nullptr; }

 private:
  struct Block;
  const void* object_ = nullptr;
  Block* block_ = nullptr;
};

/// A value of any other type, kept with its rendering and its equality.
/// One that came back from a forked child has no object: it keeps the
/// type's mangled name and, if the type has a trap::codec, its bytes.
struct Opaque {
  ObjectRef object;
  const std::type_info* type = nullptr;
  std::string rendering;
  bool (*equal)(const void*, const void*) = nullptr;
  std::string (*encode)(const void*) = nullptr;  ///< codec<T>::encode, if any
  /// Decodes codec bytes and compares them with the object with `==`, if
  /// the type has a codec and `==`.
  bool (*equal_encoded)(const void*, std::string_view) = nullptr;
  std::string type_key;                ///< mangled name, without object
  std::optional<std::string> encoded;  ///< codec bytes, without object
};

struct ValueCodec;

/// Instantiated for every type a typed test method compares: a type
/// without `operator==` stops the build here, with its name in the
/// instantiation (`comparison_needs_operator_eq<MyType>`).
template <class T>
struct comparison_needs_operator_eq {
  static_assert(std::equality_comparable<T>,
                "trap: a test method compares values with operator==, and this type has "
                "none: give it one (e.g. bool operator==(const T&) const = default;)");
  static constexpr bool value = true;
};

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
/// rendering.
///
/// Equality is C++'s, not Perl's `eq`: only values that really are equal
/// compare equal, and values of different kinds never do.
/// - null equals null only;
/// - a bool equals a bool only (`true` is not `1`, nor `"1"`);
/// - numbers, integer or floating point, compare numerically and exactly
///   (`1 == 1.0`; 2^53 + 1 is not the double 2^53);
/// - a string equals a string with the same bytes (`"1"` is not `1`);
/// - arrays compare element by element, by these rules;
/// - any other type compares with its own `operator==`, and only with a
///   value of the same type: a value of another type is unequal. A type
///   without `operator==` cannot be compared: `==` throws UsageError naming
///   it (the typed test methods refuse it at compile time). A value that came
///   back from a forked child compares through its trap::codec: decoded and
///   compared with `==`, or byte for byte with another such value; one that
///   came back as its rendering only throws UsageError.
///
/// The `is`, `isnt` and `is_deeply` tests go one step further: a comparison
/// of different kinds (null aside) is a UsageError naming both, so that
/// `return_isnt("42")` cannot pass on a return value of 42 by accident.
///
/// @code
/// trap::Value v = 42;
/// v.as<int>();            // 42
/// v == trap::Value(42.0); // true
/// v == trap::Value("42"); // false: a string is not a number
/// v.str();                // "42"
/// @endcode
class Value {
 public:
  // The constructors, copies and destructor are out of line (see Storage
  // below).

  /// A null value (Perl's undef).
  Value() noexcept;
  /// A null value (Perl's undef).
  Value(std::nullptr_t) noexcept;
  /// A boolean.
  Value(bool b) noexcept;
  /// Any integer type (except bool) is held as a 64-bit signed integer.
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T i) : Value(Integer{static_cast<std::int64_t>(i)}) {}
  /// Any floating-point type is held as a double.
  template <std::floating_point T>
  Value(T d) : Value(Floating{static_cast<double>(d)}) {}
  /// A string; a null pointer gives a null value.
  Value(const char* s);
  /// A string.
  Value(std::string s) noexcept;
  /// A string.
  Value(std::string_view s);
  /// An array.
  Value(Array a) noexcept;
  Value(const Value& other);                 ///< a copy
  Value& operator=(const Value& other);      ///< a copy
  Value(Value&& other) noexcept;             ///< takes the value
  Value& operator=(Value&& other) noexcept;  ///< takes the value
  ~Value();

  /// Makes a Value from any copyable object: the native kinds as above,
  /// `std::vector` as an Array, `std::optional` as null or its value, and any
  /// other type kept as it is, rendered with its `operator<<` if it has one.
  template <class T>
  static Value from(T&& object);

  /// As from(), for a value that will be compared: a type (or an element
  /// type) with no `operator==` is a compile-time error naming it, not a
  /// value that could never be compared.
  template <class T>
  static Value from_comparable(T&& object);

  /// True for null (Perl's undef).
  bool is_null() const noexcept { return kind() == 0; }
  /// True for a boolean.
  bool is_bool() const noexcept { return kind() == 1; }
  /// True for an integer.
  bool is_integer() const noexcept { return kind() == 2; }
  /// True for an integer or a floating-point number.
  bool is_number() const noexcept {
    const std::size_t k = kind();
    return k == 2 || k == 3;
  }
  /// True for a string.
  bool is_string() const noexcept { return kind() == 4; }
  /// True for an Array.
  bool is_array() const noexcept { return kind() == 5; }

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

  /// Converts to T: `bool` from a bool; an integer type from a whole number
  /// (integer or floating point) that T holds exactly; a floating-point
  /// type from any number; either of them also from a string that is such a
  /// number, white space around it allowed, as Perl numifies `"42\n"` (so
  /// that a `cmp_ok`-like test can compare a captured line numerically);
  /// `std::string` or `std::string_view` from a string; `std::vector<U>`
  /// from an array; `std::optional<U>` (empty for null); or the exact type
  /// of a value made with from(). Nothing else converts: not a number to a
  /// bool or a string, not 2.5 to an int.
  /// @throws UsageError naming both types when the value does not convert.
  template <class T>
  T as() const;

  /// Whether @p a and @p b are of the same kind, so that comparing them
  /// means something: both null, bool, number (integer or floating point),
  /// string or array, or both of the same other type.
  static bool same_kind(const Value& a, const Value& b);

  /// Equality; see the class description.
  /// @throws UsageError for a type without `operator==`, naming it.
  friend bool operator==(const Value& a, const Value& b);

 private:
  struct Integer {
    std::int64_t i;
  };
  struct Floating {
    double d;
  };
  explicit Value(Integer i) noexcept;
  explicit Value(Floating d) noexcept;
  // An object kept as it is (out of line: a file that makes one does not
  // instantiate std::variant's assignment).
  explicit Value(detail::Opaque&& o) noexcept;
  friend struct detail::ValueCodec;
  [[noreturn]] void bad_conversion(const char* to) const;
  std::int64_t integer_in(std::int64_t min, std::uint64_t max, const char* to) const;
  // A string that is a number (white space around it allowed), as Perl
  // numifies "42\n".
  std::optional<double> numeric_string() const;

  // What the value holds is a std::variant<std::monostate, bool,
  // std::int64_t, double, std::string, Array, detail::Opaque> (Storage,
  // which only the library defines), built in raw_: a file that includes
  // this header neither reads <variant> nor instantiates it. kind() is its
  // index; the if_ functions are std::get_if.
  struct Storage;
  Storage& v() noexcept;
  const Storage& v() const noexcept;
  std::size_t kind() const noexcept;
  const bool* if_bool() const noexcept;
  const std::int64_t* if_integer() const noexcept;
  const double* if_floating() const noexcept;
  const detail::Opaque* if_opaque() const noexcept;
  // Opaque is the largest alternative; the variant adds its index.
  alignas(detail::Opaque) alignas(double) alignas(
      std::int64_t) unsigned char raw_[sizeof(detail::Opaque) + alignof(detail::Opaque)];
};

/// What a typed test method (`return_is`, `stdout_isnt`, `warn_is`, ...)
/// compares with: any value Value::from_comparable() takes, so a type
/// without `operator==` is a compile-time error naming it.
///
/// @code
/// r.return_is(Point{1, 2});   // compares with Point's operator==
/// @endcode
class Expected {
 public:
  /// Makes the value to compare with from @p object.
  template <class T>
  requires(!std::same_as<std::remove_cvref_t<T>, Expected>)
      Expected(T&& object)  // NOLINT: implicit, as the methods' argument
      : value_(Value::from_comparable(std::forward<T>(object))) {}
  /// The value to compare with.
  const Value& value() const { return value_; }

 private:
  Value value_;
};

/// Writes Value::str() to @p os, so values print in any test framework.
std::ostream& operator<<(std::ostream& os, const Value& v);

namespace detail {
/// An array Value of each element of @p vector passed through @p convert.
template <class Vector, class Convert>
Value array_of(const Vector& vector, Convert convert) {
  Array a;
  a.reserve(vector.size());
  for (const auto& e : vector) a.push_back(convert(e));
  return Value(std::move(a));
}
}  // namespace detail

template <class T>
Value Value::from(T&& object) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_constructible_v<Value, const U&> && !std::is_same_v<U, Value> &&
                !detail::is_vector<U>::value) {
    return Value(object);
  } else if constexpr (std::is_same_v<U, Value>) {
    return object;
  } else if constexpr (detail::is_vector<U>::value) {
    return detail::array_of(object, [](const auto& e) { return Value::from(e); });
  } else if constexpr (detail::is_optional<U>::value) {
    return object ? Value::from(*object) : Value();
  } else {
    detail::Opaque o;
    o.object = detail::ObjectRef(new U(std::forward<T>(object)),
                                 [](const void* p) { delete static_cast<const U*>(p); });
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
      if constexpr (std::equality_comparable<U>) {
        o.equal_encoded = [](const void* x, std::string_view bytes) {
          return *static_cast<const U*>(x) == codec<U>::decode(bytes);
        };
      }
    }
    return Value(std::move(o));
  }
}

template <class T>
Value Value::from_comparable(T&& object) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_constructible_v<Value, const U&> && !detail::is_vector<U>::value) {
    return Value::from(std::forward<T>(object));
  } else if constexpr (detail::is_vector<U>::value) {
    return detail::array_of(object, [](const auto& e) { return Value::from_comparable(e); });
  } else if constexpr (detail::is_optional<U>::value) {
    return object ? Value::from_comparable(*object) : Value();
  } else {
    static_assert(detail::comparison_needs_operator_eq<U>::value);
    return Value::from(std::forward<T>(object));
  }
}

template <class T>
T Value::as() const {
  if constexpr (std::is_same_v<T, Value>) {
    return *this;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto* b = if_bool()) return *b;
    bad_conversion("bool");
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(integer_in(static_cast<std::int64_t>(detail::integer_min<T>()),
                                     static_cast<std::uint64_t>(detail::integer_max<T>()),
                                     detail::demangle(typeid(T).name()).c_str()));
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto* i = if_integer()) return static_cast<T>(*i);
    if (auto* d = if_floating()) return static_cast<T>(*d);
    if (auto d = numeric_string()) return static_cast<T>(*d);
    bad_conversion(detail::demangle(typeid(T).name()).c_str());
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
    return T(string());
  } else if constexpr (detail::is_optional<T>::value) {
    if (is_null()) return T();
    return T(as<typename T::value_type>());
  } else if constexpr (detail::is_vector<T>::value) {
    T out;
    for (const auto& e : array()) out.push_back(e.as<typename T::value_type>());
    return out;
  } else {
    if (auto* o = if_opaque()) {
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
