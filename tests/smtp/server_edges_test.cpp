// SPDX-License-Identifier: BSL-1.0
// trap::smtp::Server at the edges users hit: standard descriptors closed
// when it starts, a client that resets while the server writes (no
// SIGPIPE), an idle timeout landing in the middle of DATA, a line that
// never ends, a client in a fork trap's child, the default layers around
// it in several threads, and the logs bounded by max_log.
#define BOOST_TEST_MODULE smtp_server_edges
#include <fcntl.h>
#include <unistd.h>

#include <future>
#include <iostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/smtp.hpp>

#include "smtp/raw_smtp.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using test_smtp::code_of;
using test_smtp::command;
using test_smtp::open_session;
using test_smtp::send_message;
using trap::smtp::Server;
using trap::smtp::ServerOptions;

namespace {

const std::string kContent = "Subject: edge\r\n\r\nbody\r\n";

bool has_problem(const std::vector<trap::smtp::Problem>& problems, const std::string& why) {
  for (const auto& p : problems)
    if (p.why.find(why) != std::string::npos) return true;
  return false;
}

// One message through a new server and a clean shutdown; what went wrong,
// or "" (nothing is printed: stdout may be closed).
std::string one_message_round() {
  Server server;
  auto c = open_session(server.port());
  if (int code = send_message(c, "a@x", {"b@y"}, kContent); code != 250)
    return "message answered " + std::to_string(code);
  if (command(c, "QUIT") != 221) return "no 221";
  auto m = server.take_message();
  if (!m || m->body != "body\r\n") return "message not logged";
  auto report = server.shutdown();
  return report.clean() ? "" : report.describe();
}

}  // namespace

BOOST_AUTO_TEST_CASE(starts_and_serves_with_descriptors_0_1_2_closed) {
  for (int closed : {0, 1, 2}) {
    const int saved = ::fcntl(closed, F_DUPFD_CLOEXEC, 10);
    BOOST_REQUIRE(saved >= 0);
    ::close(closed);
    // The server's own descriptors may now take the free number.
    std::string why;
    try {
      why = one_message_round();
    } catch (const std::exception& e) {
      why = e.what();
    }
    const bool still_closed = ::fcntl(closed, F_GETFD) == -1;
    ::dup2(saved, closed);
    ::close(saved);
    BOOST_TEST(why == "", "descriptor " << closed << " closed: " << why);
    BOOST_TEST(still_closed, "the server keeps nothing on descriptor " << closed);
  }
}

BOOST_AUTO_TEST_CASE(a_client_that_resets_while_the_server_writes_costs_no_sigpipe) {
  Server server;
  for (int round = 0; round < 3; ++round) {
    auto c = open_session(server.port());
    std::string batch = "EHLO r.test\r\n";
    for (int i = 0; i < 20000; ++i) batch += "NOOP\r\n";
    c.send(batch);
    c.reset();  // replies still being written
  }
  // Still alive and serving.
  auto c = open_session(server.port());
  BOOST_TEST(send_message(c, "a@x", {"b@y"}, kContent) == 250);
  BOOST_TEST(command(c, "QUIT") == 221);
  auto report = server.shutdown(2s);
  BOOST_TEST(report.open.empty());
  BOOST_TEST(server.message_count() == 1u);
}

BOOST_AUTO_TEST_CASE(an_idle_timeout_in_data_drops_the_message_with_a_421) {
  ServerOptions o;
  o.idle_timeout = 150ms;
  Server server(o);
  auto c = open_session(server.port());
  BOOST_TEST(command(c, "EHLO i.test") == 250);
  BOOST_TEST(command(c, "MAIL FROM:<a@x>") == 250);
  BOOST_TEST(command(c, "RCPT TO:<b@y>") == 250);
  BOOST_TEST(command(c, "DATA") == 354);
  c.send("Subject: slow\r\n\r\nhalf");
  BOOST_TEST(code_of(c) == 421);
  BOOST_TEST(c.closed_by_server());
  auto report = server.shutdown();
  BOOST_TEST(server.message_count() == 0u);
  BOOST_TEST(has_problem(report.problems, "idle"), report.describe());
}

BOOST_AUTO_TEST_CASE(a_line_that_never_ends_is_answered_500_once_it_ends) {
  ServerOptions o;
  o.max_line_bytes = 512;
  Server server(o);
  auto c = open_session(server.port());
  c.send(std::string(4 * 1024 * 1024, 'x'));
  c.send("\r\n");
  BOOST_TEST(code_of(c) == 500);
  BOOST_TEST(send_message(c, "a@x", {"b@y"}, kContent) == 250);
  BOOST_TEST(command(c, "QUIT") == 221);
  auto report = server.shutdown();
  BOOST_TEST(has_problem(report.problems, "too long"), report.describe());
  BOOST_TEST(server.message_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_fork_traps_child_sends_to_the_parents_server) {
  Server server;
  const std::uint16_t port = server.port();
  auto r = trap::trap(":fork", [port] {
    auto c = open_session(port);
    return send_message(c, "child@x", {"b@y"}, kContent) == 250 && command(c, "QUIT") == 221;
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.return_value<bool>());
  auto m = server.take_message();
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->mail_from == "child@x");
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(default_layers_in_several_threads_each_with_a_server) {
  std::vector<std::future<std::string>> runs;
  for (int t = 0; t < 4; ++t)
    runs.push_back(std::async(std::launch::async, [t] {
      std::string why;
      auto r = trap::trap([&] {
        Server server;
        auto c = open_session(server.port());
        for (int i = 0; i < 10; ++i)
          if (send_message(c, "t" + std::to_string(t) + "@x", {"b@y"}, kContent, i == 0) != 250)
            why = "refused";
        command(c, "QUIT");
        std::cout << "thread " << t << " sent " << server.message_count() << "\n";
        if (!server.shutdown().clean()) why = "unclean";
      });
      if (r.out() != "thread " + std::to_string(t) + " sent 10\n") why += " stdout: " + r.out();
      return why;
    }));
  for (auto& r : runs) BOOST_TEST(r.get() == "");
}

// As trap::net::TcpServer and UdpServer bound their logs: the newest
// max_log kept, the oldest dropped and counted, the report saying so.
BOOST_AUTO_TEST_CASE(max_log_bounds_the_problems_and_the_messages) {
  ServerOptions o;
  o.max_log = 3;
  Server server(o);
  auto c = open_session(server.port());
  for (int i = 1; i <= 5; ++i) BOOST_TEST(command(c, "BOGUS" + std::to_string(i)) == 500);
  for (int i = 1; i <= 4; ++i)
    BOOST_TEST(send_message(c, "a" + std::to_string(i) + "@x", {"b@y"}, kContent, i == 1) == 250);
  BOOST_TEST(command(c, "QUIT") == 221);
  BOOST_TEST(server.problem_count() == 5u);
  const auto problems = server.problems();
  BOOST_REQUIRE(problems.size() == 3u);
  BOOST_TEST(problems.front().input == "BOGUS3");
  BOOST_TEST(problems.back().input == "BOGUS5");
  BOOST_TEST(server.message_count() == 4u);
  const auto messages = server.messages();
  BOOST_REQUIRE(messages.size() == 3u);
  BOOST_TEST(messages.front().mail_from == "a2@x");
  auto first = server.take_message();  // the oldest kept: #1 was dropped
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->sequence == 2u);
  auto report = server.shutdown();
  BOOST_TEST(!report.clean());
  BOOST_TEST(report.problems == problems);
  BOOST_TEST(report.problems_dropped == 2u);
  BOOST_TEST(report.describe().starts_with("problem: 2 earlier problems dropped (max_log)\n"
                                           "problem: session 1 "),
             report.describe());
}
