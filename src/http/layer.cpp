// SPDX-License-Identifier: BSL-1.0
// Placeholder until the http_server layer lands.
#include <trap/http.hpp>

namespace trap::http::detail {
bool register_http_server_layer() { return true; }
}  // namespace trap::http::detail
