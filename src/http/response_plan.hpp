// SPDX-License-Identifier: BSL-1.0
// A Response turned into what goes on the wire: pieces of bytes, each
// after a delay, and what happens to the connection after the last one.
// Faults and pacing are decided here, once; the connection only writes
// and waits (with timers, never sleeping).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <trap/http.hpp>

namespace trap::http::detail {

/// What the connection does once the plan is written.
enum class After {
  keep_alive,  ///< read the next request
  close,       ///< close (an end of file)
  reset,       ///< close with SO_LINGER {1, 0}: a reset
  hang,        ///< send nothing more, read nothing more
};

/// Bytes to write once `delay` has passed.
struct Piece {
  std::chrono::milliseconds delay{0};
  std::string bytes;
};

/// The whole answer to one request.
struct Plan {
  std::vector<Piece> pieces;
  After after = After::keep_alive;
};

/// What the plan depends on besides the response.
struct PlanContext {
  unsigned version = 11;   ///< the request's HTTP version (10, 11)
  bool head = false;       ///< the request was a HEAD: headers only
  bool keep_alive = true;  ///< the client and the server want to go on
};

/// Whether a status line can carry `status`: three digits, 100 to 999 (as
/// Go's net/http checks in WriteHeader).
constexpr bool valid_status(int status) { return status >= 100 && status <= 999; }

/// "status 1000 is not an HTTP status code (100 to 999)".
std::string bad_status(int status);

/// The plan for `response` answering a request of `context`.
Plan plan_response(const Response& response, const PlanContext& context);

/// A response with just a status and a text body, closing the connection
/// (for 400, 408, 413, 431).
Plan plan_error(int status, const std::string& body);

}  // namespace trap::http::detail
