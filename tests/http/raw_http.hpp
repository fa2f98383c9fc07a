// SPDX-License-Identifier: BSL-1.0
// A raw HTTP/1.1 client on test_net::Client for trap::http's tests: exact
// bytes out, a response read back as it came (status, headers, body with
// Content-Length or chunks). Every wait is bounded.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>

#include "support/client.hpp"

// Optional header values and lines compared in BOOST_TEST: shown by the
// failure's other operand.
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

namespace test_http {

struct RawResponse {
  int status = 0;
  std::string head;  // the status line and the header lines, "\r\n" kept
  std::string body;  // chunks joined
  bool chunked = false;
  std::optional<std::string> header(const std::string& name) const {
    const std::string key = "\r\n" + name + ": ";
    auto at = head.find(key);
    if (at == std::string::npos) return std::nullopt;
    at += key.size();
    return head.substr(at, head.find("\r\n", at) - at);
  }
};

inline std::optional<RawResponse> read_response(test_net::Client& c, bool head_only = false) {
  RawResponse r;
  auto status = c.read_line();
  if (!status || status->size() < 12) return std::nullopt;
  r.status = std::atoi(status->substr(9, 3).c_str());
  r.head = *status + "\n";
  for (;;) {
    auto line = c.read_line();
    if (!line) return std::nullopt;
    if (*line == "\r") break;
    r.head += *line + "\n";
  }
  if (head_only) return r;
  if (r.header("Transfer-Encoding") == "chunked") {
    r.chunked = true;
    for (;;) {
      auto size = c.read_line();
      if (!size) return std::nullopt;
      const std::size_t n = std::strtoul(size->c_str(), nullptr, 16);
      if (n == 0) {
        c.read_line();  // the empty line after the last chunk
        return r;
      }
      r.body += c.read_bytes(n);
      c.read_bytes(2);
    }
  }
  if (auto length = r.header("Content-Length"))
    r.body = c.read_bytes(std::strtoul(length->c_str(), nullptr, 10));
  return r;
}

/// A request with a Host header and this much more.
inline std::string get(const std::string& target, const std::string& more = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + more + "\r\n";
}

}  // namespace test_http
