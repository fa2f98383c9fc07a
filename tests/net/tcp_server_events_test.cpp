// SPDX-License-Identifier: BSL-1.0
// trap::net::TcpServer's events written in place keep their contract: every
// event is named ("<prefix>_<kind>") in the log, in the waits' results and
// for handlers, whether or not anything listens to its kind; registrations
// get exactly the kinds they name ("all" apart); an event logged in a slot
// an older one used has nothing of the older one. An immediate shutdown
// still reads what each client sent (found by one poll) and closes with an
// end of file, not a reset.
#define BOOST_TEST_MODULE tcp_server_events
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/net.hpp>

#include "support/client.hpp"

using namespace std::chrono_literals;
using test_net::Client;
using trap::net::ServerEvent;
using trap::net::TcpServer;
using trap::net::TcpServerOptions;

namespace {

// Whether the server's side acknowledged all that @p c sent (its end of
// file included) within 5 s: then it is the server socket's to read.
bool acknowledged(const Client& c) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  do {
    tcp_info info{};
    socklen_t n = sizeof info;
    if (::getsockopt(c.fd(), IPPROTO_TCP, TCP_INFO, &info, &n) != 0) return false;
    if (info.tcpi_unacked == 0) return true;
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_event_is_named_though_nothing_listens) {
  TcpServerOptions o;
  o.prefix = "echo";
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  auto connected = server.wait_for_connection();
  BOOST_REQUIRE(connected.has_value());
  BOOST_TEST(connected->name == "echo_connected");
  client.send("hi\n");
  auto input = server.wait_for_input();
  BOOST_REQUIRE(input.has_value());
  BOOST_TEST(input->name == "echo_client_input");
  server.send_to_client(input->client, "there");
  auto flushed = server.wait_for("client_flushed");
  BOOST_REQUIRE(flushed.has_value());
  BOOST_TEST(flushed->name == "echo_client_flushed");
  client.close();
  BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  auto log = server.log();
  BOOST_REQUIRE(log.size() == 5u);
  for (auto& e : log) BOOST_TEST(e.name == "echo_" + e.kind);
}

BOOST_AUTO_TEST_CASE(a_handler_sees_every_event_named) {
  std::vector<std::string> seen;  // the server's thread's, read after shutdown
  TcpServerOptions o;
  o.prefix = "a_prefix_longer_than_a_short_string";
  o.handler = [&](const ServerEvent& e) { seen.push_back(e.kind + "=" + e.name); };
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  client.send("hi\n");
  BOOST_REQUIRE(server.wait_for_input().has_value());
  client.close();
  BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  server.shutdown();
  const std::string p = o.prefix + "_";
  BOOST_TEST(
      seen == (std::vector<std::string>{
                  "registered=" + p + "registered", "connected=" + p + "connected",
                  "client_input=" + p + "client_input", "disconnected=" + p + "disconnected"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(registrations_get_the_kinds_they_name) {
  TcpServer server;
  std::vector<std::string> only_connected, input_after_all, nonsense, removed, disc_left;
  auto note = [](std::vector<std::string>& v) {
    return [&v](const ServerEvent& e) { v.push_back(e.name); };
  };
  server.register_events({"connected"}, note(only_connected));
  int b = server.register_events({"all", "client_input"}, note(input_after_all));
  server.unregister_events(b, {"all"});
  // A name of no kind (or one with the prefix) would never be called: the
  // test is told (POE leaves such a registration silent).
  BOOST_CHECK_THROW(server.register_events({"nonsense"}, note(nonsense)), trap::UsageError);
  BOOST_CHECK_THROW(server.register_events({"testd_connected"}, note(nonsense)), trap::UsageError);
  int d = server.register_events({"client_input"}, note(removed));
  server.unregister_events(d);
  int e = server.register_events({"client_input", "disconnected"}, note(disc_left));
  server.unregister_events(e, {"client_input"});
  Client client("127.0.0.1", server.port());
  client.send("hi\n");
  BOOST_REQUIRE(server.wait_for_input().has_value());
  client.close();
  BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  server.shutdown();
  BOOST_TEST(only_connected == std::vector<std::string>{"testd_connected"},
             boost::test_tools::per_element());
  // Registered with "all", it had its own `registered` event (issue 17).
  BOOST_TEST(
      input_after_all == (std::vector<std::string>{"testd_registered", "testd_client_input"}),
      boost::test_tools::per_element());
  BOOST_TEST(nonsense.empty());
  BOOST_TEST(removed.empty());
  BOOST_TEST(disc_left == std::vector<std::string>{"testd_disconnected"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_event_in_a_reused_slot_has_nothing_of_the_old_one) {
  TcpServerOptions o;
  o.max_log = 2;        // the log's first block is reused after 128 events
  o.max_message = 200;  // a longer line is a client_error
  TcpServer server(o);
  std::vector<ServerEvent> inputs;  // as the registration saw them, in their slots
  server.register_events({"client_input"}, [&](const ServerEvent& e) { inputs.push_back(e); });
  {
    Client bad("127.0.0.1", server.port());
    bad.send(std::string(300, 'x') + "\n");
    auto error = server.wait_for("client_error");
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(error->operation == "read");
    BOOST_TEST(!error->message.empty());
    BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  }
  Client good("127.0.0.1", server.port());
  for (int i = 0; i < 300; ++i) good.send("l" + std::to_string(i) + "\n");
  good.close();
  BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  server.shutdown();
  BOOST_REQUIRE(inputs.size() == 300u);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ServerEvent& e = inputs[i];
    BOOST_TEST(e.input == "l" + std::to_string(i));
    BOOST_TEST(e.name == "testd_client_input");
    BOOST_TEST(e.operation.empty());
    BOOST_TEST(e.message.empty());
    BOOST_TEST(e.error == 0);
    BOOST_TEST(e.info.peeraddr == "127.0.0.1");
    BOOST_TEST(e.sequence == 6 + i);  // registered, connected, error, disconnected, connected
  }
  auto log = server.log();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[0].input == "l299");
  BOOST_TEST(log[1].kind == "disconnected");
  BOOST_TEST(log[1].input.empty());
  BOOST_TEST(log[1].name == "testd_disconnected");
}

// A long log is kept in blocks from the heap, then in 2 MiB mapped chunks
// (64 events a block, 16 blocks from the heap, 315 blocks a chunk): past a
// second chunk, and turning over once it is full, every event kept is
// whole and in order, and each input's own buffer (longer than a string
// holds in place) is freed with the log (the leak checker's builds).
BOOST_AUTO_TEST_CASE(a_log_past_its_heap_blocks_and_two_chunks_keeps_every_event) {
  constexpr int kLines = 25'000;
  constexpr std::size_t kKept = 22'000;  // 1,024 on the heap, 20,160 a chunk
  TcpServerOptions o;
  o.max_log = kKept;
  TcpServer server(o);
  auto line = [](int i) { return "a line long enough to leave its string, " + std::to_string(i); };
  {
    Client c("127.0.0.1", server.port());
    std::string batch;
    for (int i = 0; i < kLines; ++i) batch += line(i) + "\n";
    c.send(batch);
    c.close();
    BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  }
  auto log = server.log();
  BOOST_REQUIRE(log.size() == kKept);
  // registered, connected, kLines inputs, disconnected: the newest kKept.
  const std::uint64_t total = kLines + 3;
  for (std::size_t i = 0; i + 1 < kKept; ++i) {
    const ServerEvent& e = log[i];
    const std::uint64_t sequence = total - kKept + 1 + i;
    if (e.sequence != sequence || e.kind != "client_input" ||
        e.input != line(static_cast<int>(sequence - 3)) || e.info.peeraddr != "127.0.0.1") {
      BOOST_ERROR("event " << i << " is " << e.kind << " #" << e.sequence << " \"" << e.input
                           << "\", not input #" << sequence);
      break;
    }
  }
  BOOST_TEST(log.back().kind == "disconnected");
  BOOST_TEST(log.back().sequence == total);
}

BOOST_AUTO_TEST_CASE(an_immediate_shutdown_reads_what_came_and_closes_cleanly) {
  TcpServer server;
  std::vector<Client> clients;  // a: sends, b: silent, c: sends and ends, z: shuts down
  std::vector<trap::net::ClientId> ids;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back("127.0.0.1", server.port());
    auto connected = server.wait_for_connection();
    BOOST_REQUIRE(connected.has_value());
    ids.push_back(connected->client);
  }
  Client &a = clients[0], &b = clients[1], &c = clients[2], &z = clients[3];
  // z's line holds the server's thread in a handler while the others
  // send; then the handler shuts the server down at once.
  std::promise<void> entered, release;
  std::promise<trap::net::ShutdownReport> done;
  auto released = release.get_future();
  server.register_events({"client_input"}, [&](const ServerEvent& e) {
    if (e.client != ids[3]) return;
    entered.set_value();
    released.wait();
    done.set_value(server.shutdown());
  });
  z.send("hold\n");
  BOOST_REQUIRE(entered.get_future().wait_for(5s) == std::future_status::ready);
  a.send("last words\n");
  c.send("bye\n");
  c.shutdown_write();
  BOOST_REQUIRE(acknowledged(a));
  BOOST_REQUIRE(acknowledged(c));
  release.set_value();
  auto report = done.get_future();
  BOOST_REQUIRE(report.wait_for(5s) == std::future_status::ready);
  auto unclosed = report.get().unclosed;
  BOOST_REQUIRE(unclosed.size() == 3u);  // a, b, z: c's end of file came
  BOOST_TEST(unclosed[0].peerport == a.local_port());
  BOOST_TEST(unclosed[1].peerport == b.local_port());
  BOOST_TEST(unclosed[2].peerport == z.local_port());
  std::vector<std::string> inputs;
  for (auto& e : server.log())
    if (e.kind == "client_input") inputs.push_back(std::to_string(e.client) + ":" + e.input);
  BOOST_TEST(inputs == (std::vector<std::string>{std::to_string(ids[3]) + ":hold",
                                                 std::to_string(ids[0]) + ":last words",
                                                 std::to_string(ids[2]) + ":bye"}),
             boost::test_tools::per_element());
  for (Client* each : {&a, &b, &c, &z}) {
    bool reset = true;
    BOOST_TEST(each->closed_by_server(5s, &reset));
    BOOST_TEST(!reset);
  }
  server.shutdown();  // joins the thread
}
