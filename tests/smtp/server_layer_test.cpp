// SPDX-License-Identifier: BSL-1.0
// The smtp_server layer: a server for the trapped code, exported as
// TRAP_SMTP_URL, TRAP_SMTP_HOST, TRAP_SMTP_PORT (and TRAP_SMTP_CA with
// `starttls`) while the trap runs, what it accepted as `messages`, what
// clients did wrong as `problems`, bad options as usage errors, and a trap
// that fails on an unclean teardown unless `lenient`.
#define BOOST_TEST_MODULE smtp_server_layer
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/process.hpp>
#include <trap/smtp.hpp>

#include "support/client.hpp"

using namespace std::chrono_literals;
using trap::smtp::Message;
using trap::smtp::Problem;

namespace {

const std::string kMessage = "From: a@x\r\nTo: b@y\r\nSubject: from the layer\r\n\r\nhello\r\n";

// Runs a shell command with the message on its stdin; its exit code.
int sh(const std::string& command, const std::string& message = kMessage) {
  trap::RunOptions options;
  options.input = message;
  options.timeout = 30s;
  auto t = trap::run({"sh", "-c", command}, options);
  return t.exit_code().value_or(-1);
}

const std::string kCurl = std::string(TRAP_TEST_CURL) +
                          " -sS --max-time 20 --url \"$TRAP_SMTP_URL/client.test\""
                          " --mail-from a@x --mail-rcpt b@y --upload-file -";

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::optional<std::string>(v) : std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_program_in_the_trap_sends_to_the_layers_server) {
  ::setenv("TRAP_SMTP_PORT", "before", 1);
  ::unsetenv("TRAP_SMTP_URL");
  int exit = -1;
  std::string port, host, url, port_env, ca_env;
  auto r = trap::trap(":smtp_server", [&](trap::Trap& t) {
    port = std::to_string(trap::smtp::server(t).port());
    host = env("TRAP_SMTP_HOST").value_or("<none>");
    url = env("TRAP_SMTP_URL").value_or("<none>");
    port_env = env("TRAP_SMTP_PORT").value_or("<none>");
    ca_env = env("TRAP_SMTP_CA").value_or("<none>");
    exit = sh(kCurl);
  });
  BOOST_TEST(r.leaveby() == "return", r.die());
  BOOST_TEST(exit == 0);
  BOOST_TEST(host == "127.0.0.1");
  BOOST_TEST(url == "smtp://127.0.0.1:" + port);
  BOOST_TEST(port_env == port);
  BOOST_TEST(ca_env == "<none>");
  const trap::Value* messages = r.get("messages");
  BOOST_REQUIRE(messages);
  BOOST_REQUIRE(messages->array().size() == 1u);
  const auto m = messages->array()[0].as<Message>();
  BOOST_TEST(m.rcpt_to == std::vector<std::string>{"b@y"});
  BOOST_TEST(m.header("Subject").value_or("<none>") == "from the layer");
  BOOST_TEST(m.helo == "client.test");
  r.test("messages_ok", 0);
  r.test("problems_is_deeply", trap::Array{});
  r.test("teardown_is", "");
  // Only while the trap runs; what was there before is back.
  BOOST_TEST(env("TRAP_SMTP_PORT").value_or("<none>") == "before");
  BOOST_TEST(!env("TRAP_SMTP_URL"));
  BOOST_TEST(!env("TRAP_SMTP_HOST"));
  ::unsetenv("TRAP_SMTP_PORT");
}

BOOST_AUTO_TEST_CASE(starttls_and_a_user) {
  int exit = -1;
  std::string ca_env, ca_file;
  auto r = trap::trap(":smtp_server(starttls,user=u:p)", [&](trap::Trap& t) {
    ca_env = env("TRAP_SMTP_CA").value_or("<none>");
    ca_file = trap::smtp::server(t).ca_file().string();
    exit = sh(kCurl + " --ssl-reqd --cacert \"$TRAP_SMTP_CA\" --user u:p");
  });
  BOOST_TEST(r.leaveby() == "return", r.die());
  BOOST_TEST(ca_env == ca_file);
  BOOST_TEST(exit == 0);
  const auto m = r.get("messages")->array().at(0).as<Message>();
  BOOST_TEST(m.tls);
  BOOST_TEST(m.auth_user == "u");
  BOOST_TEST(!env("TRAP_SMTP_CA"));
}

BOOST_AUTO_TEST_CASE(bad_options_are_usage_errors_naming_them) {
  for (std::string spec : {":smtp_server(colour=red)", ":smtp_server(user)"}) {
    try {
      trap::trap(spec, [](trap::Trap&) {});
      BOOST_FAIL("no UsageError for " << spec);
    } catch (const trap::UsageError& e) {
      const std::string what = e.what();
      BOOST_TEST(what.find("smtp_server") != std::string::npos, what);
      BOOST_TEST(what.find(spec.find("colour") != std::string::npos ? "colour" : "user") !=
                     std::string::npos,
                 what);
    }
  }
  // The server listens on loopback only: not on every interface.
  BOOST_CHECK_EXCEPTION(trap::trap(":smtp_server(address=0.0.0.0)", [](trap::Trap&) {}),
                        trap::UsageError, [](const trap::UsageError& e) {
                          return std::string(e.what()).find(
                                     "\"0.0.0.0\" is not a loopback address") != std::string::npos;
                        });
  trap::Trap none = trap::trap([](trap::Trap&) {});
  BOOST_CHECK_THROW(trap::smtp::server(none), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(a_client_that_never_quits_fails_the_trap) {
  test_net::Client client;  // outlives the trap: the session is still open at teardown
  std::string greeting;
  try {
    trap::trap(":smtp_server", [&](trap::Trap& t) {
      client.connect("127.0.0.1", trap::smtp::server(t).port());
      greeting = client.read_line().value_or("<none>");
      client.send("EHLO raw.test\r\nMAIL FROM:<a@x>\r\n");
    });
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    const std::string what = e.what();
    // The trap rethrows the layer's teardown error.
    BOOST_TEST(what.find("smtp_server: unclean teardown: ") != std::string::npos, what);
    BOOST_TEST(what.find("still open") != std::string::npos, what);
  }
  BOOST_TEST(greeting == "220 trap.test ESMTP trap\r");
  BOOST_TEST(client.closed_by_server(5s));
}

BOOST_AUTO_TEST_CASE(a_lenient_layer_lets_it_pass_and_keeps_the_problems) {
  test_net::Client client;
  bool closed = false;
  std::string port;
  auto r = trap::trap(":smtp_server(lenient)", [&](trap::Trap& t) {
    client.connect("127.0.0.1", trap::smtp::server(t).port());
    client.send("EHLO raw.test\r\nRCPT TO:<b@y>\r\n");  // RCPT before MAIL: a 503
    // The greeting and EHLO's lines come first.
    while (auto line = client.read_line()) {
      if (line->rfind("503", 0) == 0) break;
    }
    client.send("QUIT\r\n");
    closed = client.closed_by_server(5s);  // after its 221
    port = std::to_string(client.local_port());
    client.close();  // the server waits for the client to close its end
  });
  BOOST_TEST(closed);
  BOOST_TEST(r.leaveby() == "return", r.die());
  const trap::Value* problems = r.get("problems");
  BOOST_REQUIRE(problems);
  BOOST_REQUIRE(!problems->array().empty());
  const auto first = problems->array()[0].as<Problem>();
  BOOST_TEST(first.code == 503);
  BOOST_TEST(first.input == "RCPT TO:<b@y>");
  const auto teardown = r.get("teardown")->as<std::string>();
  BOOST_TEST(teardown == "unclean teardown: problem: session 1 (127.0.0.1:" + port +
                             "): RCPT before MAIL: 503 on \"RCPT TO:<b@y>\"",
             teardown);
}
