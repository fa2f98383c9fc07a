// SPDX-License-Identifier: BSL-1.0
// A SessionHost for the session's tests: scripted replies answered as the
// server answers them (first match in order, argument contained in any
// case, counts used up), and every call recorded; and a fixture that runs
// one Session over it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/smtp.hpp>

#include "smtp/session.hpp"
#include "smtp/text.hpp"

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::size_t>)

namespace trap::smtp::test {

class FakeSessionHost : public detail::SessionHost {
 public:
  std::vector<Reply> replies;  // scripted, tried in order
  std::vector<std::pair<Command, std::string>> asked;
  std::vector<Message> accepted_messages;
  std::vector<Problem> problems;

  std::optional<Reply> scripted(Command command, std::string_view argument) override {
    asked.emplace_back(command, std::string(argument));
    const std::string arg = detail::upper(argument);
    for (auto it = replies.begin(); it != replies.end(); ++it) {
      if (it->command != command || arg.find(detail::upper(it->argument)) == std::string::npos)
        continue;
      Reply r = *it;
      if (it->count && --*it->count == 0) replies.erase(it);
      return r;
    }
    return std::nullopt;
  }
  void accepted(Message message) override {
    message.sequence = accepted_messages.size() + 1;
    accepted_messages.push_back(std::move(message));
  }
  void problem(Problem problem) override { problems.push_back(std::move(problem)); }

  // The whys of the problems so far, in order.
  std::vector<std::string> whys() const {
    std::vector<std::string> out;
    for (const Problem& p : problems) out.push_back(p.why);
    return out;
  }
};

// One session, opened by start(), fed by say().
struct SessionFixture {
  ServerOptions options;
  bool tls_available = false;
  FakeSessionHost host;
  std::unique_ptr<detail::Session> session;
  std::string greeting;
  detail::Actions last;  // what the last say() asked for

  SessionFixture() { options.credentials = {}; }

  detail::Session& start() {
    detail::SessionSetup setup{{7, "127.0.0.1", 40122}, &options, tls_available};
    session = std::make_unique<detail::Session>(setup, host);
    detail::Actions a;
    session->open(a);
    greeting = a.out;
    last = a;
    return *session;
  }
  // Feeds `bytes` at once; returns what the session said.
  std::string say(std::string_view bytes) {
    last = {};
    session->feed(bytes, last);
    return last.out;
  }
  // EHLO, answered.
  void ehlo() { say("EHLO client.test\r\n"); }
  // EHLO, MAIL and one RCPT, answered.
  void envelope() { say("EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"); }
};

}  // namespace trap::smtp::test
