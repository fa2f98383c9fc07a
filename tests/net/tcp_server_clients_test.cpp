// SPDX-License-Identifier: BSL-1.0
// trap::net::TcpServer against clients that misbehave (reset mid-message,
// never read, a thousand at once) and the per-client policies that make a
// server misbehave on purpose (close after N bytes, reset, throttle, delay,
// stop reading). Only 127.0.0.1 and ::1; every wait is bounded.
#define BOOST_TEST_MODULE tcp_server_clients

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/net.hpp>

#include "support/client.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using test_net::Client;
using trap::net::TcpServer;
using trap::net::TcpServerOptions;

BOOST_AUTO_TEST_SUITE(misbehaving_clients)

BOOST_AUTO_TEST_CASE(client_reset_mid_message) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  client.send("half a li");
  client.reset();
  BOOST_TEST(server.wait_for_disconnection(c->client).has_value());
  BOOST_TEST(!server.wait_for_input(c->client, 0ms).has_value());
}

BOOST_AUTO_TEST_CASE(client_that_never_reads_is_dropped_at_the_queue_limit) {
  TcpServerOptions o;
  o.max_queued = 8 << 20;
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  const std::string mib(1 << 20, 'x');
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = !server.send_to_client(c->client, mib);
    // A send that says the message is queued did not drop the client.
    if (!refused) BOOST_REQUIRE(!server.wait_for("client_error", c->client, 0ms));
  }
  BOOST_TEST(refused);  // the send that passed the limit said so
  auto error = server.wait_for("client_error", c->client);
  BOOST_REQUIRE(error);
  BOOST_TEST(error->message.find("it is not reading") != std::string::npos);
  BOOST_TEST(server.wait_for_disconnection(c->client).has_value());
}

BOOST_AUTO_TEST_CASE(a_thousand_clients_at_once_every_line_in_order) {
  TcpServer server;
  // Collected as they come: 100,000 lines are more than the log keeps.
  std::mutex m;
  std::vector<trap::net::ServerEvent> inputs;
  server.register_events({"client_input"}, [&](const trap::net::ServerEvent& e) {
    std::lock_guard lock(m);
    inputs.push_back(e);
  });
  constexpr int kClients = 1000, kLines = 100;
  // Both ends of every connection are ours: about 2,000 descriptors, more
  // than the usual soft limit of 1,024.
  BOOST_REQUIRE_MESSAGE(test_support::allow_descriptors(2 * kClients + 256),
                        "the descriptor limit (ulimit -Hn) is below " << 2 * kClients + 256);
  std::vector<Client> clients(kClients);
  for (auto& c : clients) c.connect("127.0.0.1", server.port());
  for (int line = 0; line < kLines; ++line)
    for (int i = 0; i < kClients; ++i)
      clients[i].send(std::to_string(i) + ":" + std::to_string(line) + "\n");
  for (auto& c : clients) c.close();
  for (int i = 0; i < kClients; ++i) BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  std::map<trap::net::ClientId, int> next_line;
  std::map<trap::net::ClientId, std::string> sender;
  int total = 0;
  std::lock_guard lock(m);
  for (auto& e : inputs) {
    ++total;
    auto colon = e.input.find(':');
    std::string who = e.input.substr(0, colon);
    auto [it, fresh] = sender.emplace(e.client, who);
    BOOST_REQUIRE(it->second == who);  // one client, one sender
    BOOST_REQUIRE(std::stoi(e.input.substr(colon + 1)) == next_line[e.client]++);
  }
  BOOST_TEST(total == kClients * kLines);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(policies)

BOOST_AUTO_TEST_CASE(close_after_bytes_and_reset) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  server.set_client_policy(c->client, {.close_after_bytes = 4});
  server.send_to_client(c->client, "abcdefgh");
  BOOST_TEST(client.read_bytes(100, 2s) == "abcd");
  BOOST_TEST(client.closed_by_server());

  Client rude("127.0.0.1", server.port());
  auto r = server.wait_for_connection();
  server.set_client_policy(r->client, {.reset = true});
  server.terminate(r->client);
  bool was_reset = false;
  BOOST_TEST(rude.closed_by_server(5s, &was_reset));
  BOOST_TEST(was_reset);
}

BOOST_AUTO_TEST_CASE(throttled_output_arrives_whole_and_slowly) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  server.set_client_policy(c->client, {.throttle_bytes_per_second = 1000});
  const auto start = std::chrono::steady_clock::now();
  server.send_to_client(c->client, std::string(299, 'x'));  // 300 bytes with "\n"
  BOOST_TEST(client.read_bytes(300).size() == 300u);
  // 100 bytes per 100 ms: at least two pauses between three writes.
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 200ms));
}

BOOST_AUTO_TEST_CASE(delay_and_stop_reading) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  server.set_client_policy(c->client, {.delay = 150ms});
  const auto start = std::chrono::steady_clock::now();
  server.send_to_client(c->client, "late");
  BOOST_TEST(client.read_line().value_or("") == "late");
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 150ms));

  server.set_client_policy(c->client, {.stop_reading = true});
  client.send("ignored for now\n");
  BOOST_TEST(!server.wait_for_input(c->client, 100ms).has_value());
  server.set_client_policy(c->client, {});
  BOOST_TEST(server.wait_for_input(c->client)->input == "ignored for now");
}

BOOST_AUTO_TEST_SUITE_END()
