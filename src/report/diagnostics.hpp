// SPDX-License-Identifier: BSL-1.0
// Rendering for diagnostics (diagnostics.cpp): escaped bytes, the type and
// message of the exception being handled.
#pragma once

#include <string>
#include <string_view>

namespace trap::detail {

/// Escapes bytes for display inside double quotes: control characters and
/// bytes that are not valid UTF-8 as "\xNN" (or "\n", "\t", ...).
std::string escape(std::string_view bytes);
/// escape(), inside double quotes.
std::string quoted(std::string_view bytes);
/// The message of the exception being handled (inside a catch block).
std::string current_exception_message();
/// The demangled type of the exception being handled.
std::string current_exception_type();

}  // namespace trap::detail
