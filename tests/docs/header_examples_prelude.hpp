// SPDX-License-Identifier: BSL-1.0
// What the @code examples of trap's public headers take as given, besides
// `trap::Trap& r` and `trap::Trap& self` (the parameters of the function each
// statement example is compiled in): the standard headers they use, and the
// user's own types and functions they call. Only compiled, never linked, so
// the functions are declared and not defined.
#pragma once

#include <cassert>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include <trap/builder.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

/// A user's type, returned from forked code and compared by test methods.
struct Point {
  int x = 0;
  int y = 0;
  bool operator==(const Point&) const = default;
};
/// The user's parser for the text a codec made of a Point.
Point parse_point(std::string_view text);
/// The network client under test: connects to @p host : @p port, returns
/// its socket.
int connect_to(const char* host, std::uint16_t port);
/// The network client under test: talks to @p host : @p port, then leaves.
void run_client(const char* host, std::uint16_t port);
/// The HTTP client under test: fetches @p url, returns the body.
std::string fetch(const std::string& url);
/// The mail-sending code under test: sends its report through @p host :
/// @p port.
void send_report(const std::string& host, std::uint16_t port);
/// Where a layer's signal handler jumps back to (UnwindPoint's example).
inline sigjmp_buf env;
