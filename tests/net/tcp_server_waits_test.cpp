// SPDX-License-Identifier: BSL-1.0
// trap::net::TcpServer's fast paths keep its behaviour: a handler's calls
// run at once on the server's thread (their errors reaching the handler);
// the constructor sets up on its own thread unless a handler must see
// `registered` on the server's thread (where it may call the server); the
// log turns over in blocks without moving an event a handler holds; a wait
// for one client starts at its connection without missing what the log
// keeps; client addresses are written out as before.
#define BOOST_TEST_MODULE tcp_server_waits
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/errors.hpp>
#include <trap/net.hpp>

#include "support/client.hpp"

using namespace std::chrono_literals;
using test_net::Client;
using trap::net::ServerEvent;
using trap::net::TcpServer;
using trap::net::TcpServerOptions;

BOOST_AUTO_TEST_CASE(a_handler_of_registered_can_call_the_server) {
  // The handler reaches the server being built through storage it is
  // being built in: the only way a handler can call it during
  // construction, and one that used to run on the server's thread.
  alignas(TcpServer) unsigned char storage[sizeof(TcpServer)];
  auto* server = reinterpret_cast<TcpServer*>(storage);
  std::uint16_t port_seen = 0;
  std::vector<trap::net::ClientId> clients_seen{99};
  TcpServerOptions o;
  o.handler = [&](const ServerEvent& e) {
    if (e.kind != "registered") return;
    port_seen = server->port();
    clients_seen = server->clients();
  };
  server = new (storage) TcpServer(o);
  BOOST_TEST(port_seen != 0);
  BOOST_TEST(port_seen == server->port());
  BOOST_TEST(clients_seen.empty());
  Client client("127.0.0.1", server->port());  // the server's thread runs
  BOOST_TEST(server->wait_for_connection().has_value());
  server->~TcpServer();
}

BOOST_AUTO_TEST_CASE(registered_is_delivered_on_the_servers_thread) {
  std::thread::id registered_on, connected_on;
  TcpServerOptions o;
  std::promise<void> connected;
  o.handler = [&](const ServerEvent& e) {
    if (e.kind == "registered") registered_on = std::this_thread::get_id();
    if (e.kind != "connected") return;
    connected_on = std::this_thread::get_id();
    connected.set_value();
  };
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  BOOST_REQUIRE(connected.get_future().wait_for(5s) == std::future_status::ready);
  BOOST_TEST((registered_on != std::this_thread::get_id()));
  BOOST_TEST((registered_on == connected_on));
}

BOOST_AUTO_TEST_CASE(a_handler_calling_the_server_wrongly_gets_the_error) {
  TcpServer server;
  std::string error;
  std::promise<void> ran;
  server.register_events({"connected"}, [&](const ServerEvent&) {
    try {
      server.terminate(999);  // (a send to it would return false: issue 17)
    } catch (const trap::UsageError& e) {
      error = e.what();
    }
    ran.set_value();
  });
  Client client("127.0.0.1", server.port());
  BOOST_REQUIRE(ran.get_future().wait_for(5s) == std::future_status::ready);
  BOOST_TEST(error == "testd: no client 999 (it never connected, or it is disconnected)");
}

BOOST_AUTO_TEST_CASE(an_event_a_handler_holds_stays_while_nested_ones_are_logged) {
  TcpServerOptions o;
  o.max_log = 3;  // the nested events turn the log over
  TcpServer server(o);
  std::string input_after;
  std::uint64_t sequence_before = 0, sequence_after = 0;
  std::promise<void> ran;
  server.register_events({"client_input"}, [&](const ServerEvent& e) {
    sequence_before = e.sequence;
    server.terminate(e.client);  // logs disconnected
    input_after = e.input;
    sequence_after = e.sequence;
    ran.set_value();
  });
  Client client("127.0.0.1", server.port());
  client.send("a line long enough to live on the heap, not in the string\n");
  BOOST_REQUIRE(ran.get_future().wait_for(5s) == std::future_status::ready);
  BOOST_TEST(input_after == "a line long enough to live on the heap, not in the string");
  BOOST_TEST(sequence_after == sequence_before);
}

BOOST_AUTO_TEST_CASE(the_log_turns_over_across_blocks_in_order) {
  TcpServerOptions o;
  o.max_log = 70;  // more than one block, less than two
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  for (int i = 0; i < 300; ++i) client.send("line " + std::to_string(i) + "\n");
  client.close();
  BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  auto log = server.log();
  BOOST_REQUIRE(log.size() == 70u);
  // registered, connected, 300 inputs, disconnected: 303 events.
  for (std::size_t i = 0; i < log.size(); ++i) BOOST_TEST(log[i].sequence == 234 + i);
  BOOST_TEST(log.front().input == "line 231");
  BOOST_TEST(log[68].input == "line 299");
  BOOST_TEST(log.back().kind == "disconnected");
}

BOOST_AUTO_TEST_CASE(waits_for_each_of_many_clients_find_their_events) {
  TcpServer server;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<trap::net::ClientId> ids;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<Client>("127.0.0.1", server.port()));
    auto c = server.wait_for_connection();
    BOOST_REQUIRE(c.has_value());
    ids.push_back(c->client);
  }
  for (int i = 19; i >= 0; --i)
    clients[static_cast<std::size_t>(i)]->send(std::to_string(i) + "\n");
  for (int i = 19; i >= 0; --i) clients[static_cast<std::size_t>(i)]->close();
  // Waited for in the other order than they came: each finds its own.
  for (int i = 0; i < 20; ++i) {
    auto in = server.wait_for_input(ids[static_cast<std::size_t>(i)]);
    BOOST_REQUIRE(in.has_value());
    BOOST_TEST(in->input == std::to_string(i));
    auto gone = server.wait_for_disconnection(ids[static_cast<std::size_t>(i)]);
    BOOST_REQUIRE(gone.has_value());
    BOOST_TEST(gone->client == ids[static_cast<std::size_t>(i)]);
  }
}

BOOST_AUTO_TEST_CASE(a_wait_for_a_client_whose_connection_the_log_dropped) {
  TcpServerOptions o;
  o.max_log = 4;
  TcpServer server(o);
  Client first("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  BOOST_REQUIRE(c.has_value());
  for (int i = 0; i < 10; ++i) first.send("x" + std::to_string(i) + "\n");
  first.send("last\n");
  std::optional<ServerEvent> in;
  do {
    in = server.wait_for_input(std::nullopt, 5s);
  } while (in && in->input != "last");
  BOOST_REQUIRE(in.has_value());
  // Its connected event is long gone; a first wait for its input gets the
  // oldest still kept: registered, connected, x0..x9 (3..12), last (13).
  in = server.wait_for_input(c->client, 0ms);
  BOOST_REQUIRE(in.has_value());
  BOOST_TEST(in->input == "x7");
  BOOST_TEST(in->sequence == 10u);
}

BOOST_AUTO_TEST_CASE(a_wait_for_a_client_that_connects_later) {
  TcpServer server;
  Client a("127.0.0.1", server.port());
  auto ca = server.wait_for_connection();
  BOOST_REQUIRE(ca.has_value());
  const trap::net::ClientId next = ca->client + 1;
  BOOST_TEST(!server.wait_for_input(next, 0ms).has_value());
  Client b("127.0.0.1", server.port());
  b.send("from b\n");
  auto in = server.wait_for_input(next);
  BOOST_REQUIRE(in.has_value());
  BOOST_TEST(in->input == "from b");
  BOOST_TEST(!server.wait_for_input(ca->client, 0ms).has_value());
}

BOOST_AUTO_TEST_CASE(client_addresses_are_written_out_in_full) {
  TcpServer server;
  // A client from 127.10.0.255 (any 127/8 address is the loopback's).
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x7f0a00ff);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) == 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
  auto c = server.wait_for_connection();
  ::close(fd);
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->info.peeraddr == "127.10.0.255");
  BOOST_TEST(c->info.sockaddr == "127.0.0.1");
  BOOST_TEST(c->info.sockport == server.port());
}

BOOST_AUTO_TEST_CASE(nothing_is_written_once_an_immediate_shutdown_begins) {
  TcpServer server;
  Client a("127.0.0.1", server.port());
  auto ca = server.wait_for_connection();
  Client b("127.0.0.1", server.port());
  auto cb = server.wait_for_connection();
  BOOST_REQUIRE(ca && cb);
  // Closing the clients in order, the server tells the first one's
  // handler; the second one is still open, and its side already shut.
  bool sent = false;
  server.register_events({"disconnected"}, [&](const ServerEvent& e) {
    if (e.client != ca->client) return;
    server.send_to_client(cb->client, "too late");
    sent = true;
  });
  auto report = server.shutdown(0ms);
  BOOST_TEST(sent);
  BOOST_TEST(report.unclosed.size() == 2u);
  BOOST_TEST(b.read_bytes(1).empty());  // end of file, nothing before it
  BOOST_TEST(b.closed_by_server());
}
