// SPDX-License-Identifier: BSL-1.0
// trap::smtp::Server as Python's smtplib sees it (tests/smtp/smtplib_client.py,
// run with trap::run): send_message to several recipients, an 8BITMIME and
// an SMTPUTF8 message, dot-stuffing both ways, a HELO-only client, STARTTLS
// with and without the server's CA, AUTH PLAIN and LOGIN and a wrong
// password, and the scripted faults as smtplib reports them. What smtplib
// prints was first checked against aiosmtpd 1.4.3 (the 421 greeting
// against a bare socket).
#define BOOST_TEST_MODULE smtp_server_smtplib
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>
#include <trap/smtp.hpp>

using namespace std::chrono_literals;
using trap::smtp::Command;
using trap::smtp::Reply;
using trap::smtp::Server;
using trap::smtp::ServerOptions;

namespace {

struct Run {
  int exit = -1;
  std::string out, err;
};

// smtplib_client.py against the server's port with these steps, sending
// `message` (its stdin).
Run smtplib(const Server& server, std::vector<std::string> steps, std::string message = {}) {
  steps.insert(steps.begin(),
               {TRAP_TEST_PYTHON3, TRAP_TEST_SMTPLIB_CLIENT, std::to_string(server.port())});
  trap::RunOptions options;
  options.input = std::move(message);
  options.timeout = 30s;
  auto t = trap::run(steps, options);
  return Run{t.exit_code().value_or(-1), t.out(), t.err()};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Whether a problem's reason starts with `why`.
bool has_problem(const trap::smtp::ShutdownReport& report, const std::string& why) {
  for (const auto& problem : report.problems)
    if (starts_with(problem.why, why)) return true;
  return false;
}

const std::string kMessage = "From: a@x\r\nTo: b@y\r\nSubject: hello\r\n\r\nhello\r\n";

using Strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_CASE(send_message_to_several_recipients) {
  Server server;
  const std::string message =
      "From: a@x\r\nTo: b@y, c@y\r\nCc: d@y\r\nBcc: e@y\r\nSubject: several\r\n\r\nhello\r\n";
  auto r = smtplib(server, {"send_message"}, message);
  BOOST_TEST(r.exit == 0, r.out << r.err);
  BOOST_TEST(r.out == "send_message none\n");
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->mail_from == "a@x");
  // smtplib takes To, then Bcc, then Cc, and leaves Bcc out of the data.
  BOOST_TEST(m->rcpt_to == (Strings{"b@y", "c@y", "e@y", "d@y"}));
  BOOST_TEST(!m->header("Bcc"));
  BOOST_TEST(m->header("subject").value_or("<none>") == "several");
  BOOST_TEST(m->body == "hello\r\n");
  BOOST_TEST(m->helo == "client.test");
  BOOST_TEST(m->esmtp);
  BOOST_REQUIRE(m->mail_params.size() == 1u);
  BOOST_TEST(starts_with(m->mail_params[0], "size="), m->mail_params[0]);
  BOOST_TEST(!m->tls);
  BOOST_TEST(m->auth_user == "");
  BOOST_TEST(m->peeraddr == "127.0.0.1");
  BOOST_TEST(m->sequence == 1u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(an_8bitmime_body_arrives_as_sent) {
  Server server;
  const std::string body = "Grüße aus Köln, 東京\r\n";
  auto r = smtplib(server, {"sendmail=a@x:b@y:BODY=8BITMIME"}, "Subject: utf-8\r\n\r\n" + body);
  BOOST_TEST(r.exit == 0, r.out << r.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->body == body);
  BOOST_TEST(m->body_type == "8BITMIME");
  BOOST_REQUIRE(m->mail_params.size() == 2u);
  BOOST_TEST(m->mail_params[1] == "BODY=8BITMIME");
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(send_message_uses_smtputf8_for_a_utf8_address) {
  Server server;
  auto r = smtplib(server, {"send_message"},
                   "From: jörg@x.test\r\nTo: b@y\r\nSubject: grüße\r\n\r\nGrüße\r\n");
  BOOST_TEST(r.exit == 0, r.out << r.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->mail_from == "jörg@x.test");
  BOOST_TEST(m->header("Subject").value_or("<none>") == "grüße");
  BOOST_TEST(m->body == "Grüße\r\n");
  BOOST_TEST(m->body_type == "8BITMIME");
  BOOST_REQUIRE(m->mail_params.size() == 3u);
  BOOST_TEST(m->mail_params[1] == "SMTPUTF8");
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(lines_starting_with_a_dot_round_trip) {
  Server server;
  // A lone ".", and lines of one, two and three dots: smtplib stuffs each,
  // the server takes the stuffing off again.
  const std::string message = "Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\n...\r\nend\r\n";
  auto r = smtplib(server, {"sendmail=a@x:b@y"}, message);
  BOOST_TEST(r.exit == 0, r.out << r.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->data == message);
  BOOST_TEST(m->body == ".one\r\n..two\r\n.\r\n...\r\nend\r\n");
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_helo_only_client) {
  Server server;
  auto r = smtplib(server, {"helo", "sendmail=a@x:b@y"}, kMessage);
  BOOST_TEST(r.exit == 0, r.out << r.err);
  BOOST_TEST(r.out == "helo 250\nsendmail none\n");
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(!m->esmtp);
  BOOST_TEST(m->helo == "client.test");
  BOOST_TEST(m->mail_params.empty());  // no SIZE= without EHLO
  BOOST_TEST(m->data == kMessage);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(starttls_trusting_the_servers_ca) {
  ServerOptions options;
  options.starttls = true;
  Server server(options);
  auto r = smtplib(server, {"ehlo", "starttls=" + server.ca_file().string(), "sendmail=a@x:b@y"},
                   kMessage);
  BOOST_TEST(r.exit == 0, r.out << r.err);
  BOOST_TEST(r.out == "ehlo 250\nstarttls 220\nsendmail none\n");
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->tls);
  BOOST_TEST(m->esmtp);  // smtplib says EHLO again under TLS
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(starttls_without_the_ca_fails_verification) {
  ServerOptions options;
  options.starttls = true;
  Server server(options);
  auto r = smtplib(server, {"ehlo", "starttls", "sendmail=a@x:b@y"}, kMessage);
  BOOST_TEST(r.exit == 1, r.out << r.err);
  BOOST_TEST(starts_with(r.out, "ehlo 250\nSSLCertVerificationError "), r.out);
  BOOST_TEST(server.message_count() == 0u);
  auto report = server.shutdown();
  BOOST_TEST(report.open.empty(), report);
  BOOST_TEST(has_problem(report, "tls handshake"), report);
}

BOOST_AUTO_TEST_CASE(auth_plain_login_and_smtplibs_own_choice) {
  ServerOptions options;
  options.credentials = {{"u", "p"}};
  Server server(options);
  for (std::string step : {"auth=PLAIN:u:p", "auth=LOGIN:u:p", "login=u:p"}) {
    auto r = smtplib(server, {"ehlo", step, "sendmail=a@x:b@y"}, kMessage);
    BOOST_TEST(r.exit == 0, step << ": " << r.out << r.err);
    BOOST_TEST(r.out == "ehlo 250\n" + step.substr(0, step.find('=')) + " 235\nsendmail none\n");
    auto m = server.take_message();
    BOOST_REQUIRE(m);
    BOOST_TEST(m->auth_user == "u", step);
  }
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_a_535) {
  ServerOptions options;
  options.credentials = {{"u", "p"}};
  Server server(options);
  for (std::string step : {"auth=PLAIN:u:wrong", "auth=LOGIN:u:wrong"}) {
    auto r = smtplib(server, {"ehlo", step, "sendmail=a@x:b@y"}, kMessage);
    BOOST_TEST(r.exit == 1, r.out << r.err);
    BOOST_TEST(starts_with(r.out, "ehlo 250\nSMTPAuthenticationError 535 "), r.out);
  }
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().open.empty());
}

// ---- the scripted faults, as smtplib reports them

BOOST_AUTO_TEST_CASE(one_of_two_recipients_refused_is_in_sendmails_result) {
  Server server;
  server.reply(Reply::on(Command::rcpt, "nobody@").with(550, "5.1.1 no such user"));
  auto r = smtplib(server, {"sendmail=a@x:b@y,nobody@y"}, kMessage);
  BOOST_TEST(r.exit == 0, r.out << r.err);
  BOOST_TEST(r.out == "sendmail nobody@y 550 5.1.1 no such user\n");
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->rcpt_to == Strings{"b@y"});
  BOOST_TEST(m->data == kMessage);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(every_recipient_refused_is_smtp_recipients_refused) {
  Server server;
  server.reply(Reply::on(Command::rcpt).with(550, "5.1.1 no such user").times(2));
  auto r = smtplib(server, {"sendmail=a@x:b@y,nobody@y"}, kMessage);
  BOOST_TEST(r.exit == 1, r.out << r.err);
  BOOST_TEST(r.out ==
             "SMTPRecipientsRefused b@y 550 5.1.1 no such user; nobody@y 550 5.1.1 no such user\n");
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());  // smtplib said RSET, then QUIT
}

BOOST_AUTO_TEST_CASE(a_451_on_mail_is_smtp_sender_refused) {
  Server server;
  server.reply(Reply::on(Command::mail).with(451, "4.3.0 try again later"));
  auto r = smtplib(server, {"sendmail=a@x:b@y"}, kMessage);
  BOOST_TEST(r.exit == 1, r.out << r.err);
  BOOST_TEST(r.out == "SMTPSenderRefused 451 4.3.0 try again later (a@x)\n");
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_421_that_closes_is_smtp_sender_refused_421) {
  Server server;
  server.reply(Reply::on(Command::mail).with(421, "4.3.2 closing").then_close());
  auto r = smtplib(server, {"sendmail=a@x:b@y"}, kMessage);
  // smtplib reads the 421, closes its end and raises; its QUIT on the way
  // out finds no connection and is skipped.
  BOOST_TEST(r.exit == 1, r.out << r.err);
  BOOST_TEST(r.out == "SMTPSenderRefused 421 4.3.2 closing (a@x)\n");
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.session_count() == 1u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_421_greeting_is_smtp_connect_error) {
  Server server;
  server.reply(Reply::on(Command::connect).with(421, "4.3.2 too busy").then_close());
  auto r = smtplib(server, {"sendmail=a@x:b@y"}, kMessage);
  BOOST_TEST(r.exit == 1, r.out << r.err);
  BOOST_TEST(r.out == "SMTPConnectError 421 4.3.2 too busy\n");
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_421_on_rcpt_is_smtp_recipients_refused) {
  Server server;
  server.reply(Reply::on(Command::rcpt).with(421, "4.3.2 closing").then_close());
  auto r = smtplib(server, {"sendmail=a@x:b@y,c@y"}, kMessage);
  BOOST_TEST(r.exit == 1, r.out << r.err);
  BOOST_TEST(r.out == "SMTPRecipientsRefused b@y 421 4.3.2 closing\n");
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_drop_in_data_is_smtp_server_disconnected) {
  Server server;
  server.reply(Reply::on(Command::data).drop(10));
  auto r = smtplib(server, {"sendmail=a@x:b@y"}, kMessage);
  BOOST_TEST(r.exit == 1, r.out << r.err);
  BOOST_TEST(starts_with(r.out, "SMTPServerDisconnected Connection unexpectedly closed"), r.out);
  BOOST_TEST(server.message_count() == 0u);
  // The server closed the session itself: no problem of the client's.
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_message_over_size_is_refused_with_552) {
  ServerOptions options;
  options.max_message_bytes = 100;
  Server server(options);
  const std::string big = "Subject: big\r\n\r\n" + std::string(200, 'x') + "\r\n";
  // With EHLO smtplib gives SIZE= and MAIL is refused; with HELO the
  // server finds out at the end of the data.
  auto ehlo = smtplib(server, {"sendmail=a@x:b@y"}, big);
  BOOST_TEST(ehlo.exit == 1, ehlo.out << ehlo.err);
  BOOST_TEST(starts_with(ehlo.out, "SMTPSenderRefused 552 "), ehlo.out);
  auto helo = smtplib(server, {"helo", "sendmail=a@x:b@y"}, big);
  BOOST_TEST(helo.exit == 1, helo.out << helo.err);
  BOOST_TEST(starts_with(helo.out, "helo 250\nSMTPDataError 552 "), helo.out);
  auto fits = smtplib(server, {"sendmail=a@x:b@y"}, kMessage);
  BOOST_TEST(fits.exit == 0, fits.out << fits.err);
  BOOST_TEST(server.message_count() == 1u);
  // Both are the client's mistakes: a MAIL SIZE= (smtplib writes "mail") and
  // a message over the limit.
  const auto problems = server.problems();
  BOOST_REQUIRE(problems.size() == 2u);
  BOOST_TEST(problems[0].code == 552);
  BOOST_TEST(starts_with(problems[0].input, "mail FROM:<a@x> size="), problems[0].input);
  BOOST_TEST(problems[1].code == 552);
  BOOST_TEST(server.shutdown().open.empty());
}
