// SPDX-License-Identifier: BSL-1.0
// What <trap/trap.hpp> keeps out of line or type-erases so that it compiles
// fast (issue 16) still behaves as before: trap::detail::Function and
// FunctionRef, the shared object of an opaque Value, its rendering with
// operator<<, and the number conversions of trap::codec.
#define BOOST_TEST_MODULE light_headers
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

namespace {

// Counts its live instances, to see when a Value's object is destroyed.
struct Counted {
  static inline int live = 0;
  int v;
  explicit Counted(int x) : v(x) { ++live; }
  Counted(const Counted& o) : v(o.v) { ++live; }
  ~Counted() { --live; }
  bool operator==(const Counted& o) const { return v == o.v; }
};
std::ostream& operator<<(std::ostream& os, const Counted& c) { return os << "Counted#" << c.v; }

struct Silent {
  bool operator==(const Silent&) const = default;
};

}  // namespace

BOOST_AUTO_TEST_CASE(function_is_empty_when_made_from_nothing) {
  using F = trap::detail::Function<int(int)>;
  BOOST_TEST(!F());
  BOOST_TEST(!F(nullptr));
  BOOST_TEST(!F(std::function<int(int)>()));
  BOOST_TEST(!F(static_cast<int (*)(int)>(nullptr)));
  F f([](int x) { return x + 1; });
  BOOST_TEST(static_cast<bool>(f));
  BOOST_TEST(f(1) == 2);
}

BOOST_AUTO_TEST_CASE(function_copies_are_independent) {
  int calls = 0;
  trap::detail::Function<int()> a([n = 0, &calls]() mutable {
    ++calls;
    return ++n;
  });
  BOOST_TEST(a() == 1);
  auto b = a;  // copies the state: n is 1 in both
  BOOST_TEST(a() == 2);
  BOOST_TEST(b() == 2);
  auto c = std::move(a);
  BOOST_TEST(!a);  // NOLINT: a moved-from Function is empty
  BOOST_TEST(c() == 3);
  std::function<int()> s = c;  // copyable into a std::function
  BOOST_TEST(s() == 4);
  BOOST_TEST(calls == 5);
}

BOOST_AUTO_TEST_CASE(exception_function_survives_in_a_std_function) {
  BOOST_CHECK_EXCEPTION(trap::trap(":raw",
                                   [](trap::Trap& self) {
                                     std::function<void(std::string)> f = self.exception_function();
                                     self.teardown([f] { f("from a teardown"); });
                                   }),
                        trap::TrapError, [](const trap::TrapError& e) {
                          return std::string(e.what()).find("from a teardown") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(opaque_values_share_their_object_and_free_it_once) {
  {
    trap::Value v = trap::Value::from(Counted(7));
    BOOST_TEST(Counted::live == 1);
    {
      trap::Value copy = v;
      trap::Value moved = std::move(copy);
      trap::Array array{v, moved};
      BOOST_TEST(Counted::live == 1);  // shared, never copied
      BOOST_TEST(array[1].as<Counted>().v == 7);
    }
    BOOST_TEST(Counted::live == 1);
    BOOST_TEST(v.str() == "Counted#7");
    BOOST_TEST(v == trap::Value::from(Counted(7)));
    BOOST_TEST(!(v == trap::Value::from(Counted(8))));
  }
  BOOST_TEST(Counted::live == 0);
  BOOST_TEST(trap::Value::from(Silent{}).str().find("Silent object") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_value_prints_its_rendering) {
  std::ostringstream os;
  os << trap::Value("a\n") << ' ' << trap::Value(42) << ' ' << trap::Value();
  BOOST_TEST(os.str() == "\"a\\n\" 42 undef");
}

// trap's own ranges of the integral types, which keep <limits> out of its
// headers, are std::numeric_limits's.
template <class T>
constexpr bool range_is_the_standard_one() {
  return trap::detail::integer_min<T>() == std::numeric_limits<T>::min() &&
         trap::detail::integer_max<T>() == std::numeric_limits<T>::max();
}
template <class... T>
constexpr bool ranges_are_the_standard_ones() {
  return (range_is_the_standard_one<T>() && ...);
}
static_assert(ranges_are_the_standard_ones<char, signed char, unsigned char, wchar_t, char8_t,
                                           char16_t, char32_t, short, unsigned short, int, unsigned,
                                           long, unsigned long, long long, unsigned long long>());

template <class T>
void round_trips(T v) {
  BOOST_TEST(trap::codec<T>::decode(trap::codec<T>::encode(v)) == v);
}

BOOST_AUTO_TEST_CASE(codec_numbers_round_trip_at_their_limits) {
  round_trips<signed char>(std::numeric_limits<signed char>::min());
  round_trips<unsigned char>(255);
  round_trips<short>(-32768);
  round_trips<int>(std::numeric_limits<int>::min());
  round_trips<unsigned>(std::numeric_limits<unsigned>::max());
  round_trips<long long>(std::numeric_limits<long long>::min());
  round_trips<unsigned long long>(std::numeric_limits<unsigned long long>::max());
  round_trips<float>(0.1f);
  round_trips<double>(0.1);
  round_trips<long double>(0.1L);
  round_trips<bool>(true);
  BOOST_TEST(trap::codec<int>::encode(-42) == "-42");
  BOOST_TEST(trap::codec<double>::encode(0.5) == "0.5");
  BOOST_TEST(trap::codec<float>::decode("0.1") == 0.1f);  // read as a float, not a double
}

BOOST_AUTO_TEST_CASE(codec_refuses_what_does_not_fit_or_is_no_number) {
  BOOST_CHECK_THROW(trap::codec<signed char>::decode("128"), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<short>::decode("-32769"), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<unsigned>::decode("4294967296"), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<unsigned>::decode("-1"), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<int>::decode("+1"), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<int>::decode("1 "), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<int>::decode(""), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<double>::decode("x"), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<bool>::decode("2"), std::invalid_argument);
  using V = std::vector<int>;
  BOOST_TEST((trap::codec<V>::decode(trap::codec<V>::encode(V{1, -2, 30})) == V{1, -2, 30}));
  BOOST_CHECK_THROW(trap::codec<V>::decode("3:12"), std::invalid_argument);
  BOOST_CHECK_THROW(trap::codec<V>::decode("x:1"), std::invalid_argument);
}
