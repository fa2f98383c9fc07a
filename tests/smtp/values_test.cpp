// SPDX-License-Identifier: BSL-1.0
// trap::smtp's plain values: Message::header, the Reply builders and their
// mistakes, describe(), and how a message, a command, a problem and a
// shutdown report print.
#define BOOST_TEST_MODULE smtp_values
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/errors.hpp>
#include <trap/smtp.hpp>

#include "support/test_support.hpp"

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

using test_support::printed;
using trap::smtp::After;
using trap::smtp::Command;
using trap::smtp::Message;
using trap::smtp::Problem;
using trap::smtp::Reply;
using trap::smtp::ShutdownReport;

BOOST_AUTO_TEST_CASE(header_finds_the_first_of_a_name_in_any_case) {
  Message m;
  m.headers = {{"Subject", "one"}, {"X-A", ""}, {"subject", "two"}};
  BOOST_TEST(m.header("SUBJECT") == "one");
  BOOST_TEST(m.header("x-a") == "");
  BOOST_TEST(!m.header("X-B").has_value());
  BOOST_TEST(!m.header("Subjec").has_value());
}

BOOST_AUTO_TEST_CASE(a_message_prints_its_envelope_subject_and_place) {
  Message m;
  m.mail_from = "a@b";
  m.rcpt_to = {"c@d", "e@f"};
  m.headers = {{"Subject", "nightly \"report\""}};
  m.session = 2;
  m.sequence = 5;
  BOOST_TEST(printed(m) == R"(<a@b> -> <c@d>, <e@f> "nightly \"report\"" (session 2, #5))");
  Message bounce;
  bounce.rcpt_to = {"x@y"};
  bounce.session = 1;
  bounce.sequence = 1;
  BOOST_TEST(printed(bounce) == "<> -> <x@y> (session 1, #1)");
}

BOOST_AUTO_TEST_CASE(commands_print_their_names) {
  BOOST_TEST(printed(Command::connect) == "connect");
  BOOST_TEST(printed(Command::rcpt) == "rcpt");
  BOOST_TEST(printed(Command::message) == "message");
  BOOST_TEST(printed(Command::starttls) == "starttls");
  BOOST_TEST(printed(Command::auth) == "auth");
  BOOST_TEST(printed(static_cast<Command>(99)) == "Command(99)");
}

BOOST_AUTO_TEST_CASE(problems_print_where_why_code_and_input) {
  const Problem p{{3, "127.0.0.1", 40122}, "RCPT TO:<a@b>", 503, "RCPT before MAIL"};
  BOOST_TEST(printed(p) ==
             R"(session 3 (127.0.0.1:40122): RCPT before MAIL: 503 on "RCPT TO:<a@b>")");
  const Problem end{{4, "::1", 5}, "", 0, "closed without QUIT"};
  BOOST_TEST(printed(end) == "session 4 ([::1]:5): closed without QUIT");
  const Problem raw{{1, "127.0.0.1", 1}, "a\x01\"", 500, "unknown command"};
  BOOST_TEST(printed(raw) == R"(session 1 (127.0.0.1:1): unknown command: 500 on "a\x01\"")");
  // Line ends, tabs and bytes past ASCII all as \xNN (not \n as trap::net's
  // events print them); a backslash doubled.
  const Problem bytes{{2, "::1", 6}, "\\\r\n\t\x7f\xff", 500, "x"};
  BOOST_TEST(printed(bytes) == R"(session 2 ([::1]:6): x: 500 on "\\\x0d\x0a\x09\x7f\xff")");
}

BOOST_AUTO_TEST_CASE(reply_builders) {
  Reply r = Reply::on(Command::rcpt, "nobody@");
  BOOST_TEST((r.command == Command::rcpt));
  BOOST_TEST(r.argument == "nobody@");
  BOOST_TEST(r.code == 250);
  BOOST_TEST(r.count == 1u);
  r.with(550, "5.1.1 no such user").times(3);
  BOOST_TEST(r.code == 550);
  BOOST_TEST(r.text == "5.1.1 no such user");
  BOOST_TEST(r.count == 3u);
  r.always().then_close();
  BOOST_TEST(!r.count.has_value());
  BOOST_TEST((r.after == After::close));
  r.drop(64);
  BOOST_TEST((r.after == After::drop));
  BOOST_TEST(r.drop_after_bytes == 64u);
}

BOOST_AUTO_TEST_CASE(reply_codes_outside_200_to_599_are_refused) {
  Reply r = Reply::on(Command::mail);
  BOOST_CHECK_THROW(r.with(199, "x"), trap::UsageError);
  BOOST_CHECK_THROW(r.with(600, "x"), trap::UsageError);
  BOOST_CHECK_EXCEPTION(r.with(42, "x"), trap::UsageError, [](const trap::UsageError& e) {
    return std::string(e.what()) == "SMTP reply code 42 is outside 200..599";
  });
  BOOST_TEST(r.code == 250);  // unchanged
  BOOST_CHECK_NO_THROW(r.with(200, "").with(599, ""));
}

BOOST_AUTO_TEST_CASE(describe_says_what_answers_and_how_often) {
  BOOST_TEST(Reply::on(Command::rcpt, "nobody@").with(550, "5.1.1 no such user").describe() ==
             "rcpt containing \"nobody@\": 550 5.1.1 no such user, times 1");
  BOOST_TEST(Reply::on(Command::mail).with(421, "4.3.2 bye").then_close().always().describe() ==
             "mail: 421 4.3.2 bye, then close, always");
  BOOST_TEST(Reply::on(Command::data).drop(64).describe() == "data: drop after 64 bytes, times 1");
  BOOST_TEST(Reply::on(Command::quit).drop().times(2).describe() == "quit: drop, times 2");
}

BOOST_AUTO_TEST_CASE(a_shutdown_report_says_clean_or_one_line_each) {
  ShutdownReport clean;
  BOOST_TEST(clean.describe() == "clean");
  BOOST_TEST(printed(clean) == "clean");
  ShutdownReport r;
  r.problems = {{{1, "127.0.0.1", 2}, "", 0, "closed without QUIT"}};
  r.unused = {"rcpt: 550 x, times 1"};
  r.open = {{2, "::1", 3}};
  BOOST_TEST(!r.clean());
  BOOST_TEST(r.describe() ==
             "problem: session 1 (127.0.0.1:2): closed without QUIT\n"
             "scripted reply not used: rcpt: 550 x, times 1\n"
             "session 2 ([::1]:3) still open");
  BOOST_TEST(printed(r) == r.describe());
}

BOOST_AUTO_TEST_CASE(a_shutdown_report_says_how_many_problems_were_dropped) {
  ShutdownReport r;
  r.problems_dropped = 1;  // with max_log 0 nothing else is kept: not clean all the same
  BOOST_TEST(!r.clean());
  BOOST_TEST(r.describe() == "problem: 1 earlier problem dropped (max_log)");
  r.problems_dropped = 7;
  r.problems = {{{1, "127.0.0.1", 2}, "", 0, "closed without QUIT"}};
  BOOST_TEST(r.describe() ==
             "problem: 7 earlier problems dropped (max_log)\n"
             "problem: session 1 (127.0.0.1:2): closed without QUIT");
}
