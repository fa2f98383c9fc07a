// SPDX-License-Identifier: BSL-1.0
// A raw SMTP client on test_net::Client for trap::smtp's tests: exact
// bytes out, each reply read back whole (a multi-line one joined). Every
// wait is bounded.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "support/client.hpp"

namespace test_smtp {

/// One reply: its code and its lines' texts (after "250-" or "250 ").
struct RawReply {
  int code = 0;
  std::vector<std::string> lines;
  /// The last line's text.
  std::string text() const { return lines.empty() ? std::string() : lines.back(); }
};

/// The next whole reply, or nothing if none (or only part of one) came in
/// time.
inline std::optional<RawReply> read_reply(
    test_net::Client& c, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  RawReply r;
  for (;;) {
    auto line = c.read_line(timeout);
    if (!line || line->size() < 4 || line->back() != '\r') return std::nullopt;
    line->pop_back();
    r.code = std::atoi(line->substr(0, 3).c_str());
    r.lines.push_back(line->substr(4));
    if ((*line)[3] == ' ') return r;
  }
}

/// The code of the next reply, 0 if none came.
inline int code_of(test_net::Client& c) {
  auto r = read_reply(c);
  return r ? r->code : 0;
}

/// Connects to @p port on 127.0.0.1 and reads the greeting; its code in
/// @p greeting.
inline test_net::Client open_session(std::uint16_t port, int* greeting = nullptr,
                                     const char* address = "127.0.0.1") {
  test_net::Client c;
  c.connect(address, port);
  const int code = code_of(c);
  if (greeting) *greeting = code;
  return c;
}

/// Sends one command line and returns the code of its reply.
inline int command(test_net::Client& c, const std::string& line) {
  c.send(line + "\r\n");
  return code_of(c);
}

/// EHLO, MAIL, RCPT, DATA, the content, "."; the code of the last reply
/// (250 when accepted), or the first one that was not the expected one.
inline int send_message(test_net::Client& c, const std::string& from,
                        const std::vector<std::string>& to, const std::string& content,
                        bool ehlo = true) {
  if (ehlo && command(c, "EHLO client.test") != 250) return -1;
  if (int code = command(c, "MAIL FROM:<" + from + ">"); code != 250) return code;
  for (const auto& rcpt : to)
    if (int code = command(c, "RCPT TO:<" + rcpt + ">"); code != 250) return code;
  if (int code = command(c, "DATA"); code != 354) return code;
  c.send(content + ".\r\n");
  return code_of(c);
}

}  // namespace test_smtp
