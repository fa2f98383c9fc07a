// SPDX-License-Identifier: BSL-1.0
#include "http/request_line.hpp"

#include <string>

namespace trap::http::detail {

std::size_t empty_lines_at_start(std::string_view bytes) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n && (bytes[i] == '\n' || (bytes[i] == '\r' && i + 1 < n && bytes[i + 1] == '\n')))
    i += bytes[i] == '\n' ? 1 : 2;
  return i;
}

bool starts_with_empty_line(std::string_view bytes) {
  if (bytes.empty()) return false;
  return bytes[0] == '\n' || (bytes[0] == '\r' && (bytes.size() == 1 || bytes[1] == '\n'));
}

void split_target(Request& r) {
  std::string_view rest = r.target;
  if (const auto scheme = rest.find("://");
      scheme != std::string_view::npos && rest.substr(0, 1) != "/") {
    rest.remove_prefix(scheme + 3);
    const auto path = rest.find_first_of("/?");
    rest = path == std::string_view::npos ? std::string_view() : rest.substr(path);
  }
  const auto q = rest.find('?');
  r.path = std::string(rest.substr(0, q));
  if (r.path.empty() && r.target != rest) r.path.assign(1, '/');
  if (q != std::string_view::npos) r.query = std::string(rest.substr(q + 1));
}

}  // namespace trap::http::detail
