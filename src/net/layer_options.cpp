// SPDX-License-Identifier: BSL-1.0
// The server layers' shared option reading (layer_options.hpp).
#include "net/layer_options.hpp"

#include <trap/errors.hpp>

namespace trap::net::detail {

void for_each_option(std::string_view arg,
                     const std::function<void(std::string_view, std::string_view)>& f) {
  while (!arg.empty()) {
    auto comma = arg.find_first_of(",;");
    std::string_view item = arg.substr(0, comma);
    arg = comma == std::string_view::npos ? std::string_view() : arg.substr(comma + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    f(item.substr(0, eq), eq == std::string_view::npos ? "" : item.substr(eq + 1));
  }
}

std::size_t parse_size(std::string_view layer, std::string_view key, std::string_view value) {
  const std::string where = std::string(layer) + ": " + std::string(key);
  if (value.empty()) throw UsageError(where + " has no value");
  std::size_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9' || n > (static_cast<std::size_t>(-1) - 9) / 10)
      throw UsageError(where + " must be a number, not \"" + std::string(value) + "\"");
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

std::chrono::milliseconds parse_ms(std::string_view layer, std::string_view key,
                                   std::string_view value) {
  return std::chrono::milliseconds(static_cast<long long>(parse_size(layer, key, value)));
}

}  // namespace trap::net::detail
