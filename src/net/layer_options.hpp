// SPDX-License-Identifier: BSL-1.0
// What the server layers (tcp_server, http_server, smtp_server) share: the
// reading of their argument ("key=value,key;key") and of its numbers.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace trap::net::detail {

/// Calls @p f with each item of a layer's argument, split at ',' and ';':
/// (key, value) for "key=value", (key, "") for "key"; empty items skipped.
void for_each_option(std::string_view arg,
                     const std::function<void(std::string_view, std::string_view)>& f);

/// @p value as a decimal number.
/// @throws trap::UsageError "LAYER: KEY has no value" or "LAYER: KEY must be
/// a number, not "VALUE"".
std::size_t parse_size(std::string_view layer, std::string_view key, std::string_view value);

/// @p value as a number of milliseconds (parse_size()).
std::chrono::milliseconds parse_ms(std::string_view layer, std::string_view key,
                                   std::string_view value);

}  // namespace trap::net::detail
