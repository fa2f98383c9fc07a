// SPDX-License-Identifier: BSL-1.0
// What a trap::Value holds: the std::variant its header keeps out of sight
// (value.hpp declares Value::Storage and the raw bytes it is built in).
#pragma once

#include <cstdint>
#include <new>
#include <string>
#include <variant>

#include <trap/value.hpp>

namespace trap {

/// The alternatives' order is the kind() numbering value.hpp's inline
/// predicates use: null, bool, integer, floating point, string, array,
/// any other type.
struct Value::Storage
    : std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, detail::Opaque> {
  using variant::variant;
  using variant::operator=;
};

inline Value::Storage& Value::v() noexcept {
  return *std::launder(reinterpret_cast<Storage*>(raw_));
}
inline const Value::Storage& Value::v() const noexcept {
  return *std::launder(reinterpret_cast<const Storage*>(raw_));
}

}  // namespace trap
