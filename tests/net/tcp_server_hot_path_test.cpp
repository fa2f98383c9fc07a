// SPDX-License-Identifier: BSL-1.0
// What trap::net::TcpServer's request path keeps while it was made cheaper
// (issue 16, NET3): clients found by id as they come and go, registrations
// changed from a handler seen by the next event, the reads put off and the
// operations' memory reused on the server's own context and on a context
// of the caller's, the event log's compact records read back whole, and
// the event a handler holds kept while a nested one is delivered.
#define BOOST_TEST_MODULE tcp_server_hot_path

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/errors.hpp>
#include <trap/net.hpp>

#include "support/client.hpp"

using namespace std::chrono_literals;
using test_net::Client;
using trap::net::ClientId;
using trap::net::ServerEvent;
using trap::net::TcpServer;
using trap::net::TcpServerOptions;

namespace {

using Ids = std::vector<ClientId>;

ClientId connect(TcpServer& server, std::vector<std::unique_ptr<Client>>& clients) {
  clients.push_back(std::make_unique<Client>("127.0.0.1", server.port()));
  auto c = server.wait_for_connection();
  BOOST_REQUIRE(c);
  return c->client;
}

// Echoes every line of @p clients @p rounds times, checking each reply.
void echo_rounds(std::vector<std::unique_ptr<Client>>& clients, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t i = 0; i < clients.size(); ++i)
      clients[i]->send(std::to_string(r) + "/" + std::to_string(i) + "\n");
    for (std::size_t i = 0; i < clients.size(); ++i)
      BOOST_REQUIRE(clients[i]->read_line().value_or("") ==
                    std::to_string(r) + "/" + std::to_string(i));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(clients_are_found_by_id_as_they_come_and_go) {
  TcpServer server;
  std::vector<std::unique_ptr<Client>> clients;
  const ClientId a = connect(server, clients), b = connect(server, clients),
                 c = connect(server, clients);
  BOOST_TEST(server.clients() == (Ids{a, b, c}));
  server.terminate(b);
  BOOST_TEST(server.clients() == (Ids{a, c}));
  BOOST_TEST(!server.send_to_client(b, "gone"));  // departed: false, no exception
  server.terminate(a);                            // the oldest: c is the first left
  BOOST_TEST(server.clients() == (Ids{c}));
  BOOST_CHECK_THROW(server.client_info(a), trap::UsageError);
  const ClientId d = connect(server, clients);
  BOOST_TEST(server.clients() == (Ids{c, d}));
  BOOST_TEST(server.send_to_client(d, "to d"));
  BOOST_TEST(clients[3]->read_line().value_or("") == "to d");
  server.terminate(c);
  server.terminate(d);
  BOOST_TEST(server.clients().empty());
  BOOST_CHECK_THROW(server.send_to_client(0, "none"), trap::UsageError);
  BOOST_TEST(!server.send_to_client(d + 1, "not yet"));
  const ClientId e = connect(server, clients);  // after none was open
  BOOST_TEST(e > d);
  BOOST_TEST(server.clients() == (Ids{e}));
  BOOST_TEST(server.send_to_client(e, "to e"));
  BOOST_TEST(clients[4]->read_line().value_or("") == "to e");
}

BOOST_AUTO_TEST_CASE(registrations_changed_by_a_handler_apply_to_the_next_event) {
  TcpServer server;
  std::vector<std::string> first, second;
  int first_id = 0;
  first_id = server.register_events({"client_input"}, [&](const ServerEvent& e) {
    first.push_back(e.input);
    server.unregister_events(first_id);
    server.register_events({"client_input"},
                           [&](const ServerEvent& next) { second.push_back(next.input); });
  });
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  client.send("one\n");
  BOOST_REQUIRE(server.wait_for_input(c->client));
  client.send("two\n");
  BOOST_REQUIRE(server.wait_for_input(c->client));
  client.send("three\n");
  BOOST_REQUIRE(server.wait_for_input(c->client));
  server.shutdown(0ms);  // the handlers have run
  BOOST_TEST(first == (std::vector<std::string>{"one"}));
  BOOST_TEST(second == (std::vector<std::string>{"two", "three"}));
}

BOOST_AUTO_TEST_CASE(an_unregistered_callable_is_let_go_by_the_next_event) {
  TcpServer server;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> held = token;
  const int id = server.register_events({"connected"}, [token](const ServerEvent&) {});
  token.reset();
  Client first("127.0.0.1", server.port());  // delivered to the registration
  BOOST_REQUIRE(server.wait_for_connection());
  server.unregister_events(id);
  Client second("127.0.0.1", server.port());  // delivered to nobody
  BOOST_REQUIRE(server.wait_for_connection());
  BOOST_TEST(held.expired());
}

BOOST_AUTO_TEST_CASE(many_clients_echo_on_the_servers_own_context) {
  TcpServer server;
  server.register_events({"client_input"},
                         [&](const ServerEvent& e) { server.send_to_client(e.client, e.input); });
  std::vector<std::unique_ptr<Client>> clients;
  Ids ids;
  for (int i = 0; i < 50; ++i) ids.push_back(connect(server, clients));
  echo_rounds(clients, 20);
  // A write that ends after shutdown() has begun has no client_flushed:
  // every one is waited for first.
  for (ClientId id : ids)
    for (int r = 0; r < 20; ++r) BOOST_REQUIRE(server.wait_for("client_flushed", id));
  for (auto& c : clients) c->close();
  auto report = server.shutdown(2000ms);
  BOOST_TEST(report.clean(), report.describe());
  std::map<std::string, int> kinds;
  for (auto& e : server.log()) ++kinds[e.kind];
  std::string counts;
  for (auto& [kind, n] : kinds) counts += kind + "=" + std::to_string(n) + " ";
  BOOST_TEST(counts ==
             "client_flushed=1000 client_input=1000 connected=50 disconnected=50 registered=1 ");
}

BOOST_AUTO_TEST_CASE(many_clients_echo_on_a_context_of_the_callers) {
  boost::asio::io_context ctx;
  auto guard = boost::asio::make_work_guard(ctx);
  std::thread runner([&] { ctx.run(); });
  {
    TcpServerOptions o;
    o.context = &ctx;
    TcpServer server(o);
    server.register_events({"client_input"},
                           [&](const ServerEvent& e) { server.send_to_client(e.client, e.input); });
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 20; ++i) connect(server, clients);
    echo_rounds(clients, 10);
    // Shut down with reads and writes under way: their handlers run on the
    // caller's thread after the server is gone.
    for (auto& c : clients) c->send("late\n");
    auto report = server.shutdown(0ms);
    BOOST_TEST(report.unclosed.size() <= clients.size());
  }
  guard.reset();
  runner.join();
}

BOOST_AUTO_TEST_CASE(the_log_reads_back_every_field_of_its_compact_records) {
  TcpServerOptions o;
  o.max_message = 10;  // a longer line is a client_error
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  const auto port = client.local_port();
  auto c = server.wait_for_connection();
  BOOST_REQUIRE(c);
  client.send("short\n");
  BOOST_REQUIRE(server.wait_for_input(c->client));
  client.send(std::string(20, 'x') + "\n");
  BOOST_REQUIRE(server.wait_for_disconnection(c->client));  // the error closed it
  auto error = server.wait_for("client_error", c->client);
  BOOST_REQUIRE(error);
  BOOST_TEST(error->operation == "read");
  BOOST_TEST(!error->message.empty());
  BOOST_TEST(error->info.peerport == port);
  const auto log = server.log();
  std::string all;
  for (auto& e : log) all += e.kind + " ";
  BOOST_REQUIRE_MESSAGE(log.size() == 5u, all);  // the kinds, if not
  const std::vector<std::string> kinds = {"registered", "connected", "client_input", "client_error",
                                          "disconnected"};
  for (std::size_t i = 0; i < log.size(); ++i) {
    const ServerEvent& e = log[i];
    BOOST_TEST(e.kind == kinds[i]);
    BOOST_TEST(e.name == "testd_" + kinds[i]);
    BOOST_TEST(e.sequence == i + 1);
    BOOST_TEST(e.client == (i == 0 ? 0 : c->client));
    BOOST_TEST(e.info.peeraddr == (i == 0 ? "" : "127.0.0.1"));
    BOOST_TEST(e.info.peerport == (i == 0 ? 0 : port));
    BOOST_TEST(e.info.sockport == (i == 0 ? 0 : server.port()));
    BOOST_TEST(e.input == (i == 2 ? "short" : ""));
    BOOST_TEST(e.operation == (i == 3 ? "read" : ""));
    BOOST_TEST(e.message == (i == 3 ? error->message : ""));
    BOOST_TEST(e.error == 0);
  }
}

BOOST_AUTO_TEST_CASE(an_event_keeps_its_fields_while_a_nested_one_is_delivered) {
  TcpServer server;
  std::vector<std::string> seen;
  server.register_events({"client_input", "disconnected"}, [&](const ServerEvent& e) {
    seen.push_back(e.name + " " + e.input);
    if (e.kind != "client_input") return;
    server.terminate(e.client);  // delivers disconnected from here
    seen.push_back("after: " + e.name + " " + e.input + " " + std::to_string(e.sequence));
  });
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  client.send("hello\n");
  BOOST_REQUIRE(server.wait_for_disconnection(c->client));
  server.shutdown(0ms);
  BOOST_TEST(seen == (std::vector<std::string>{"testd_client_input hello", "testd_disconnected ",
                                               "after: testd_client_input hello 3"}),
             boost::test_tools::per_element());
}
