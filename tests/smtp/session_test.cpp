// SPDX-License-Identifier: BSL-1.0
// trap::smtp's session over bytes, without a socket: the greeting, every
// command's replies and errors, lines (pipelined, split anywhere, too
// long), DATA's dot-unstuffing and limits, the message and its headers,
// STARTTLS and the reset after it, scripted replies of each kind, the
// session's ends, and the problems recorded on the way.
#define BOOST_TEST_MODULE smtp_session
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/smtp.hpp>

#include "smtp/fake_session_host.hpp"

using trap::smtp::After;
using trap::smtp::Command;
using trap::smtp::Problem;
using trap::smtp::Reply;
using trap::smtp::detail::Actions;
using trap::smtp::test::SessionFixture;

namespace {

const std::string kEhlo =
    "250-trap.test Hello client.test\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10485760\r\n"
    "250-8BITMIME\r\n"
    "250-SMTPUTF8\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250 HELP\r\n";

const std::string kWholeSession =
    "EHLO client.test\r\n"
    "MAIL FROM:<a@b.test> BODY=8BITMIME\r\n"
    "RCPT TO:<c@d.test>\r\n"
    "RCPT TO:<e@f.test>\r\n"
    "DATA\r\n"
    "Subject: hi\r\n"
    "\r\n"
    "..dot\r\n"
    ".\r\n"
    "QUIT\r\n";

const std::string kWholeReplies = kEhlo +
                                  "250 2.1.0 OK\r\n"
                                  "250 2.1.5 OK\r\n"
                                  "250 2.1.5 OK\r\n"
                                  "354 End data with <CR><LF>.<CR><LF>\r\n"
                                  "250 2.0.0 OK: queued\r\n"
                                  "221 2.0.0 Bye\r\n";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(session, SessionFixture)

BOOST_AUTO_TEST_CASE(greeting_names_the_host) {
  options.hostname = "mx.example";
  start();
  BOOST_TEST(greeting == "220 mx.example ESMTP trap\r\n");
  BOOST_TEST(!last.close);
  BOOST_TEST(host.asked.size() == 1u);
  BOOST_TEST((host.asked[0].first == Command::connect));
}

BOOST_AUTO_TEST_CASE(a_whole_session_in_one_batch) {
  start();
  BOOST_TEST(say(kWholeSession) == kWholeReplies);
  BOOST_TEST(last.close);
  BOOST_TEST(session->quit());
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  const auto& m = host.accepted_messages[0];
  BOOST_TEST(m.mail_from == "a@b.test");
  BOOST_TEST(m.mail_params == std::vector<std::string>{"BODY=8BITMIME"});
  BOOST_TEST(m.rcpt_to == (std::vector<std::string>{"c@d.test", "e@f.test"}));
  BOOST_TEST(m.data == "Subject: hi\r\n\r\n.dot\r\n");
  BOOST_TEST(m.body == ".dot\r\n");
  BOOST_TEST(m.header("subject") == "hi");
  BOOST_TEST(m.body_type == "8BITMIME");
  BOOST_TEST(m.helo == "client.test");
  BOOST_TEST(m.esmtp);
  BOOST_TEST(!m.tls);
  BOOST_TEST(m.auth_user == "");
  BOOST_TEST(m.peeraddr == "127.0.0.1");
  BOOST_TEST(m.peerport == 40122);
  BOOST_TEST(m.session == 7u);
  session->end();
  BOOST_TEST(host.problems.empty());
}

BOOST_AUTO_TEST_CASE(split_at_every_byte_says_the_same) {
  for (std::size_t cut = 0; cut <= kWholeSession.size(); ++cut) {
    start();
    host.accepted_messages.clear();
    std::string out = say(kWholeSession.substr(0, cut));
    out += say(kWholeSession.substr(cut));
    BOOST_TEST(out == kWholeReplies, "cut at " << cut);
    BOOST_TEST(host.accepted_messages.size() == 1u);
  }
  start();
  host.accepted_messages.clear();
  std::string out;
  for (char c : kWholeSession) out += say(std::string(1, c));
  BOOST_TEST(out == kWholeReplies);
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].data == "Subject: hi\r\n\r\n.dot\r\n");
}

BOOST_AUTO_TEST_CASE(lf_alone_ends_a_line_and_commands_are_case_insensitive) {
  start();
  BOOST_TEST(say("ehlo client.test\nmail from: <a@b>\nrcpt to:<c@d>\nnoop\n") ==
             kEhlo + "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK\r\n");
  BOOST_TEST(say("Rset\r\n") == "250 2.0.0 OK\r\n");
  BOOST_TEST(say("rcpt to:<c@d>\r\n") == "503 5.5.1 Error: need MAIL command\r\n");
  // Every CR before the LF goes with it, as aiosmtpd strips a line.
  const auto problems = host.problems.size();
  BOOST_TEST(say("NOOP\r\r\n") == "250 2.0.0 OK\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b>\r\r\r\n") == "250 2.1.0 OK\r\n");
  BOOST_TEST(host.problems.size() == problems);
}

BOOST_AUTO_TEST_CASE(ehlo_offers_starttls_and_auth_when_it_can) {
  tls_available = true;
  options.credentials = {{"u", "p"}};
  options.max_message_bytes = 1234;
  start();
  BOOST_TEST(say("EHLO x\r\n") ==
             "250-trap.test Hello x\r\n250-PIPELINING\r\n250-SIZE 1234\r\n250-8BITMIME\r\n"
             "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n"
             "250-AUTH PLAIN LOGIN\r\n250 HELP\r\n");
}

// HELP lists AUTH and STARTTLS only where EHLO offers them, as aiosmtpd's
// HELP lists only the commands it offers (STARTTLS without a TLS context).
BOOST_AUTO_TEST_CASE(help_lists_only_what_ehlo_offers) {
  const std::string plain = "DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET";
  start();
  BOOST_TEST(say("HELP\r\n") == "214 2.0.0 Supported commands: " + plain + " VRFY\r\n");
  BOOST_TEST(say("EHLO x\r\n").find("STARTTLS") == std::string::npos);
  tls_available = true;
  start();
  BOOST_TEST(say("HELP\r\n") == "214 2.0.0 Supported commands: " + plain + " STARTTLS VRFY\r\n");
  session->tls_started();  // EHLO no longer offers STARTTLS, nor does HELP
  BOOST_TEST(say("HELP\r\n") == "214 2.0.0 Supported commands: " + plain + " VRFY\r\n");
  tls_available = false;
  options.credentials = {{"u", "p"}};
  start();
  BOOST_TEST(say("HELP\r\n") == "214 2.0.0 Supported commands: AUTH " + plain + " VRFY\r\n");
  BOOST_TEST(host.problems.empty());
}

// HELP <command> gives its syntax in aiosmtpd's words, MAIL's and RCPT's
// parameters after EHLO; a command not offered gets 501 and the list, as
// aiosmtpd answers "HELP FOO".
BOOST_AUTO_TEST_CASE(help_with_a_command_gives_its_syntax) {
  start();
  BOOST_TEST(say("HELP mail\r\n") == "214 2.0.0 Syntax: MAIL FROM: <address>\r\n");
  BOOST_TEST(say("HELP VRFY\r\n") == "214 2.0.0 Syntax: VRFY <address>\r\n");
  BOOST_TEST(say("EHLO x\r\n").starts_with("250-"));
  BOOST_TEST(say("HELP RCPT\r\n") ==
             "214 2.0.0 Syntax: RCPT TO: <address> [SP <mail-parameters>]\r\n");
  BOOST_TEST(say("HELP HELP\r\n") == "214 2.0.0 Syntax: HELP [command]\r\n");
  const std::string list = "DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY";
  BOOST_TEST(say("HELP FOO\r\n") == "501 5.5.4 Supported commands: " + list + "\r\n");
  // Neither AUTH without credentials nor STARTTLS without TLS is offered.
  BOOST_TEST(say("HELP AUTH\r\n") == "501 5.5.4 Supported commands: " + list + "\r\n");
  BOOST_TEST(say("HELP STARTTLS\r\n") == "501 5.5.4 Supported commands: " + list + "\r\n");
  BOOST_TEST(host.whys() == (std::vector<std::string>{"HELP for a command not offered: FOO",
                                                      "HELP for a command not offered: AUTH",
                                                      "HELP for a command not offered: STARTTLS"}));
  tls_available = true;
  options.credentials = {{"u", "p"}};
  start();
  BOOST_TEST(say("HELP starttls\r\n") == "214 2.0.0 Syntax: STARTTLS\r\n");
  BOOST_TEST(say("HELP AUTH\r\n") == "214 2.0.0 Syntax: AUTH <mechanism>\r\n");
}

BOOST_AUTO_TEST_CASE(helo_and_ehlo_need_a_name) {
  start();
  BOOST_TEST(say("EHLO\r\n") == "501 5.5.4 Syntax: EHLO hostname\r\n");
  BOOST_TEST(say("HELO   \r\n") == "501 5.5.4 Syntax: HELO hostname\r\n");
  BOOST_TEST(say("HELO old.test\r\n") == "250 trap.test\r\n");
  BOOST_TEST(host.problems.size() == 2u);
  BOOST_TEST((host.problems[0] == Problem{session->info(), "EHLO", 501, "EHLO without a name"}));
  BOOST_TEST(host.problems[1].input == "HELO   ");
}

BOOST_AUTO_TEST_CASE(helo_resets_the_transaction_and_says_no_esmtp) {
  start();
  envelope();
  BOOST_TEST(say("HELO old.test\r\nDATA\r\n") ==
             "250 trap.test\r\n503 5.5.1 Error: need RCPT command\r\n");
  // ESMTP's parameters after HELO are bad syntax, as aiosmtpd answers.
  BOOST_TEST(say("MAIL FROM:<a@b> SIZE=10\r\n") == "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  BOOST_TEST(host.whys().back() == "MAIL parameters after HELO");
  BOOST_TEST(say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d> NOTIFY=NEVER\r\nRSET\r\n") ==
             "250 2.1.0 OK\r\n501 5.5.4 Syntax: RCPT TO:<address>\r\n250 2.0.0 OK\r\n");
  BOOST_TEST(host.whys().back() == "RCPT parameters after HELO");
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].helo == "old.test");
  BOOST_TEST(!host.accepted_messages[0].esmtp);
}

BOOST_AUTO_TEST_CASE(mail_errors) {
  start();
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "503 5.5.1 Error: send HELO first\r\n");
  ehlo();
  for (const char* bad : {"MAIL FROM:a@b\r\n", "MAIL TO:<a@b>\r\n", "MAIL\r\n",
                          "MAIL FROM:<a@b\r\n", "MAIL FROM:<a b@c>\r\n", "MAIL FROM:<a@b>x\r\n"})
    BOOST_TEST(say(bad) == "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", bad);
  const std::string unknown =
      "555 5.5.4 MAIL FROM parameters not recognized or not implemented\r\n";
  BOOST_TEST(say("MAIL FROM:<a@b> RET=HDRS\r\n") == unknown);
  BOOST_TEST(say("MAIL FROM:<a@b> AUTH=<>\r\n") == unknown);  // no AUTH offered
  BOOST_TEST(say("MAIL FROM:<a@b> SIZE=10485761\r\n") ==
             "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b> SIZE=99999999999999999999999999\r\n").starts_with("552 "));
  BOOST_TEST(say("MAIL FROM:<> SIZE=10485760 body=7bit SMTPUTF8\r\n") == "250 2.1.0 OK\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "503 5.5.1 Error: nested MAIL command\r\n");
  BOOST_TEST(host.whys() ==
             (std::vector<std::string>{"MAIL before HELO", "bad MAIL syntax", "bad MAIL syntax",
                                       "bad MAIL syntax", "bad MAIL syntax", "bad MAIL syntax",
                                       "bad MAIL syntax", "unknown MAIL parameter",
                                       "unknown MAIL parameter", "SIZE over the limit",
                                       "SIZE over the limit", "nested MAIL"}));
  say("RCPT TO:<x@y>\r\nDATA\r\n\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  const auto& m = host.accepted_messages[0];
  BOOST_TEST(m.mail_from == "");
  BOOST_TEST(m.mail_params == (std::vector<std::string>{"SIZE=10485760", "body=7bit", "SMTPUTF8"}));
  BOOST_TEST(m.body_type == "7BIT");
}

// A malformed parameter is a syntax error in parameters, 501 5.5.4 (RFC
// 5321 4.1.2 and 4.2.3, RFC 1870's size-value, RFC 1652's BODY values), as
// aiosmtpd answers; one well formed but unknown stays 555, a SIZE over the
// limit 552; nothing of a refused MAIL is kept.
BOOST_AUTO_TEST_CASE(a_malformed_mail_parameter_is_a_syntax_error) {
  start();
  ehlo();
  const std::string syntax = "501 5.5.4 Syntax: MAIL FROM:<address> [SP <mail-parameters>]\r\n";
  for (const char* bad :
       {"SIZE=", "SIZE==1", "=1", "-X=1", "X=a=b", "SIZE=1\tBODY=7BIT", "SIZE=10 BODY="})
    BOOST_TEST(say("MAIL FROM:<a@b> " + std::string(bad) + "\r\n") == syntax, bad);
  for (const char* bad : {"SIZE", "SIZE=ten", "SIZE=-1", "SIZE=+1", "size=1x"})
    BOOST_TEST(
        say("MAIL FROM:<a@b> " + std::string(bad) + "\r\n") == "501 5.5.4 Syntax: SIZE=<size>\r\n",
        bad);
  for (const char* bad : {"BODY", "BODY=X", "BODY=BINARYMIME"})
    BOOST_TEST(say("MAIL FROM:<a@b> " + std::string(bad) + "\r\n") ==
                   "501 5.5.4 Error: BODY can only be one of 7BIT, 8BITMIME\r\n",
               bad);
  BOOST_TEST(say("MAIL FROM:<a@b> SMTPUTF8=yes\r\n") ==
             "501 5.5.4 Error: SMTPUTF8 takes no arguments\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b> SIZE=10485761 SIZE=\r\n") == syntax);
  BOOST_TEST(say("MAIL FROM:<a@b> SIZE=10485761\r\n").starts_with("552 5.3.4 "));
  BOOST_TEST(say("RCPT TO:<c@d>\r\n") == "503 5.5.1 Error: need MAIL command\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b> SIZE=0 X-1=y\r\n").starts_with("555 "));
  BOOST_TEST(host.problems.size() == 20u);
  BOOST_TEST((host.problems[0] ==
              Problem{session->info(), "MAIL FROM:<a@b> SIZE=", 501, "bad MAIL parameter syntax"}));
  BOOST_TEST(host.problems[7].why == "bad SIZE value");
  BOOST_TEST(host.problems[12].why == "bad BODY value");
  BOOST_TEST(host.problems[15].why == "SMTPUTF8 with a value");
  // RCPT's parameters: malformed 501, well formed 555 (none is known).
  BOOST_TEST(say("MAIL FROM:<a@b> SIZE=0\r\n") == "250 2.1.0 OK\r\n");
  BOOST_TEST(say("RCPT TO:<c@d> NOTIFY=\r\n") ==
             "501 5.5.4 Syntax: RCPT TO:<address> [SP <rcpt-parameters>]\r\n");
  BOOST_TEST(host.whys().back() == "bad RCPT parameter syntax");
}

BOOST_AUTO_TEST_CASE(mail_auth_parameter_needs_a_value_where_auth_is_offered) {
  options.credentials = {{"u", "p"}};
  start();
  ehlo();
  BOOST_TEST(say("MAIL FROM:<a@b> AUTH\r\n") == "501 5.5.4 Syntax: AUTH=<mailbox>\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b> AUTH=<>\r\n") == "250 2.1.0 OK\r\n");
  BOOST_TEST(host.whys() == std::vector<std::string>{"bad AUTH value"});
}

BOOST_AUTO_TEST_CASE(a_quoted_local_part_may_hold_spaces_and_brackets) {
  start();
  ehlo();
  // RFC 5321's Quoted-string (what Python's smtplib sends for "a b"@x).
  BOOST_TEST(say("MAIL FROM:<\"a b\"@x> SIZE=10\r\n") == "250 2.1.0 OK\r\n");
  BOOST_TEST(say("RCPT TO:<\"c>d\"@y>\r\n") == "250 2.1.5 OK\r\n");
  BOOST_TEST(say("RCPT TO:<\"e\\\"f\"@y>\r\n") == "250 2.1.5 OK\r\n");
  for (const char* bad : {"RCPT TO:<\"a b@y>\r\n", "RCPT TO:<a\"b c\"d e@y>\r\n",
                          "RCPT TO:<\"a\tb\"@y>\r\n", "RCPT TO:<\"a\\\x01\"@y>\r\n"})
    BOOST_TEST(say(bad) == "501 5.5.4 Syntax: RCPT TO:<address>\r\n", bad);
  say("DATA\r\n\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  const auto& m = host.accepted_messages[0];
  BOOST_TEST(m.mail_from == "\"a b\"@x");
  BOOST_TEST(m.mail_params == std::vector<std::string>{"SIZE=10"});
  BOOST_TEST(m.rcpt_to == (std::vector<std::string>{"\"c>d\"@y", "\"e\\\"f\"@y"}));
}

BOOST_AUTO_TEST_CASE(mail_requires_tls_then_auth_when_told) {
  options.require_tls = true;
  options.require_auth = true;
  start();
  ehlo();
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "530 5.7.0 Must issue a STARTTLS command first\r\n");
  session->tls_started();
  ehlo();
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "530 5.7.0 Authentication required\r\n");
  BOOST_TEST(host.whys() == (std::vector<std::string>{"MAIL before STARTTLS", "MAIL before AUTH"}));
}

BOOST_AUTO_TEST_CASE(rcpt_errors_and_the_recipient_limit) {
  options.max_recipients = 2;
  start();
  ehlo();
  BOOST_TEST(say("RCPT TO:<a@b>\r\n") == "503 5.5.1 Error: need MAIL command\r\n");
  say("MAIL FROM:<a@b>\r\n");
  BOOST_TEST(say("RCPT TO:<>\r\n") == "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  BOOST_TEST(say("RCPT <a@b>\r\n") == "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  BOOST_TEST(say("RCPT TO:<a@b> NOTIFY=NEVER\r\n") ==
             "555 5.5.4 RCPT TO parameters not recognized or not implemented\r\n");
  BOOST_TEST(say("RCPT TO:<1@b>\r\nRCPT TO: <2@b>\r\nRCPT TO:<3@b>\r\n") ==
             "250 2.1.5 OK\r\n250 2.1.5 OK\r\n452 4.5.3 Too many recipients\r\n");
  BOOST_TEST(host.whys() ==
             (std::vector<std::string>{"RCPT before MAIL", "bad RCPT syntax", "bad RCPT syntax",
                                       "unknown RCPT parameter", "too many recipients"}));
  BOOST_TEST(host.problems.back().input == "RCPT TO:<3@b>");
  BOOST_TEST(host.problems.back().code == 452);
}

BOOST_AUTO_TEST_CASE(data_errors) {
  start();
  ehlo();
  BOOST_TEST(say("DATA\r\n") == "503 5.5.1 Error: need RCPT command\r\n");
  say("MAIL FROM:<a@b>\r\n");
  BOOST_TEST(say("DATA\r\n") == "503 5.5.1 Error: need RCPT command\r\n");
  say("RCPT TO:<c@d>\r\n");
  BOOST_TEST(say("DATA now\r\n") == "501 5.5.4 Syntax: DATA\r\n");
  BOOST_TEST(host.whys() == (std::vector<std::string>{"DATA before RCPT", "DATA before RCPT",
                                                      "DATA with an argument"}));
  BOOST_TEST(session->idle() == false);  // still in its transaction
}

BOOST_AUTO_TEST_CASE(dot_unstuffing_edge_cases) {
  start();
  envelope();
  say("DATA\r\n");
  const std::string content =
      "..\r\n"     // a line "." once unstuffed
      "...\r\n"    // ".."
      "a.b\r\n"    // a dot in the middle stays
      " .\r\n"     // not at the start
      ".\r\r\n"    // not the terminator
      ". \r\n"     // not the terminator either
      "lf only\n"  // a bare LF ends no SMTP line (RFC 5321 2.3.8), so
      ".\n"        // this is no terminator, and
      "..\r\n"     // this dot no stuffed one: both in the line "lf only"
      "..\n";      // but this one is (its line starts after a CR LF)
  BOOST_TEST(say(content) == "");
  BOOST_TEST(say(".\n") == "");    // an LF-only terminator is content
  BOOST_TEST(say(".\r\n") == "");  // after a bare LF: content too
  BOOST_TEST(say("\r\n.\r\n") == "250 2.0.0 OK: queued\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].data ==
             ".\r\n..\r\na.b\r\n .\r\n\r\r\n \r\nlf only\n.\n..\r\n.\n.\n.\r\n\r\n");
  BOOST_TEST(host.accepted_messages[0].headers.empty());
  BOOST_TEST(host.accepted_messages[0].body == host.accepted_messages[0].data);
}

// SMTP smuggling: a client (or a relay) that takes "\n.\n" or
// "\n.\r\n" for the end of data makes what follows a second message. Only
// <CRLF>.<CRLF> ends the data here, as in RFC 5321 and Postfix.
BOOST_AUTO_TEST_CASE(only_crlf_dot_crlf_ends_the_data) {
  start();
  envelope();
  say("DATA\r\n");
  BOOST_TEST(say("Subject: one\r\n\r\nline\n.\r\nMAIL FROM:<x@y>\r\n") == "");
  BOOST_TEST(say("line\r\n.\n") == "");  // a stuffed dot, then a bare LF
  BOOST_TEST(say("\r\n.\r\n") == "250 2.0.0 OK: queued\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].body == "line\n.\r\nMAIL FROM:<x@y>\r\nline\r\n\n\r\n");
}

BOOST_AUTO_TEST_CASE(the_terminator_split_over_feeds) {
  start();
  envelope();
  say("DATA\r\nline\r");
  BOOST_TEST(say("\n") == "");
  BOOST_TEST(say(".") == "");
  BOOST_TEST(say("\r") == "");
  BOOST_TEST(say("\nNOOP\r\n") == "250 2.0.0 OK: queued\r\n250 2.0.0 OK\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].data == "line\r\n");
  // An empty message.
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
  BOOST_TEST(say(".\r\n") == "250 2.0.0 OK: queued\r\n");
  BOOST_TEST(host.accepted_messages.at(1).data == "");
}

BOOST_AUTO_TEST_CASE(headers_unfolded_and_trimmed) {
  start();
  envelope();
  say("DATA\r\n"
      "Subject:  a long\r\n"
      "\tsubject  \r\n"
      "X-Empty:\r\n"
      "from: x@y\r\n"
      "  folded twice\r\n"
      "\r\n"
      "Not: a header\r\n"
      ".\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  const auto& m = host.accepted_messages[0];
  BOOST_TEST(m.headers.size() == 3u);
  BOOST_TEST(m.headers[0].name == "Subject");
  BOOST_TEST(m.headers[0].value == "a long\tsubject");
  BOOST_TEST(m.headers[1].name == "X-Empty");
  BOOST_TEST(m.headers[1].value == "");
  BOOST_TEST(m.header("FROM") == "x@y  folded twice");
  BOOST_TEST(!m.header("Not").has_value());
  BOOST_TEST(m.body == "Not: a header\r\n");
}

BOOST_AUTO_TEST_CASE(headers_without_a_body_or_without_headers) {
  start();
  envelope();
  say("DATA\r\nSubject: only\r\n.\r\n");
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n not a field\r\nSubject: x\r\n\r\nb\r\n.\r\n");
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nno colon here\r\n\r\nb\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 3u);
  BOOST_TEST(host.accepted_messages[0].header("Subject") == "only");
  BOOST_TEST(host.accepted_messages[0].body == "");
  for (int i : {1, 2}) {
    BOOST_TEST(host.accepted_messages[i].headers.empty());
    BOOST_TEST(host.accepted_messages[i].body == host.accepted_messages[i].data);
  }
}

BOOST_AUTO_TEST_CASE(a_command_line_over_the_limit) {
  options.max_line_bytes = 20;
  start();
  const std::string fits = "NOOP " + std::string(13, 'x') + "\r\n";  // 20 bytes
  BOOST_TEST(say(fits) == "250 2.0.0 OK\r\n");
  const std::string over = "NOOP " + std::string(14, 'x') + "\r\n";
  BOOST_TEST(say(over) == "500 5.5.2 Error: line too long\r\n");
  // A long line in pieces: answered once, at its end; the rest is skipped.
  BOOST_TEST(say("NOOP " + std::string(300, 'y')) == "");
  BOOST_TEST(say(std::string(300, 'z')) == "");
  BOOST_TEST(say("QUIT\r\nNOOP\r\n") == "500 5.5.2 Error: line too long\r\n250 2.0.0 OK\r\n");
  BOOST_TEST(host.whys() == (std::vector<std::string>{"line too long", "line too long"}));
  BOOST_TEST(host.problems[1].input == "NOOP " + std::string(195, 'y'));
  BOOST_TEST(!session->quit());
}

// RFC 5321 4.5.3.1.4: a command line is 512 octets at most, its CRLF
// included; after EHLO, MAIL's may be longer by what the extensions
// offered add (RFC 1870 SIZE 26, RFC 1652 BODY 16, RFC 6531 SMTPUTF8 10,
// RFC 4954 AUTH= 500). aiosmtpd answers a longer one 500 as well; a DATA
// line keeps the 1000 of text lines.
BOOST_AUTO_TEST_CASE(a_command_line_over_512_bytes) {
  start();
  const std::string too_long = "500 5.5.2 Error: line too long\r\n";
  auto noop = [](std::size_t size) { return "NOOP " + std::string(size - 7, 'x') + "\r\n"; };
  BOOST_TEST(say(noop(512)) == "250 2.0.0 OK\r\n");
  BOOST_TEST(say(noop(513)) == too_long);
  BOOST_TEST(say(noop(1000)) == too_long);
  // MAIL before EHLO: no extension, 512.
  auto mail = [](std::size_t size) {
    const std::string start = "MAIL FROM:<";
    return start + std::string(size - start.size() - 3, 'a') + ">\r\n";
  };
  BOOST_TEST(say(mail(513)) == too_long);
  ehlo();
  BOOST_TEST(say(mail(565)) == too_long);
  BOOST_TEST(say(mail(564)).starts_with("250 "));
  BOOST_TEST(say("RSET\r\nDATA\r\n").starts_with("250 2.0.0 OK\r\n503 "));
  BOOST_TEST(host.whys() ==
             (std::vector<std::string>{"line too long", "line too long", "line too long",
                                       "line too long", "DATA before RCPT"}));
  envelope();
  const std::string text = std::string(998, 'y') + "\r\n";  // 1000
  BOOST_TEST(say("DATA\r\n" + text + ".\r\n") ==
             "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK: queued\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].data == text);
}

BOOST_AUTO_TEST_CASE(mail_may_be_longer_where_auth_is_offered) {
  options.credentials = {{"u", "p"}};
  options.max_line_bytes = 2000;  // RFC 4954's 500 more is the limit all the same
  start();
  ehlo();
  auto mail = [](std::size_t size) {
    const std::string start = "MAIL FROM:<a@b> AUTH=";
    return start + std::string(size - start.size() - 2, 'x') + "\r\n";
  };
  BOOST_TEST(say(mail(1064)) == "250 2.1.0 OK\r\n");
  BOOST_TEST(say("RSET\r\n" + mail(1065)) == "250 2.0.0 OK\r\n500 5.5.2 Error: line too long\r\n");
  options.max_line_bytes = 1000;  // a lower limit holds for commands too
  start();
  ehlo();
  BOOST_TEST(say(mail(1001)) == "500 5.5.2 Error: line too long\r\n");
  BOOST_TEST(say(mail(1000)) == "250 2.1.0 OK\r\n");
}

BOOST_AUTO_TEST_CASE(a_message_over_the_limit_is_read_to_its_end) {
  options.max_message_bytes = 10;
  start();
  envelope();
  BOOST_TEST(say("DATA\r\n12345678\r\n") == "354 End data with <CR><LF>.<CR><LF>\r\n");
  BOOST_TEST(say("x\r\nQUIT\r\n") == "");  // content, not a command
  BOOST_TEST(say(".\r\n") == "552 5.3.4 Error: Too much mail data\r\n");
  BOOST_TEST(host.accepted_messages.empty());
  BOOST_TEST(host.whys() == std::vector<std::string>{"message too big"});
  BOOST_TEST(host.problems[0].input == ".");
  BOOST_TEST(say("RCPT TO:<c@d>\r\n") == "503 5.5.1 Error: need MAIL command\r\n");
  // Exactly at the limit (dot-unstuffed) passes.
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
  BOOST_TEST(say("..345678\r\n.\r\n") == "250 2.0.0 OK: queued\r\n");
  BOOST_TEST(host.accepted_messages.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_content_line_over_the_limit) {
  options.max_line_bytes = 10;
  start();
  options.max_line_bytes = 100;  // the commands fit
  envelope();
  options.max_line_bytes = 10;
  say("DATA\r\n12345678\r\n");
  BOOST_TEST(say("123456789\r\n.\r\n") == "500 5.5.2 Error: line too long\r\n");
  BOOST_TEST(host.whys() == std::vector<std::string>{"line too long in DATA"});
  BOOST_TEST(host.accepted_messages.empty());
  BOOST_TEST(session->idle());
}

BOOST_AUTO_TEST_CASE(rset_noop_vrfy_help_quit) {
  start();
  envelope();
  BOOST_TEST(say("RSET\r\n") == "250 2.0.0 OK\r\n");
  BOOST_TEST(session->idle());
  BOOST_TEST(say("NOOP anything\r\n") == "250 2.0.0 OK\r\n");
  BOOST_TEST(say("VRFY bob\r\n") ==
             "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n");
  BOOST_TEST(say("VRFY\r\n").starts_with("501 5.5.4 "));
  // 214, help (RFC 5321 4.2.2), with an enhanced status (RFC 2034).
  BOOST_TEST(say("HELP\r\n") ==
             "214 2.0.0 Supported commands: DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY\r\n");
  BOOST_TEST(say("QUIT\r\nNOOP\r\n") == "221 2.0.0 Bye\r\n");
  BOOST_TEST(last.close);
  BOOST_TEST(session->quit());
  BOOST_TEST(say("NOOP\r\n") == "");  // nothing more once closing
  BOOST_TEST(host.whys() == std::vector<std::string>{"VRFY without an address"});
}

BOOST_AUTO_TEST_CASE(rset_and_quit_take_no_argument) {
  start();
  envelope();
  // RFC 5321 4.1.1.5 and 4.1.1.10, as DATA: "RSET" CRLF, "QUIT" CRLF.
  BOOST_TEST(say("RSET all\r\n") == "501 5.5.4 Syntax: RSET\r\n");
  BOOST_TEST(!session->idle());  // the transaction goes on
  BOOST_TEST(say("QUIT now\r\n") == "501 5.5.4 Syntax: QUIT\r\n");
  BOOST_TEST(!last.close);
  BOOST_TEST(host.whys() ==
             (std::vector<std::string>{"RSET with an argument", "QUIT with an argument"}));
  BOOST_TEST(host.problems[1].input == "QUIT now");
  BOOST_TEST(say("RSET \r\nQUIT\r\n") == "250 2.0.0 OK\r\n221 2.0.0 Bye\r\n");
}

BOOST_AUTO_TEST_CASE(expn_is_known_but_not_implemented) {
  start();
  ehlo();
  BOOST_TEST(say("EXPN staff\r\n") == "502 5.5.1 Error: command not implemented\r\n");
  BOOST_TEST(host.whys() == std::vector<std::string>{"EXPN not implemented"});
  BOOST_TEST(host.problems[0].code == 502);
}

BOOST_AUTO_TEST_CASE(unknown_commands_and_empty_lines) {
  start();
  BOOST_TEST(say("XYZ abc\r\n") == "500 5.5.2 Error: command \"XYZ\" not recognized\r\n");
  BOOST_TEST(say("\r\n") == "500 5.5.2 Error: bad syntax\r\n");
  BOOST_TEST(say("B\x01\rD\r\n") == "500 5.5.2 Error: command \"B??D\" not recognized\r\n");
  BOOST_TEST(host.whys() ==
             (std::vector<std::string>{"unknown command", "empty line", "unknown command"}));
  BOOST_TEST(host.problems[0].input == "XYZ abc");
  BOOST_TEST(host.problems[0].code == 500);
}

BOOST_AUTO_TEST_CASE(problem_input_is_cut_at_200_bytes) {
  start();
  say("X" + std::string(300, 'a') + "\r\n");
  BOOST_REQUIRE(host.problems.size() == 1u);
  BOOST_TEST(host.problems[0].input.size() == 200u);
}

BOOST_AUTO_TEST_CASE(starttls_errors) {
  start();
  BOOST_TEST(say("STARTTLS\r\n") == "454 4.7.0 TLS not available\r\n");
  tls_available = true;
  start();
  BOOST_TEST(say("STARTTLS now\r\n") == "501 5.5.4 Syntax: STARTTLS\r\n");
  session->tls_started();
  BOOST_TEST(say("STARTTLS\r\n") == "503 5.5.1 Error: TLS already active\r\n");
  BOOST_TEST(host.whys() ==
             (std::vector<std::string>{"STARTTLS not offered", "STARTTLS with an argument",
                                       "STARTTLS under TLS"}));
}

BOOST_AUTO_TEST_CASE(starttls_drops_what_follows_and_starts_over) {
  tls_available = true;
  options.credentials = {{"u", "p"}};
  start();
  envelope();
  BOOST_TEST(say("STARTTLS\r\nMAIL FROM:<evil@x>\r\n") == "220 2.0.0 Ready to start TLS\r\n");
  BOOST_TEST(last.start_tls);
  BOOST_TEST(!last.close);
  session->tls_started();
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "503 5.5.1 Error: send HELO first\r\n");
  const std::string ehlo_tls = say("EHLO again\r\n");
  BOOST_TEST(ehlo_tls.find("STARTTLS") == std::string::npos);
  BOOST_TEST(ehlo_tls.find("250-AUTH PLAIN LOGIN\r\n") != std::string::npos);
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].tls);
  BOOST_TEST(host.accepted_messages[0].helo == "again");
}

BOOST_AUTO_TEST_CASE(end_after_quit_or_a_close_is_no_problem) {
  start();
  say("QUIT\r\n");
  session->end();
  start();
  Actions a;
  session->shutting_down(a);
  BOOST_TEST(a.out == "421 4.3.2 trap.test Service shutting down\r\n");
  BOOST_TEST(a.close);
  session->end();
  start();
  host.replies.push_back(Reply::on(Command::noop).with(421, "4.3.2 bye").then_close());
  BOOST_TEST(say("NOOP\r\n") == "421 4.3.2 bye\r\n");
  BOOST_TEST(last.close);
  session->end();
  BOOST_TEST(host.problems.empty());
}

BOOST_AUTO_TEST_CASE(end_without_quit_is_a_problem) {
  start();
  envelope();
  session->end();
  session->end();  // once only
  start();
  envelope();
  say("DATA\r\n12345");
  say("678\r\n");
  session->end();
  BOOST_TEST(host.problems.size() == 2u);
  BOOST_TEST((host.problems[0] == Problem{session->info(), "", 0, "closed without QUIT"}));
  BOOST_TEST(
      (host.problems[1] == Problem{session->info(), "", 0, "closed in DATA after 10 bytes"}));
  BOOST_TEST(host.accepted_messages.empty());
}

BOOST_AUTO_TEST_CASE(idle_timeout_closes_with_a_problem) {
  start();
  say("NOOP\r\n");
  Actions a;
  session->idle_timeout(a);
  BOOST_TEST(a.out == "421 4.4.2 trap.test Error: timeout exceeded\r\n");
  BOOST_TEST(a.close);
  session->end();
  BOOST_TEST((host.problems == std::vector<Problem>{{session->info(), "", 421, "idle timeout"}}));
}

BOOST_AUTO_TEST_CASE(idle_only_between_transactions) {
  options.credentials = {{"u", "p"}};
  start();
  BOOST_TEST(session->idle());
  ehlo();
  BOOST_TEST(session->idle());
  say("MAIL FROM:<a@b>\r\n");
  BOOST_TEST(!session->idle());
  say("RCPT TO:<c@d>\r\nDATA\r\n");
  BOOST_TEST(!session->idle());
  say(".\r\n");
  BOOST_TEST(session->idle());
  say("AUTH LOGIN\r\n");
  BOOST_TEST(!session->idle());
  say("*\r\n");
  BOOST_TEST(session->idle());
  say("QUIT\r\n");
  BOOST_TEST(!session->idle());
}

BOOST_AUTO_TEST_SUITE_END()

// Scripted replies.
BOOST_FIXTURE_TEST_SUITE(scripted, SessionFixture)

BOOST_AUTO_TEST_CASE(a_greeting_refused_closed_or_dropped) {
  host.replies.push_back(Reply::on(Command::connect).with(554, "5.3.2 not now\nreally"));
  start();
  BOOST_TEST(greeting == "554-5.3.2 not now\r\n554 really\r\n");
  BOOST_TEST(!last.close);
  host.replies.push_back(Reply::on(Command::connect).with(421, "4.3.2 busy").then_close());
  start();
  BOOST_TEST(greeting == "421 4.3.2 busy\r\n");
  BOOST_TEST(last.close);
  BOOST_TEST(say("NOOP\r\n") == "");
  host.replies.push_back(Reply::on(Command::connect).drop());
  start();
  BOOST_TEST(greeting == "");
  BOOST_TEST(last.close);
  session->end();
  BOOST_TEST(host.problems.empty());
}

BOOST_AUTO_TEST_CASE(a_refused_rcpt_is_not_added) {
  host.replies.push_back(Reply::on(Command::rcpt, "NOBODY@").with(550, "5.1.1 no such user"));
  start();
  envelope();
  BOOST_TEST(say("RCPT TO:<nobody@x>\r\nRCPT TO:<nobody@y>\r\n") ==
             "550 5.1.1 no such user\r\n250 2.1.5 OK\r\n");
  say("DATA\r\nx\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].rcpt_to ==
             (std::vector<std::string>{"c@d.test", "nobody@y"}));
  BOOST_TEST(host.problems.empty());  // a scripted outcome is not a problem
  BOOST_TEST(host.asked.at(4).second == "TO:<nobody@x>");
}

BOOST_AUTO_TEST_CASE(a_class_2_reply_takes_effect_with_its_text) {
  host.replies.push_back(Reply::on(Command::mail).with(250, "2.1.0 sender fine\nreally"));
  host.replies.push_back(Reply::on(Command::ehlo).with(250, "only this"));
  start();
  BOOST_TEST(say("EHLO x\r\n") == "250 only this\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "250-2.1.0 sender fine\r\n250 really\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "503 5.5.1 Error: nested MAIL command\r\n");
}

BOOST_AUTO_TEST_CASE(refused_commands_keep_the_state) {
  host.replies.push_back(Reply::on(Command::ehlo).with(550, "no"));
  host.replies.push_back(Reply::on(Command::mail).with(451, "4.3.0 later"));
  host.replies.push_back(Reply::on(Command::rset).with(500, "no reset"));
  host.replies.push_back(Reply::on(Command::quit).with(550, "stay"));
  host.replies.push_back(Reply::on(Command::data).with(554, "5.5.1 no data"));
  start();
  BOOST_TEST(say("EHLO x\r\n") == "550 no\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "503 5.5.1 Error: send HELO first\r\n");
  ehlo();
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "451 4.3.0 later\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n") == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n");
  BOOST_TEST(say("RSET\r\n") == "500 no reset\r\n");
  BOOST_TEST(say("DATA\r\n") == "554 5.5.1 no data\r\n");
  BOOST_TEST(say("QUIT\r\n") == "550 stay\r\n");
  BOOST_TEST(!session->quit());
  BOOST_TEST(say("DATA\r\nx\r\n.\r\n") ==
             "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK: queued\r\n");
  BOOST_TEST(host.accepted_messages.size() == 1u);
}

BOOST_AUTO_TEST_CASE(not_asked_when_the_session_refuses_first) {
  host.replies.push_back(Reply::on(Command::rcpt).with(250, "fine").always());
  start();
  say("RCPT TO:<a@b>\r\n");
  BOOST_TEST(host.asked.size() == 1u);  // the greeting only
}

BOOST_AUTO_TEST_CASE(the_end_of_a_message_refused_or_replaced) {
  host.replies.push_back(Reply::on(Command::message).with(451, "4.3.0 try later"));
  host.replies.push_back(Reply::on(Command::message).with(250, "2.0.0 queued as X1"));
  start();
  envelope();
  BOOST_TEST(say("DATA\r\nx\r\n.\r\n") ==
             "354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 try later\r\n");
  BOOST_TEST(host.accepted_messages.empty());
  BOOST_TEST(say("DATA\r\n") == "503 5.5.1 Error: need RCPT command\r\n");  // it ended
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
  BOOST_TEST(say("DATA\r\ny\r\n.\r\n") ==
             "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 queued as X1\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].data == "y\r\n");
  BOOST_TEST(host.asked.back().second == "");
  BOOST_TEST((host.asked.back().first == Command::message));
}

BOOST_AUTO_TEST_CASE(a_drop_sends_nothing_and_closes) {
  host.replies.push_back(Reply::on(Command::rcpt).drop());
  start();
  envelope();
  BOOST_TEST(last.out == kEhlo + "250 2.1.0 OK\r\n");
  BOOST_TEST(last.close);
  session->end();
  BOOST_TEST(host.problems.empty());
}

BOOST_AUTO_TEST_CASE(a_drop_in_the_middle_of_data) {
  for (std::size_t after : {0u, 1u, 5u, 6u}) {
    host.replies.push_back(Reply::on(Command::data).drop(after));
    start();
    envelope();
    BOOST_TEST(say("DATA\r\n") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(!last.close);
    // 6 bytes in two pieces: closed at the piece that reaches `after`.
    say("abc");
    const bool first = last.close;
    BOOST_TEST(first == (after <= 3));
    if (!first) {
      say("de\r\n");
      BOOST_TEST(last.close == (after <= 6), "after " << after);
    }
    BOOST_TEST(last.out == "");
    session->end();
  }
  BOOST_TEST(host.accepted_messages.empty());
  BOOST_TEST(host.problems.empty());
}

BOOST_AUTO_TEST_CASE(counts_and_always) {
  host.replies.push_back(Reply::on(Command::noop).with(250, "two").times(2));
  host.replies.push_back(Reply::on(Command::vrfy).with(550, "never").always());
  start();
  BOOST_TEST(say("NOOP\r\nNOOP\r\nNOOP\r\n") == "250 two\r\n250 two\r\n250 2.0.0 OK\r\n");
  for (int i = 0; i < 5; ++i) BOOST_TEST(say("VRFY x\r\n") == "550 never\r\n");
  BOOST_TEST(host.replies.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_scripted_quit_and_starttls) {
  tls_available = true;
  host.replies.push_back(Reply::on(Command::starttls).with(454, "4.7.0 not today"));
  host.replies.push_back(Reply::on(Command::quit).with(221, "see you").then_close());
  start();
  BOOST_TEST(say("STARTTLS\r\n") == "454 4.7.0 not today\r\n");
  BOOST_TEST(!last.start_tls);
  BOOST_TEST(say("QUIT\r\n") == "221 see you\r\n");
  BOOST_TEST(session->quit());
  BOOST_TEST(last.close);
}

BOOST_AUTO_TEST_SUITE_END()
