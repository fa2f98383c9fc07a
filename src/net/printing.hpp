// SPDX-License-Identifier: BSL-1.0
// How the test servers print a text and a peer in their values' one-line
// descriptions (trap::net, trap::http, trap::smtp): one copy of each.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace trap::net::detail {

/// How quoted() writes a byte that does not print.
enum class Escapes {
  named,  ///< '\n', '\r', '\t' by name, any other as "\xNN" (trap::net's events)
  hex,    ///< every one as "\xNN" (trap::http's and trap::smtp's values)
};

/// Writes @p text to @p out in double quotes, C-style: '"' and '\\' after a
/// backslash, a byte below 0x20 or from 0x7f on escaped as @p escapes says.
void quoted(std::ostream& out, std::string_view text, Escapes escapes);

/// Writes @p address and @p port to @p out as "127.0.0.1:PORT", or an
/// IPv6 address (one with a ':') as "[::1]:PORT".
void endpoint(std::ostream& out, std::string_view address, std::uint16_t port);

}  // namespace trap::net::detail
