// SPDX-License-Identifier: BSL-1.0
// trap::smtp's AUTH (PLAIN and LOGIN) in a session without a socket, every
// path: offered or not, out of order, initial responses, challenges,
// aborts, bad base64, wrong and right credentials, scripted answers, and
// problems that never quote a password; and the strict base64 decoder.
#define BOOST_TEST_MODULE smtp_session_auth
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/smtp.hpp>

#include "smtp/fake_session_host.hpp"
#include "smtp/text.hpp"

using trap::smtp::Command;
using trap::smtp::Reply;
using trap::smtp::detail::decode_base64;
using trap::smtp::test::SessionFixture;

namespace {

// base64 of "\0alice\0secret", "alice", "secret", "\0alice\0wrong".
const std::string kPlain = "AGFsaWNlAHNlY3JldA==";
const std::string kAlice = "YWxpY2U=";
const std::string kSecret = "c2VjcmV0";
const std::string kPlainWrong = "AGFsaWNlAHdyb25n";

struct AuthFixture : SessionFixture {
  AuthFixture() { options.credentials = {{"bob", "pw"}, {"alice", "secret"}}; }
  // No problem quotes a secret or a response.
  void check_no_secret_in_problems() const {
    for (const auto& p : host.problems)
      for (const std::string& secret : {kPlain, kSecret, kPlainWrong, std::string("secret")})
        BOOST_TEST(p.input.find(secret) == std::string::npos, p.input);
  }
};

const std::string kOk = "235 2.7.0 Authentication successful\r\n";
const std::string kInvalid = "535 5.7.8 Authentication credentials invalid\r\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(base64)

BOOST_AUTO_TEST_CASE(decodes_canonical_padded_text) {
  BOOST_TEST(decode_base64("") == "");
  BOOST_TEST(decode_base64("Zg==") == "f");
  BOOST_TEST(decode_base64("Zm8=") == "fo");
  BOOST_TEST(decode_base64("Zm9v") == "foo");
  BOOST_TEST(decode_base64("Zm9vYmFy") == "foobar");
  BOOST_TEST(decode_base64("+/+/") == "\xfb\xff\xbf");
  BOOST_TEST(decode_base64(kPlain) == std::string("\0alice\0secret", 13));
}

BOOST_AUTO_TEST_CASE(refuses_anything_else) {
  for (const char* bad : {"Zg", "Zg=", "Zm9", "Z===", "====", "Zg==Zg==", "Z=g=", "Zm9v\r\n",
                          "Zm 9v", "Zm9v!A==", "Zh==", "Zm9=", "-_-_"})
    BOOST_TEST(!decode_base64(bad).has_value(), bad);
}

// What OpenSSL's EVP_DecodeBlock would take and the strict form does not:
// white space or '-' around the text, '=' for zero bits anywhere, padding
// that stands for bits that are not 0.
BOOST_AUTO_TEST_CASE(refuses_what_a_lenient_decoder_takes) {
  for (const char* bad : {"    Zm9v", "Zm9v    ", "\tZm9v\t\t\t", "Zm9v\n\n\n\n", "Zm9v\r\n\r\n",
                          "Zm9v----", "-Zm9",     "Zm9v\v\f\v\f", "Zm=v",         "Z=9v",
                          "=m9v",     "Zg=A",     "Zm9v=A==",     "Zm9v====",     "Zm9vZ===",
                          "QR==",     "QUJ=",     "Zm9 Zg==",     "Zm9v.Zg=",     "Zm9v_-_-"})
    BOOST_TEST(!decode_base64(bad).has_value(), bad);
  for (std::size_t size : {1, 2, 3, 5, 6, 7})
    BOOST_TEST(!decode_base64(std::string("Zm9vYmFy").substr(0, size)).has_value(), size);
  BOOST_TEST(!decode_base64(std::string("Zm\0v", 4)).has_value());
  BOOST_TEST(!decode_base64(std::string("Zm9v\0\0\0\0", 8)).has_value());
  BOOST_TEST(!decode_base64("Zm9v\xff\xff==").has_value());
}

BOOST_AUTO_TEST_CASE(empty_text_decodes_to_empty) {
  const auto decoded = decode_base64("");
  BOOST_TEST_REQUIRE(decoded.has_value());
  BOOST_TEST(decoded->empty());
}

BOOST_AUTO_TEST_CASE(every_byte_round_trips) {
  // All 256 byte values, then each tail length: 0, 1 and 2 padding bytes.
  const std::string encoded =
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+"
      "P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+"
      "AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/"
      "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
  const auto decoded = decode_base64(encoded);
  BOOST_TEST_REQUIRE(decoded.has_value());
  BOOST_TEST_REQUIRE(decoded->size() == 256u);
  for (std::size_t i = 0; i < 256; ++i) BOOST_TEST(static_cast<unsigned char>((*decoded)[i]) == i);
  BOOST_TEST(decode_base64("AP8=") == std::string("\0\xff", 2));
  BOOST_TEST(decode_base64("/w==") == "\xff");
  BOOST_TEST(decode_base64("AAAA") == std::string(3, '\0'));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(auth, AuthFixture)

BOOST_AUTO_TEST_CASE(not_offered_without_credentials) {
  options.credentials.clear();
  start();
  ehlo();
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") ==
             "502 5.5.1 Error: command not implemented\r\n");
  BOOST_TEST(host.whys() == std::vector<std::string>{"AUTH not offered"});
  check_no_secret_in_problems();
}

BOOST_AUTO_TEST_CASE(out_of_order) {
  start();
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") == "503 5.5.1 Error: send EHLO first\r\n");
  say("HELO x\r\n");
  BOOST_TEST(say("AUTH PLAIN\r\n") == "503 5.5.1 Error: send EHLO first\r\n");
  ehlo();
  say("MAIL FROM:<a@b>\r\n");
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") ==
             "503 5.5.1 Error: MAIL transaction in progress\r\n");
  say("RSET\r\n");
  BOOST_TEST(say("AUTH CRAM-MD5 c2VjcmV0\r\n") == "504 5.5.4 Unrecognized authentication type\r\n");
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") == kOk);
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") == "503 5.5.1 Already authenticated\r\n");
  BOOST_TEST(host.whys() == (std::vector<std::string>{
                                "AUTH before EHLO", "AUTH before EHLO", "AUTH in a transaction",
                                "unknown AUTH mechanism", "AUTH when authenticated"}));
  BOOST_TEST(host.problems[0].input == "AUTH PLAIN ***");
  BOOST_TEST(host.problems[1].input == "AUTH PLAIN");
  BOOST_TEST(host.problems[3].input == "AUTH CRAM-MD5 ***");
  check_no_secret_in_problems();
}

BOOST_AUTO_TEST_CASE(without_a_mechanism_is_a_syntax_error) {
  start();
  ehlo();
  BOOST_TEST(say("AUTH\r\n") == "501 5.5.4 Syntax: AUTH mechanism\r\n");
  BOOST_TEST(say("AUTH   \r\n") == "501 5.5.4 Syntax: AUTH mechanism\r\n");
  BOOST_TEST(host.whys() ==
             (std::vector<std::string>{"AUTH without a mechanism", "AUTH without a mechanism"}));
  BOOST_TEST(host.problems[0].input == "AUTH");
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") == kOk);  // the session goes on
}

BOOST_AUTO_TEST_CASE(plain_with_an_initial_response) {
  start();
  ehlo();
  BOOST_TEST(say("auth plain " + kPlain + "\r\n") == kOk);
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].auth_user == "alice");
  BOOST_TEST(host.problems.empty());
}

BOOST_AUTO_TEST_CASE(plain_after_a_challenge_split_anywhere) {
  const std::string exchange = "AUTH PLAIN\r\n" + kPlain + "\r\n";
  for (std::size_t cut = 0; cut <= exchange.size(); ++cut) {
    start();
    ehlo();
    std::string out = say(exchange.substr(0, cut));
    out += say(exchange.substr(cut));
    BOOST_TEST(out == "334 \r\n" + kOk, "cut at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(plain_with_an_authzid) {
  start();
  ehlo();
  // "alice\0alice\0secret" is alice; "bob\0alice\0secret" asks for another identity.
  BOOST_TEST(say("AUTH PLAIN YWxpY2UAYWxpY2UAc2VjcmV0\r\n") == kOk);
  start();
  ehlo();
  BOOST_TEST(say("AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n") == kInvalid);
  BOOST_TEST(host.whys() == std::vector<std::string>{"AUTH PLAIN for another identity"});
}

BOOST_AUTO_TEST_CASE(plain_wrong_malformed_or_empty) {
  start();
  ehlo();
  BOOST_TEST(say("AUTH PLAIN " + kPlainWrong + "\r\n") == kInvalid);
  BOOST_TEST(say("AUTH PLAIN YWxpY2U=\r\n") == kInvalid);  // "alice", no NULs
  BOOST_TEST(say("AUTH PLAIN =\r\n") == kInvalid);         // empty
  BOOST_TEST(say("AUTH PLAIN\r\n\r\n") == "334 \r\n" + kInvalid);
  BOOST_TEST(host.whys() == (std::vector<std::string>{
                                "authentication failed", "malformed AUTH PLAIN response",
                                "malformed AUTH PLAIN response", "malformed AUTH PLAIN response"}));
  BOOST_TEST(host.problems[0].input == "AUTH PLAIN ***");
  BOOST_TEST(host.problems[0].code == 535);
  BOOST_TEST(session->idle());
  check_no_secret_in_problems();
}

BOOST_AUTO_TEST_CASE(aborts_and_bad_base64) {
  start();
  ehlo();
  BOOST_TEST(say("AUTH PLAIN\r\n*\r\n") == "334 \r\n501 5.7.0 Auth aborted\r\n");
  BOOST_TEST(say("AUTH PLAIN not-base64\r\n") == "501 5.5.2 Can't decode base64\r\n");
  BOOST_TEST(say("AUTH LOGIN\r\n*\r\n") == "334 VXNlcm5hbWU6\r\n501 5.7.0 Auth aborted\r\n");
  BOOST_TEST(say("AUTH LOGIN " + kAlice + "\r\n" + kSecret + "=\r\n") ==
             "334 UGFzc3dvcmQ6\r\n501 5.5.2 Can't decode base64\r\n");
  BOOST_TEST(say("NOOP\r\n") == "250 2.0.0 OK\r\n");  // back to commands
  BOOST_TEST(host.whys() == (std::vector<std::string>{"AUTH aborted", "bad base64 in AUTH",
                                                      "AUTH aborted", "bad base64 in AUTH"}));
  BOOST_TEST(host.problems[3].input == "AUTH LOGIN ***");
  check_no_secret_in_problems();
}

BOOST_AUTO_TEST_CASE(login_both_ways) {
  start();
  ehlo();
  BOOST_TEST(say("AUTH LOGIN\r\n") == "334 VXNlcm5hbWU6\r\n");
  BOOST_TEST(!session->idle());
  BOOST_TEST(say(kAlice + "\r\n") == "334 UGFzc3dvcmQ6\r\n");
  BOOST_TEST(say(kSecret + "\r\n") == kOk);
  start();
  ehlo();
  BOOST_TEST(say("AUTH LOGIN " + kAlice + "\r\n" + kSecret + "\r\n") ==
             "334 UGFzc3dvcmQ6\r\n" + kOk);
  start();
  ehlo();
  BOOST_TEST(say("AUTH LOGIN\r\n" + kAlice + "\r\n" + kAlice + "\r\n") ==
             "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" + kInvalid);
  BOOST_TEST(host.whys() == std::vector<std::string>{"authentication failed"});
  BOOST_TEST(host.problems[0].input == "AUTH LOGIN");
}

BOOST_AUTO_TEST_CASE(a_long_response_ends_the_exchange) {
  options.max_line_bytes = 30;
  start();
  ehlo();
  BOOST_TEST(say("AUTH PLAIN\r\n" + std::string(40, 'A') + "\r\n") ==
             "334 \r\n500 5.5.2 Error: line too long\r\n");
  BOOST_TEST(session->idle());
  BOOST_REQUIRE(host.problems.size() == 1u);
  BOOST_TEST(host.problems[0].input == "***");
}

BOOST_AUTO_TEST_CASE(require_auth_lets_mail_through_once_authenticated) {
  options.require_auth = true;
  start();
  ehlo();
  BOOST_TEST(say("MAIL FROM:<a@b>\r\n") == "530 5.7.0 Authentication required\r\n");
  say("AUTH PLAIN " + kPlain + "\r\n");
  BOOST_TEST(say("MAIL FROM:<a@b> AUTH=<>\r\n") == "250 2.1.0 OK\r\n");
}

BOOST_AUTO_TEST_CASE(scripted_final_answers) {
  host.replies.push_back(Reply::on(Command::auth, "plain").with(454, "4.7.0 try later"));
  host.replies.push_back(Reply::on(Command::auth, "LOGIN").with(235, "2.7.0 come in"));
  start();
  ehlo();
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") == "454 4.7.0 try later\r\n");
  BOOST_TEST(host.asked.back().second == "PLAIN");
  BOOST_TEST(say("AUTH LOGIN " + kAlice + "\r\n" + "d3Jvbmc=\r\n") ==
             "334 UGFzc3dvcmQ6\r\n235 2.7.0 come in\r\n");
  say("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n");
  BOOST_REQUIRE(host.accepted_messages.size() == 1u);
  BOOST_TEST(host.accepted_messages[0].auth_user == "alice");
  BOOST_TEST(host.problems.empty());
}

BOOST_AUTO_TEST_CASE(closed_in_the_middle_of_an_exchange) {
  start();
  ehlo();
  say("AUTH LOGIN\r\n" + kAlice + "\r\n");
  BOOST_TEST(!session->idle());
  session->end();
  BOOST_TEST(host.whys() == std::vector<std::string>{"closed without QUIT"});
}

BOOST_AUTO_TEST_CASE(starttls_forgets_who_authenticated) {
  tls_available = true;
  start();
  ehlo();
  say("AUTH PLAIN " + kPlain + "\r\n");
  say("STARTTLS\r\n");
  session->tls_started();
  ehlo();
  BOOST_TEST(say("AUTH PLAIN " + kPlain + "\r\n") == kOk);  // not "already authenticated"
}

BOOST_AUTO_TEST_SUITE_END()
