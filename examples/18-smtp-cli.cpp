// SPDX-License-Identifier: BSL-1.0
// 18-smtp-cli: tests a command-line program that sends mail. The
// smtp_server layer gives the trap an SMTP server and exports its URL as
// TRAP_SMTP_URL; the program, run by trap::run inside the trap, sends
// there. curl stands for the program under test: the message it sent is
// checked (envelope, headers, body), then a recipient the server refuses
// with a scripted 550 is checked as curl's exit code and error, and the
// layer checks that every session ended cleanly. Results are TAP.
#include <string>
#include <vector>

#include <trap/more.hpp>
#include <trap/process.hpp>
#include <trap/smtp.hpp>

#ifndef CURL_PATH
#error "CURL_PATH: the path of curl"
#endif

namespace {

const std::string kReport =
    "From: ci@example.com\r\nTo: ops@example.com\r\nSubject: build 42 failed\r\n\r\n"
    "3 tests failed.\r\n";

// The "program": mails the report on its stdin to the recipient given.
trap::Trap mail_report(const std::string& to) {
  trap::RunOptions options;
  options.input = kReport;
  return trap::run({"sh", "-c",
                    CURL_PATH " -sS --url \"$TRAP_SMTP_URL/ci.example.com\""
                              " --mail-from ci@example.com --mail-rcpt \"$0\" --upload-file -",
                    to},
                   options);
}

}  // namespace

int main() {
  using trap::smtp::Command;
  using trap::smtp::Reply;

  auto r = trap::trap(":smtp_server", [](trap::Trap& t) {
    auto& mail = trap::smtp::server(t);

    auto sent = mail_report("ops@example.com");
    sent.exit_is(0, "the program succeeds");
    auto message = mail.take_message();
    trap::ok(message.has_value(), "and the server got a message");
    if (message) {
      trap::is(message->mail_from, "ci@example.com", "from CI");
      trap::is_deeply(message->rcpt_to, std::vector<std::string>{"ops@example.com"}, "to ops");
      trap::is(message->header("Subject").value_or(""), "build 42 failed", "with the subject");
      trap::is(message->body, "3 tests failed.\r\n", "and the body");
      trap::is(message->helo, "ci.example.com", "the program said who it is");
    }

    mail.reply(Reply::on(Command::rcpt, "nobody@").with(550, "5.1.1 no such user"));
    auto refused = mail_report("nobody@example.com");
    refused.exit_is(55, "a refused recipient is curl's exit 55");
    refused.stderr_like("RCPT failed: 550", "with the server's code on stderr");
    trap::is(mail.message_count(), 1, "and nothing more was delivered");
  });
  // The layer's teardown would throw TrapError had a session been left
  // open, a client misbehaved or a scripted reply gone unused.
  r.leaveby_is("return", "every session ended cleanly");
  r.test("messages_ok", 0, "the messages are kept as an accessor");
  r.test("teardown_is", "", "and the teardown was clean");
  return trap::done_testing();
}
