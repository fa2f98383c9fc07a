// SPDX-License-Identifier: BSL-1.0
/// @file
/// Streams to the original stdout/stderr, past every active capture.
#pragma once

#include <iosfwd>

namespace trap::detail {

/// A stream writing to what descriptor @p fd (1 or 2) stood for before the
/// outermost active capture: a test framework's log written there is never
/// trapped. Lives until the program ends.
std::ostream& original_ostream(int fd);

}  // namespace trap::detail
