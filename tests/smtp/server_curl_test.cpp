// SPDX-License-Identifier: BSL-1.0
// trap::smtp::Server as curl's smtp:// sees it (run with trap::run, the
// message on its stdin): plain on 127.0.0.1 and ::1, STARTTLS with
// --ssl-reqd --cacert (exit 60 without the CA, 64 where it is not
// offered), AUTH PLAIN and LOGIN (exit 67 on a wrong password), and each
// scripted fault with curl's exit code and what it prints. Exit codes and
// messages are curl 7.88's, first checked against aiosmtpd 1.4.3 (the
// 421 greeting against a bare socket).
#define BOOST_TEST_MODULE smtp_server_curl
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
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

const std::string kMessage = "From: a@x\r\nTo: b@y\r\nSubject: hello\r\n\r\nhello\r\n";

// curl sending `message` from a@x to b@y (or `rcpts`) through `url`
// (whose path is the name curl gives EHLO), with these arguments; from
// stdin unless they give --upload-file.
Run curl_to(const std::string& url, std::vector<std::string> args,
            const std::string& message = kMessage, std::vector<std::string> rcpts = {"b@y"}) {
  std::vector<std::string> argv{TRAP_TEST_CURL, "-sS", "--max-time",  "20",
                                "--url",        url,   "--mail-from", "a@x"};
  if (std::find(args.begin(), args.end(), "--upload-file") == args.end()) {
    argv.insert(argv.end(), {"--upload-file", "-"});
  }
  for (const auto& rcpt : rcpts) argv.insert(argv.end(), {"--mail-rcpt", rcpt});
  argv.insert(argv.end(), args.begin(), args.end());
  trap::RunOptions options;
  options.input = message;
  options.timeout = 30s;
  auto t = trap::run(argv, options);
  return Run{t.exit_code().value_or(-1), t.out(), t.err()};
}

Run curl(const Server& server, std::vector<std::string> args = {},
         const std::string& message = kMessage, std::vector<std::string> rcpts = {"b@y"}) {
  return curl_to(server.url() + "/client.test", std::move(args), message, std::move(rcpts));
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

using Strings = std::vector<std::string>;

ServerOptions with_starttls() {
  ServerOptions options;
  options.starttls = true;
  return options;
}

ServerOptions with_user() {
  ServerOptions options;
  options.credentials = {{"u", "p"}};
  return options;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_plain_message_to_two_recipients) {
  Server server;
  BOOST_TEST(server.url() == "smtp://127.0.0.1:" + std::to_string(server.port()));
  auto r = curl(server, {}, kMessage, {"b@y", "c@y"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "");
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->mail_from == "a@x");
  BOOST_TEST(m->rcpt_to == (Strings{"b@y", "c@y"}));
  BOOST_TEST(m->data == kMessage);
  BOOST_TEST(m->header("Subject").value_or("<none>") == "hello");
  BOOST_TEST(m->helo == "client.test");
  BOOST_TEST(m->esmtp);
  BOOST_TEST(!m->tls);
  BOOST_TEST(m->mail_params.empty());  // no SIZE= for stdin: curl does not know it
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(curl_stuffs_dots_and_the_server_unstuffs_them) {
  Server server;
  const std::string message = "Subject: dots\r\n\r\n.one\r\n.\r\n..\r\nend\r\n";
  auto r = curl(server, {}, message);
  BOOST_TEST(r.exit == 0, r.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->data == message);
  BOOST_TEST(server.shutdown().clean());
}

// A file with bare LF line ends, sent as it is: curl stuffs no dot there
// (its lines are not SMTP lines) and ends the data with CR LF . CR LF. Its
// ".\n" line is content: the message is the whole file, curl's CR LF
// after it, as aiosmtpd records it.
BOOST_AUTO_TEST_CASE(a_file_with_bare_lf_line_ends_arrives_whole) {
  Server server;
  const std::string file = "Subject: d\n\n.\n..\nx\n.x\n";
  auto r = curl(server, {}, file);
  BOOST_TEST(r.exit == 0, r.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->data == file + "\r\n");
  auto report = server.shutdown();
  BOOST_TEST(report.problems.empty());
  BOOST_TEST(report.clean());
}

BOOST_AUTO_TEST_CASE(over_ipv6) {
  Server server;
  if (server.port6() == 0) return;  // IPv6 is off here
  auto r = curl_to("smtp://[::1]:" + std::to_string(server.port6()) + "/client.test", {});
  BOOST_TEST(r.exit == 0, r.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->peeraddr == "::1");
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(starttls_with_the_ca) {
  Server server(with_starttls());
  auto r = curl(server, {"--ssl-reqd", "--cacert", server.ca_file().string()});
  BOOST_TEST(r.exit == 0, r.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->tls);
  BOOST_TEST(m->data == kMessage);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(starttls_without_the_ca_is_exit_60) {
  Server server(with_starttls());
  auto r = curl(server, {"--ssl-reqd"});
  BOOST_TEST(r.exit == 60, r.err);
  BOOST_TEST(has(r.err, "curl: (60) SSL certificate problem"), r.err);
  BOOST_TEST(server.message_count() == 0u);
  auto report = server.shutdown();
  BOOST_TEST(report.open.empty(), report);
  BOOST_REQUIRE(!report.problems.empty());
  BOOST_TEST(report.problems[0].why.rfind("tls handshake", 0) == 0u, report);
}

BOOST_AUTO_TEST_CASE(ssl_reqd_without_starttls_offered_is_exit_64) {
  Server server;
  auto r = curl(server, {"--ssl-reqd"});
  BOOST_TEST(r.exit == 64, r.err);
  BOOST_TEST(has(r.err, "curl: (64) STARTTLS not supported."), r.err);
  BOOST_TEST(server.message_count() == 0u);
  // curl hangs up without QUIT: the session's end is the one problem.
  auto report = server.shutdown();
  BOOST_REQUIRE(report.problems.size() == 1u);
  BOOST_TEST(report.problems[0].input == "");
  BOOST_TEST(report.problems[0].code == 0);
}

BOOST_AUTO_TEST_CASE(auth_plain_and_login) {
  Server server(with_user());
  // curl prefers PLAIN to LOGIN; --login-options forces LOGIN.
  for (auto extra : {Strings{}, Strings{"--login-options", "AUTH=LOGIN"}}) {
    extra.insert(extra.begin(), {"--user", "u:p"});
    auto r = curl(server, extra);
    BOOST_TEST(r.exit == 0, r.err);
    auto m = server.take_message();
    BOOST_REQUIRE(m);
    BOOST_TEST(m->auth_user == "u");
  }
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_exit_67) {
  Server server(with_user());
  for (auto extra : {Strings{}, Strings{"--login-options", "AUTH=LOGIN"}}) {
    extra.insert(extra.begin(), {"--user", "u:wrong"});
    auto r = curl(server, extra);
    BOOST_TEST(r.exit == 67, r.err);
    BOOST_TEST(has(r.err, "curl: (67) Login denied"), r.err);
  }
  // curl hangs up without QUIT after a 535.
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().open.empty());
}

// ---- the scripted faults, with curl's exit code and message

BOOST_AUTO_TEST_CASE(a_550_on_one_recipient_fails_the_transfer_unless_allowed) {
  Server server;
  server.reply(Reply::on(Command::rcpt, "nobody@").with(550, "5.1.1 no such user").times(2));
  auto r = curl(server, {}, kMessage, {"b@y", "nobody@y"});
  BOOST_TEST(r.exit == 55, r.err);
  BOOST_TEST(has(r.err, "curl: (55) RCPT failed: 550"), r.err);
  BOOST_TEST(server.message_count() == 0u);
  auto allowed = curl(server, {"--mail-rcpt-allowfails"}, kMessage, {"b@y", "nobody@y"});
  BOOST_TEST(allowed.exit == 0, allowed.err);
  auto m = server.take_message();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->rcpt_to == Strings{"b@y"});
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_451_on_mail_is_exit_55) {
  Server server;
  server.reply(Reply::on(Command::mail).with(451, "4.3.0 try again later"));
  auto r = curl(server);
  BOOST_TEST(r.exit == 55, r.err);
  BOOST_TEST(has(r.err, "curl: (55) MAIL failed: 451"), r.err);
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_421_that_closes_is_exit_55) {
  Server server;
  server.reply(Reply::on(Command::mail).with(421, "4.3.2 closing").then_close());
  auto r = curl(server);
  BOOST_TEST(r.exit == 55, r.err);
  BOOST_TEST(has(r.err, "curl: (55) MAIL failed: 421"), r.err);
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_421_greeting_is_exit_8) {
  Server server;
  server.reply(Reply::on(Command::connect).with(421, "4.3.2 too busy").then_close());
  auto r = curl(server);
  BOOST_TEST(r.exit == 8, r.err);
  BOOST_TEST(has(r.err, "curl: (8) Got unexpected smtp-server response: 421"), r.err);
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_drop_in_data_is_exit_56) {
  Server server;
  server.reply(Reply::on(Command::data).drop(10));
  auto r = curl(server);
  // "response reading failed" when the server read everything before it
  // closed, "Connection reset by peer" when bytes were left unread.
  BOOST_TEST(r.exit == 56, r.err);
  BOOST_TEST(has(r.err, "curl: (56) "), r.err);
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());  // the server closed it: not the client's problem
}

BOOST_AUTO_TEST_CASE(a_refusal_at_the_end_of_data_is_exit_8) {
  Server server;
  server.reply(Reply::on(Command::message).with(554, "5.7.1 rejected as spam"));
  auto r = curl(server);
  // curl 7.88 calls anything but 250 there a weird server reply.
  BOOST_TEST(r.exit == 8, r.err);
  BOOST_TEST(has(r.err, "curl: (8) Weird server reply"), r.err);
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_message_over_size_is_a_552) {
  ServerOptions options;
  options.max_message_bytes = 100;
  Server server(options);
  const std::string big = "Subject: big\r\n\r\n" + std::string(200, 'x') + "\r\n";
  // From stdin curl sends no SIZE=: the 552 comes at the end of the data.
  auto piped = curl(server, {}, big);
  BOOST_TEST(piped.exit == 8, piped.err);
  BOOST_TEST(has(piped.err, "curl: (8) Weird server reply"), piped.err);
  // From a file it sends SIZE=, and MAIL is refused.
  const auto file = std::filesystem::temp_directory_path() /
                    ("smtp_server_curl_test." + std::to_string(server.port()) + ".eml");
  std::ofstream(file, std::ios::binary) << big;
  auto sized = curl(server, {"--upload-file", file.string()});
  std::filesystem::remove(file);
  BOOST_TEST(sized.exit == 55, sized.err);
  BOOST_TEST(has(sized.err, "curl: (55) MAIL failed: 552"), sized.err);
  BOOST_TEST(server.message_count() == 0u);
  // Both are the client's mistakes; curl said QUIT after each.
  auto report = server.shutdown();
  BOOST_REQUIRE(report.problems.size() == 2u);
  BOOST_TEST(report.problems[0].code == 552);
  BOOST_TEST(report.problems[1].code == 552);
  BOOST_TEST(has(report.problems[1].input, "SIZE="), report.problems[1].input);
  BOOST_TEST(report.open.empty(), report);
}
