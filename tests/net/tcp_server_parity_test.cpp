// SPDX-License-Identifier: BSL-1.0
// trap::net::TcpServer as a Test::POE::Server::TCP user writes it: the
// prefix rule (`$prefix .= '_' unless $prefix =~ /_$/`), a `registered`
// event for each registration, handlers that reach their server, and
// httptest's conveniences (address(), close_client_connections(), sends to
// a departed client that do not throw, events Boost.Test can print).
#define BOOST_TEST_MODULE tcp_server_parity
#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/net.hpp>

#include "support/client.hpp"
#include "support/test_support.hpp"

using test_net::Client;
using test_support::printed;
using trap::net::ClientInfo;
using trap::net::ServerEvent;
using trap::net::TcpServer;
using trap::net::TcpServerOptions;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const trap::UsageError& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

// ------------------------------------------------------------- 1. prefix

BOOST_AUTO_TEST_CASE(a_prefix_ending_in_underscore_gets_no_second_one) {
  TcpServer server({.prefix = "bingosd_"});
  auto log = server.log();
  BOOST_REQUIRE(!log.empty());
  BOOST_TEST(log.front().name == "bingosd_registered");
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->name == "bingosd_connected");
  // Diagnostics print the prefix without its "_".
  server.shutdown();
  BOOST_TEST(message_of([&] { server.clients(); }) == "bingosd: the server has shut down");
}

BOOST_AUTO_TEST_CASE(a_prefix_without_underscore_gets_one) {
  TcpServer server({.prefix = "testd"});
  BOOST_TEST(server.log().front().name == "testd_registered");
  TcpServer underscores({.prefix = "x__"});  // POE adds none: it ends in "_"
  BOOST_TEST(underscores.log().front().name == "x__registered");
  BOOST_TEST(message_of([&] { underscores.terminate(9); }).starts_with("x: no client 9"));
}

// ----------------------------------------------------- 2. registrations

BOOST_AUTO_TEST_CASE(a_late_registration_gets_its_own_registered_event) {
  TcpServer server;
  std::mutex m;
  std::vector<std::string> first, second, inputs_only;
  server.register_events({"all"}, [&](const ServerEvent& e) {
    std::lock_guard lock(m);
    first.push_back(e.name);
  });
  server.register_events({"registered", "connected"}, [&](TcpServer& s, const ServerEvent& e) {
    std::lock_guard lock(m);
    second.push_back(e.name + (&s == &server ? "" : " (another server)"));
  });
  // A callback for client_input alone reads inputs: it gets none.
  server.register_events({"client_input"}, [&](const ServerEvent& e) {
    std::lock_guard lock(m);
    inputs_only.push_back(e.name);
  });
  // register_events() returns once the registration has had its event;
  // the first registration did not see the second's.
  std::lock_guard lock(m);
  BOOST_TEST(first == std::vector<std::string>{"testd_registered"});
  BOOST_TEST(second == std::vector<std::string>{"testd_registered"});
  BOOST_TEST(inputs_only.empty());
  // Not logged: the log has the server's own, once.
  auto log = server.log();
  BOOST_TEST(
      std::count_if(log.begin(), log.end(), [](auto& e) { return e.kind == "registered"; }) == 1);
}

BOOST_AUTO_TEST_CASE(a_registration_from_a_handler_is_welcomed_after_it) {
  TcpServer server;
  std::promise<std::string> welcomed;
  std::atomic<bool> in_handler = false;
  server.register_events({"connected"}, [&](TcpServer& s, const ServerEvent&) {
    in_handler = true;
    s.register_events({"registered"}, [&](const ServerEvent& e) {
      welcomed.set_value(e.name + (in_handler ? " inside" : " after"));
    });
    in_handler = false;
  });
  Client client("127.0.0.1", server.port());
  auto f = welcomed.get_future();
  BOOST_REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  BOOST_TEST(f.get() == "testd_registered after");
}

// ------------------------------------------------------------- 6. handlers

BOOST_AUTO_TEST_CASE(an_echo_server_written_in_its_options) {
  TcpServerOptions o;
  o.handler = [](TcpServer& s, const ServerEvent& e) {
    if (e.kind == "client_input") s.send_to_client(e.client, "echo: " + e.input);
  };
  TcpServer server(std::move(o));
  Client client("127.0.0.1", server.port());
  client.send("one\ntwo\n");
  BOOST_TEST(client.read_line().value_or("(none)") == "echo: one");
  BOOST_TEST(client.read_line().value_or("(none)") == "echo: two");
}

BOOST_AUTO_TEST_CASE(both_handler_signatures_are_assignable) {
  TcpServerOptions o;
  BOOST_TEST(!o.handler);
  std::function<void(const ServerEvent&)> old_style;  // empty: no handler
  o.handler = old_style;
  BOOST_TEST(!o.handler);
  int calls = 0;
  o.handler = [&calls](const ServerEvent&) { ++calls; };
  BOOST_TEST(static_cast<bool>(o.handler));
  TcpServer server(std::move(o));
  BOOST_TEST(calls == 1);  // registered
}

// --------------------------------------------------------- 7. conveniences

BOOST_AUTO_TEST_CASE(address_and_address6_name_where_to_connect) {
  TcpServer server;
  BOOST_TEST(server.address() == "127.0.0.1:" + std::to_string(server.port()));
  if (server.port6() != 0)
    BOOST_TEST(server.address6() == "[::1]:" + std::to_string(server.port6()));
  TcpServer v4({.ipv6 = false});
  BOOST_TEST(message_of([&] { (void)v4.address6(); }) ==
             "testd: address6(): no IPv6 listener is up (ipv6 off, an IPv4 address, or its "
             "listener failed)");
  TcpServer any({.address = "any", .ipv6 = false});
  BOOST_TEST(any.address() == "127.0.0.1:" + std::to_string(any.port()));
  server.shutdown();
  BOOST_TEST(message_of([&] { (void)server.address(); }) == "testd: the server has shut down");
}

BOOST_AUTO_TEST_CASE(address_throws_when_ipv4_is_off) {
  TcpServer v6({.address = "::1"});
  BOOST_TEST(message_of([&] { (void)v6.address(); }) == "testd: address(): no IPv4 listener is up");
}

BOOST_AUTO_TEST_CASE(close_client_connections_closes_each_and_keeps_listening) {
  TcpServer server;
  Client a("127.0.0.1", server.port()), b("127.0.0.1", server.port());
  server.wait_for_connection();
  server.wait_for_connection();
  a.send("last words\n");
  BOOST_REQUIRE(server.wait_for_input().has_value());
  a.send("unread\n");  // read before the close: an end of file, no reset
  BOOST_TEST(server.close_client_connections() == 2u);
  BOOST_TEST(server.clients().empty());
  bool reset = true;
  BOOST_TEST(a.closed_by_server(std::chrono::seconds(5), &reset));
  BOOST_TEST(!reset);
  BOOST_TEST(b.closed_by_server());
  BOOST_TEST(server.wait_for_disconnection(1u).has_value());
  BOOST_TEST(server.wait_for_disconnection(2u).has_value());
  auto unread = server.wait_for_input();
  BOOST_REQUIRE(unread.has_value());
  BOOST_TEST(unread->input == "unread");
  Client c("127.0.0.1", server.port());  // still listening
  BOOST_TEST(server.wait_for_connection().has_value());
  BOOST_TEST(server.close_client_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(a_send_to_a_departed_client_returns_false) {
  TcpServer server;
  ServerEvent connected;
  {
    Client client("127.0.0.1", server.port());
    connected = server.wait_for_connection().value();
  }
  BOOST_REQUIRE(server.wait_for_disconnection(connected.client).has_value());
  BOOST_TEST(!server.send_to_client(connected.client, "too late"));
  BOOST_TEST(!server.send_to_client(connected.client, std::vector<std::string>{"a", "b"}));
  BOOST_TEST(!server.send_parts_to_client(connected.client, {"a", "b"}));
  BOOST_TEST(!server.send_to_client(4711, "never connected"));
  BOOST_TEST(server.send_to_all_clients("nobody") == 0u);
  Client here("127.0.0.1", server.port());
  auto now = server.wait_for_connection().value();
  BOOST_TEST(server.send_to_client(now.client, "hello"));
  BOOST_TEST(here.read_line().value_or("(none)") == "hello");
  // Id 0 is what events about no client carry: a mistake, not a race.
  BOOST_TEST(message_of([&] { server.send_to_client(0, "x"); }) ==
             "testd: client id 0 is no client's (events about no client carry it)");
  server.shutdown();
  BOOST_TEST(message_of([&] { server.send_to_client(now.client, "x"); }) ==
             "testd: the server has shut down");
}

// A line filter that refuses to encode the message "bad".
class Refusing : public trap::net::Filter {
 public:
  std::vector<std::string> get(std::string_view bytes) override { return {std::string(bytes)}; }
  std::string put(std::string_view message) override {
    if (message == "bad") throw trap::net::FilterError("refused: bad");
    return std::string(message) + "\n";
  }
  std::unique_ptr<Filter> clone() const override { return std::make_unique<Refusing>(); }
};

BOOST_AUTO_TEST_CASE(a_message_a_filter_refuses_sends_nothing_to_anyone) {
  TcpServer server;
  Client a("127.0.0.1", server.port()), b("127.0.0.1", server.port());
  server.wait_for_connection();
  auto second = server.wait_for_connection().value();
  server.set_client_filter(second.client, nullptr, std::make_unique<Refusing>());
  // b's filter refuses the second message: a gets nothing either.
  BOOST_CHECK_THROW(server.send_to_all_clients(std::vector<std::string>{"ok", "bad"}),
                    trap::net::FilterError);
  BOOST_CHECK_THROW(server.send_parts_to_all_clients({"ok", "bad"}), trap::net::FilterError);
  // To one client: neither message of the list is sent.
  BOOST_CHECK_THROW(server.send_to_client(second.client, std::vector<std::string>{"ok", "bad"}),
                    trap::net::FilterError);
  BOOST_TEST(server.send_to_all_clients("after") == 2u);
  BOOST_TEST(a.read_line().value_or("(none)") == "after");
  BOOST_TEST(b.read_line().value_or("(none)") == "after");
}

BOOST_AUTO_TEST_CASE(events_print_for_boost_test) {
  TcpServer server({.prefix = "echo"});
  Client client("127.0.0.1", server.port());
  client.send("say \"hi\"\t\x01\n");
  auto input = server.wait_for_input().value();
  BOOST_TEST_INFO(input);  // compiles: operator<<
  BOOST_TEST(input.kind == "client_input");
  const std::string peer = "127.0.0.1:" + std::to_string(client.local_port());
  const std::string us = "127.0.0.1:" + std::to_string(server.port());
  BOOST_TEST(printed(input) == "echo_client_input #3 client 1 input \"say \\\"hi\\\"\\t\\x01\" (" +
                                   peer + " -> " + us + ")");
  BOOST_TEST(printed(input.info) == peer + " -> " + us);
  BOOST_TEST(input == server.log().at(2));  // whole events compare, and print if they differ
  BOOST_TEST(input != server.log().at(1));
  ClientInfo v6{"::1", 5, "::1", 6};
  BOOST_TEST(printed(v6) == "[::1]:5 -> [::1]:6");
  client.close();
  auto report = server.shutdown();
  BOOST_TEST(report.clean());
  BOOST_TEST(printed(report) == "clean teardown");
  trap::net::ShutdownReport unclean{{v6}};
  BOOST_TEST(printed(unclean) == "unclean teardown: 1 client connection still open from [::1]:5");
  trap::net::Datagram d{"ping\n", "127.0.0.1", 53, 1};
  BOOST_TEST(printed(d) == "datagram #1 from 127.0.0.1:53 \"ping\\n\"");
  BOOST_TEST(d == d);
}
