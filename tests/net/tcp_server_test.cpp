// SPDX-License-Identifier: BSL-1.0
// trap::net::TcpServer with real clients (plain POSIX sockets): the
// Test::POE::Server::TCP synopsis, events, operations, filters and clean
// teardown (misbehaving clients and policies: tcp_server_clients_test.cpp).
// Only 127.0.0.1 and ::1; every wait is bounded.
#define BOOST_TEST_MODULE tcp_server
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/net.hpp>

#include "support/child.hpp"
#include "support/client.hpp"
#include "support/clog_watch.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

// Code written against the former name of trap::net::ServerEvent still
// compiles (with a deprecation warning).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static_assert(std::is_same_v<trap::net::Event, trap::net::ServerEvent>);
#pragma GCC diagnostic pop
using test_net::Client;
using trap::net::TcpServer;
using trap::net::TcpServerOptions;

namespace {

// The seed's echo server: every line a client sends comes back to it.
TcpServerOptions echo_options() {
  TcpServerOptions o;
  return o;
}

void echo(TcpServer& server) {
  server.register_events({"client_input"}, [&server](const trap::net::ServerEvent& e) {
    server.send_to_client(e.client, e.input);
  });
}

std::vector<std::string> kinds(const std::vector<trap::net::ServerEvent>& log) {
  std::vector<std::string> out;
  for (auto& e : log) out.push_back(e.kind);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(synopsis)

// Test::POE::Server::TCP's SYNOPSIS as a test: three lines echoed and
// matched, then the client goes away and the server shuts down.
BOOST_AUTO_TEST_CASE(echo_server_from_the_seed) {
  TcpServer server(echo_options());
  echo(server);
  const std::vector<std::string> data{"This is a test", "This is another test",
                                      "This is the last test"};
  Client client("127.0.0.1", server.port());
  for (auto& line : data) {
    client.send(line + "\n");
    BOOST_TEST(client.read_line().value_or("<nothing>") == line, "Data matched");
  }
  client.close();
  auto gone = server.wait_for_disconnection();
  BOOST_REQUIRE(gone);
  auto report = server.shutdown();
  BOOST_TEST(report.clean());
  std::vector<std::string> seen;
  for (auto& e : server.log())
    if (e.kind != "client_flushed") seen.push_back(e.name);
  BOOST_TEST(seen == (std::vector<std::string>{"testd_registered", "testd_connected",
                                               "testd_client_input", "testd_client_input",
                                               "testd_client_input", "testd_disconnected"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(listening)

BOOST_AUTO_TEST_CASE(ready_when_constructed_on_both_families) {
  TcpServer server;
  BOOST_TEST(server.log().at(0).kind == "registered");
  BOOST_TEST(server.port() != 0);
  BOOST_TEST(server.port6() != 0);
  BOOST_TEST(server.getsockname().first == "127.0.0.1");
  BOOST_TEST(server.getsockname6().first == "::1");
  Client v4("127.0.0.1", server.port());
  Client v6("::1", server.port6());
  auto a = server.wait_for_connection();
  auto b = server.wait_for_connection();
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  BOOST_TEST(a->info.peeraddr == "127.0.0.1");
  BOOST_TEST(b->info.peeraddr == "::1");
}

BOOST_AUTO_TEST_CASE(ipv6_off_and_a_single_address) {
  TcpServerOptions o;
  o.ipv6 = false;
  TcpServer server(o);
  BOOST_TEST(server.port6() == 0);
  TcpServerOptions only6;
  only6.address = "::1";
  TcpServer server6(only6);
  BOOST_TEST(server6.port() == 0);
  BOOST_TEST(server6.port6() != 0);
  BOOST_CHECK_THROW(TcpServer(TcpServerOptions{.address = "not an address"}), trap::UsageError);
  BOOST_CHECK_THROW(TcpServer(TcpServerOptions{.filter = "morse"}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(port_in_use_fails_and_start_listener_recovers) {
  // Take a port with a plain socket, then ask the server for it.
  int blocker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(blocker, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  BOOST_REQUIRE(::listen(blocker, 1) == 0);
  socklen_t n = sizeof a;
  ::getsockname(blocker, reinterpret_cast<sockaddr*>(&a), &n);
  const std::uint16_t taken = ntohs(a.sin_port);

  TcpServerOptions o;
  o.address = "127.0.0.1";
  o.port = taken;
  TcpServer server(o);
  auto failed = server.wait_for("listener_failed", std::nullopt, 0ms);
  BOOST_REQUIRE(failed);
  BOOST_TEST(failed->operation == "bind");
  BOOST_TEST(failed->error == EADDRINUSE);
  BOOST_TEST(server.port() == 0);
  ::close(blocker);
  BOOST_TEST(server.start_listener());
  BOOST_TEST(server.port() == taken);
  Client client("127.0.0.1", taken);
  BOOST_TEST(server.wait_for_connection().has_value());
}

BOOST_AUTO_TEST_CASE(paused_listener_accepts_nothing_until_resumed) {
  TcpServer server;
  server.pause_listening();
  Client client("127.0.0.1", server.port());  // completes in the backlog
  client.send("early\n");
  BOOST_TEST(!server.wait_for_connection(200ms).has_value());
  server.resume_listening();
  auto c = server.wait_for_connection();
  BOOST_REQUIRE(c);
  BOOST_TEST(server.wait_for_input(c->client)->input == "early");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(operations)

BOOST_AUTO_TEST_CASE(events_carry_both_ends) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  BOOST_REQUIRE(c);
  BOOST_TEST(c->name == "testd_connected");
  BOOST_TEST(c->info.peeraddr == "127.0.0.1");
  BOOST_TEST(c->info.peerport == client.local_port());
  BOOST_TEST(c->info.sockport == server.port());
  auto info = server.client_info(c->client);
  BOOST_TEST(info.peerport == client.local_port());
  BOOST_TEST(server.clients() == std::vector<trap::net::ClientId>{c->client});
  server.send_to_client(c->client, "hi");
  BOOST_TEST(client.read_line().value_or("") == "hi");
  BOOST_TEST(server.wait_for("client_flushed", c->client).has_value());
  client.close();
  auto d = server.wait_for_disconnection(c->client);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->info.peerport == info.peerport);
}

BOOST_AUTO_TEST_CASE(unknown_or_closed_client_is_a_usage_error) {
  TcpServer server;
  BOOST_CHECK_EXCEPTION(server.client_info(42), trap::UsageError, [](const trap::UsageError& e) {
    return std::string(e.what()).find("testd: no client 42") == 0;
  });
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  client.close();
  server.wait_for_disconnection();
  BOOST_TEST(!server.send_to_client(c->client, "late"));  // a send does not throw (issue 17)
  BOOST_CHECK_THROW(server.client_info(c->client), trap::UsageError);
  BOOST_CHECK_THROW(server.terminate(c->client), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(send_to_all_clients_and_lists_of_messages) {
  TcpServer server;
  std::vector<Client> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back("127.0.0.1", server.port());
    server.wait_for_connection();
  }
  server.send_to_all_clients(std::vector<std::string>{"one", "two"});
  for (auto& c : clients) {
    BOOST_TEST(c.read_line().value_or("") == "one");
    BOOST_TEST(c.read_line().value_or("") == "two");
  }
}

BOOST_AUTO_TEST_CASE(disconnect_flushes_first_terminate_does_not) {
  TcpServer server;
  Client a("127.0.0.1", server.port());
  auto ca = server.wait_for_connection();
  // POE's order: disconnect, then the farewell; it closes once that is out.
  server.disconnect(ca->client);
  BOOST_TEST(!a.closed_by_server(100ms));  // nothing sent yet: still open
  server.send_to_client(ca->client, "bye");
  BOOST_TEST(a.read_line().value_or("") == "bye");
  BOOST_TEST(a.closed_by_server());
  BOOST_TEST(server.wait_for_disconnection(ca->client).has_value());
  BOOST_TEST(!server.wait_for("client_flushed", ca->client, 0ms).has_value());

  Client b("127.0.0.1", server.port());
  auto cb = server.wait_for_connection();
  server.terminate(cb->client);
  BOOST_TEST(b.closed_by_server());
  BOOST_TEST(server.wait_for_disconnection(cb->client).has_value());
}

BOOST_AUTO_TEST_CASE(registrations_receive_what_they_asked_for) {
  TcpServer server;
  std::atomic<int> all{0}, inputs{0};
  int everything = server.register_events({"all"}, [&](const trap::net::ServerEvent&) { ++all; });
  int input_only =
      server.register_events({"client_input"}, [&](const trap::net::ServerEvent&) { ++inputs; });
  Client client("127.0.0.1", server.port());
  client.send("a\nb\n");
  server.wait_for_input();
  server.wait_for_input();
  server.unregister_events(input_only);
  client.send("c\n");
  server.wait_for_input();
  server.unregister_events(everything, {"all"});
  client.close();
  server.wait_for_disconnection();
  BOOST_TEST(inputs == 2);
  BOOST_TEST(all == 5);  // its registered, connected, three inputs; not the disconnection
}

BOOST_AUTO_TEST_CASE(a_handler_that_throws_is_reported_and_stderr_stays_usable) {
  // The exception is caught on the server's thread and said on std::cerr.
  // With descriptor 2 closed the line is lost, but std::cerr is not left
  // failed: the next one is written once descriptor 2 is open again.
  test_support::StderrAside aside;
  std::promise<void> first, second;
  TcpServer server;
  server.register_events({"client_input"}, [](const trap::net::ServerEvent& e) {
    throw std::runtime_error("boom on " + e.input);
  });
  server.register_events({"client_input"}, [&](const trap::net::ServerEvent& e) {
    (e.input == "a" ? first : second).set_value();  // after the throwing one
  });
  Client client("127.0.0.1", server.port());
  // Accepted first: a descriptor made while 2 is closed would be made 2.
  BOOST_REQUIRE(server.wait_for_connection());
  aside.close();
  client.send("a\n");
  const bool first_ran = first.get_future().wait_for(30s) == std::future_status::ready;
  aside.to_file();
  client.send("b\n");
  const bool second_ran = second.get_future().wait_for(30s) == std::future_status::ready;
  const bool cerr_good = std::cerr.good();
  aside.restore();
  BOOST_TEST(first_ran);
  BOOST_TEST(second_ran);
  BOOST_TEST(aside.text() == "testd: a handler of testd_client_input threw: boom on b\n");
  BOOST_TEST(cerr_good);
}

BOOST_AUTO_TEST_CASE(a_kind_that_does_not_exist_is_a_usage_error) {
  // A misspelt or prefixed kind would wait its whole timeout for nothing,
  // or register a callback never called: the test is told at once.
  TcpServer server;
  const std::string kinds =
      "registered, connected, disconnected, client_input, client_flushed, client_error, "
      "listener_failed)";
  try {
    server.wait_for("input", std::nullopt, 0ms);
    BOOST_FAIL("no UsageError");
  } catch (const trap::UsageError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "testd: no event kind \"input\" (the kinds, without the prefix: " + kinds);
  }
  try {
    server.register_events({"connected", "testd_client_input"}, [](const auto&) {});
    BOOST_FAIL("no UsageError");
  } catch (const trap::UsageError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "testd: no event kind \"testd_client_input\" (the kinds, without the prefix: "
               "all, " +
                   kinds);
  }
  const int id = server.register_events({"all"}, [](const auto&) {});
  BOOST_CHECK_THROW(server.unregister_events(id, {"inputs"}), trap::UsageError);
  BOOST_CHECK_NO_THROW(server.unregister_events(id, {"all", "client_input"}));
}

BOOST_AUTO_TEST_CASE(switching_a_client_filter) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection();
  server.set_client_filter(c->client, trap::net::raw_filter(), trap::net::raw_filter());
  client.send("no newline");
  BOOST_TEST(server.wait_for_input(c->client)->input == "no newline");
  server.send_to_client(c->client, "raw");
  BOOST_TEST(client.read_bytes(3) == "raw");
}

BOOST_AUTO_TEST_CASE(the_log_keeps_the_newest_events_only) {
  TcpServerOptions o;
  o.max_log = 10;
  TcpServer server(o);
  std::atomic<int> seen{0};
  server.register_events({"client_input"}, [&](const trap::net::ServerEvent&) { ++seen; });
  Client client("127.0.0.1", server.port());
  for (int i = 0; i < 50; ++i) client.send("line " + std::to_string(i) + "\n");
  client.close();
  BOOST_REQUIRE(server.wait_for_disconnection().has_value());
  BOOST_TEST(seen == 50);  // registrations see every event
  auto log = server.log();
  BOOST_TEST(log.size() == 10u);
  BOOST_TEST(log.back().kind == "disconnected");
  BOOST_TEST(log.back().sequence == 53u);  // registered, connected, 50 inputs, disconnected
  // A wait that starts late gets the oldest input still kept.
  auto first = server.wait_for_input(std::nullopt, 0ms);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->input == "line 41");
  BOOST_CHECK_THROW(TcpServer(TcpServerOptions{.max_log = 0}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(waits_return_nothing_when_nothing_comes) {
  TcpServer server;
  BOOST_TEST(!server.wait_for_connection(50ms).has_value());
  BOOST_TEST(!server.wait_for_input(std::nullopt, 50ms).has_value());
  BOOST_TEST(!server.wait_for_disconnection(std::nullopt, 50ms).has_value());
}

BOOST_AUTO_TEST_CASE(runs_on_a_context_the_test_passes) {
  boost::asio::io_context ctx;
  auto guard = boost::asio::make_work_guard(ctx);
  std::thread runner([&] { ctx.run(); });
  std::atomic<bool> on_runner{false};
  {
    TcpServerOptions o;
    o.context = &ctx;
    o.handler = [&](const trap::net::ServerEvent& e) {
      if (e.kind == "client_input") on_runner = std::this_thread::get_id() == runner.get_id();
    };
    TcpServer server(o);
    Client client("127.0.0.1", server.port());
    client.send("x\n");
    BOOST_TEST(server.wait_for_input().has_value());
    client.close();
    server.wait_for_disconnection();
  }
  guard.reset();
  runner.join();
  BOOST_TEST(on_runner.load());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(filters)

BOOST_AUTO_TEST_CASE(line_filter_takes_crlf_and_lf) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  client.send("dos\r\nunix\npart");
  client.send("ial\n");
  BOOST_TEST(server.wait_for_input()->input == "dos");
  BOOST_TEST(server.wait_for_input()->input == "unix");
  BOOST_TEST(server.wait_for_input()->input == "partial");
}

BOOST_AUTO_TEST_CASE(raw_filter_is_byte_for_byte) {
  TcpServerOptions o;
  o.filter = "raw";
  TcpServer server(o);
  echo(server);
  std::string garbage;
  for (int i = 0; i < 256; ++i) garbage += static_cast<char>(i);
  garbage += std::string(3, '\0');
  Client client("127.0.0.1", server.port());
  client.send(garbage);
  BOOST_TEST(client.read_bytes(garbage.size()) == garbage);
}

BOOST_AUTO_TEST_CASE(block_filter_frames_messages) {
  TcpServerOptions o;
  o.filter = "block";
  TcpServer server(o);
  echo(server);
  Client client("127.0.0.1", server.port());
  std::string two = std::string("5\0hello", 7) + std::string("3\0a\nb", 5);
  client.send(two);
  BOOST_TEST(server.wait_for_input()->input == "hello");
  BOOST_TEST(server.wait_for_input()->input == "a\nb");
  BOOST_TEST(client.read_bytes(12) == two);
}

BOOST_AUTO_TEST_CASE(a_line_over_the_maximum_drops_only_that_client) {
  TcpServerOptions o;
  o.max_message = 1024;
  TcpServer server(o);
  Client good("127.0.0.1", server.port());
  auto cg = server.wait_for_connection();
  Client bad("127.0.0.1", server.port());
  auto cb = server.wait_for_connection();
  bad.send(std::string(4096, 'x'));
  auto error = server.wait_for("client_error", cb->client);
  BOOST_REQUIRE(error);
  BOOST_TEST(error->message == "a line longer than 1024 bytes");
  BOOST_TEST(server.wait_for_disconnection(cb->client).has_value());
  good.send("still here\n");
  BOOST_TEST(server.wait_for_input(cg->client)->input == "still here");
}

// A filter of our own through the public interface: messages end with ';'
// and go out upper-cased.
class SemicolonFilter final : public trap::net::Filter {
 public:
  std::vector<std::string> get(std::string_view bytes) override {
    std::vector<std::string> out;
    for (char c : bytes) {
      if (c == ';')
        out.push_back(std::exchange(partial_, {}));
      else
        partial_ += c;
    }
    return out;
  }
  std::string put(std::string_view message) override {
    std::string out(message);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out + ";";
  }
  std::unique_ptr<Filter> clone() const override { return std::make_unique<SemicolonFilter>(); }

 private:
  std::string partial_;
};

BOOST_AUTO_TEST_CASE(a_custom_filter_for_input_and_output) {
  TcpServerOptions o;
  o.input_filter = std::make_shared<SemicolonFilter>();
  o.output_filter = std::make_shared<SemicolonFilter>();
  TcpServer server(o);
  echo(server);
  Client client("127.0.0.1", server.port());
  client.send("ab;c");
  client.send("d;");
  BOOST_TEST(server.wait_for_input()->input == "ab");
  BOOST_TEST(server.wait_for_input()->input == "cd");
  BOOST_TEST(client.read_bytes(6) == "AB;CD;");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(teardown)

BOOST_AUTO_TEST_CASE(shutdown_reports_clients_left_open) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  server.wait_for_connection();
  auto report = server.shutdown(100ms);
  BOOST_TEST(!report.clean());
  BOOST_TEST(report.describe() ==
             "unclean teardown: 1 client connection still open from "
             "127.0.0.1:" +
                 std::to_string(client.local_port()));
  BOOST_TEST(client.closed_by_server());
  BOOST_TEST(server.shutdown().describe() == report.describe());  // idempotent
  BOOST_CHECK_THROW(server.send_to_all_clients("x"), trap::UsageError);
}

// A handler runs on the server's thread and nothing can stop it: shutdown()
// waits for it whatever the deadline, and says what it waits for once the
// deadline has passed and a second at least (a warning, to std::clog
// outside a warn layer). Here that warning is what lets the handler
// return.
BOOST_AUTO_TEST_CASE(shutdown_names_a_handler_that_outlives_its_deadline) {
  std::promise<void> entered, warned;
  std::shared_future<void> go = warned.get_future().share();
  bool released_by_the_warning = false;
  TcpServerOptions o;
  o.handler = [&](const trap::net::ServerEvent& e) {
    if (e.kind != "client_input") return;
    entered.set_value();
    // Bounded: without the warning the test fails instead of hanging.
    released_by_the_warning = go.wait_for(30s) == std::future_status::ready;
  };
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  client.send("hello\n");
  BOOST_REQUIRE(entered.get_future().wait_for(10s) == std::future_status::ready);
  const auto start = std::chrono::steady_clock::now();
  decltype(server.shutdown()) report;
  const std::string written = test_support::clog_of([&] { report = server.shutdown(100ms); },
                                                    "deadline has passed", warned);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(released_by_the_warning);
  BOOST_TEST(took >= 1s);  // the notice comes no sooner
  BOOST_TEST(written ==
             "testd: shutdown(): its 100 ms deadline has passed while a handler of client_input "
             "(client 1) still runs; waiting for it to return\n");  // once
  BOOST_TEST(client.closed_by_server());
}

// The warning is for a handler that runs: a server whose handlers have
// returned shuts down without a word, even with no time to give.
BOOST_AUTO_TEST_CASE(shutdown_says_nothing_when_no_handler_runs) {
  TcpServerOptions o;
  o.handler = [](const trap::net::ServerEvent&) {};
  TcpServer server(o);
  Client client("127.0.0.1", server.port());
  client.send("hello\n");
  BOOST_REQUIRE(server.wait_for_input());
  std::promise<void> never;
  decltype(server.shutdown()) report;
  const std::string written =
      test_support::clog_of([&] { report = server.shutdown(0ms); }, "deadline", never);
  BOOST_TEST(written.empty());
  BOOST_TEST(!report.clean());  // closed at once, not by the client
}

BOOST_AUTO_TEST_CASE(a_write_finishing_during_shutdown_does_not_hide_an_open_client) {
  // The reply's write may complete after shutdown() shut our side: the
  // client, which never closes, must still be reported.
  int hidden = 0;
  for (int i = 0; i < 50; ++i) {
    TcpServer server;
    Client client("127.0.0.1", server.port());
    auto connected = server.wait_for_connection();
    BOOST_REQUIRE(connected);
    client.send("ping\n");
    BOOST_REQUIRE(server.wait_for_input(connected->client));
    server.send_to_client(connected->client, "pong");
    BOOST_REQUIRE(client.read_line() == "pong");
    if (server.shutdown(20ms).clean()) ++hidden;
  }
  BOOST_TEST(hidden == 0);
}

BOOST_AUTO_TEST_CASE(shutdown_waits_for_a_client_that_closes) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  server.wait_for_connection();
  // The client closes when it sees the server's end of file.
  std::thread closer([&] {
    client.closed_by_server();
    client.close();
  });
  auto report = server.shutdown(5000ms);
  closer.join();
  BOOST_TEST(report.clean());
  BOOST_TEST(kinds(server.log()).back() == "disconnected");
}

BOOST_AUTO_TEST_CASE(output_queued_before_shutdown_goes_out_before_the_end_of_file) {
  TcpServer server;
  Client client("127.0.0.1", server.port());
  auto id = server.wait_for_connection().value().client;
  // Held back by the delay, the message is still queued when shutdown()
  // begins: it is written, client_flushed follows, then our end of file.
  server.set_client_policy(id, {.delay = 50ms});
  BOOST_REQUIRE(server.send_to_client(id, "goodbye"));
  std::optional<std::string> line;
  bool eof = false;
  std::thread closer([&] {
    line = client.read_line();
    eof = client.closed_by_server();
    client.close();
  });
  auto report = server.shutdown(5000ms);
  closer.join();
  BOOST_TEST(line.value_or("(nothing)") == "goodbye");
  BOOST_TEST(eof);
  BOOST_TEST(report.clean());
  auto k = kinds(server.log());
  BOOST_TEST(std::count(k.begin(), k.end(), "client_flushed") == 1);
  BOOST_TEST(k.back() == "disconnected");
}

BOOST_AUTO_TEST_CASE(a_thousand_start_shutdown_cycles_leave_nothing) {
  { TcpServer warm; }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  for (int i = 0; i < 1000; ++i) {
    TcpServer server;
    BOOST_REQUIRE(server.port() != 0);
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  // No thread left (one just joined may still be listed at the first count).
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
}

BOOST_AUTO_TEST_SUITE_END()

// An in-process timeout stops the code while it waits on the server: the
// stop comes at once, and the server is left whole (it serves, logs and
// shuts down). Before, the wait's jump out left the server's lock held,
// and the next call or the shutdown waited for ever. In a child, which an
// alarm ends if it hangs.
BOOST_AUTO_TEST_CASE(a_timeout_that_stops_wait_for_leaves_the_server_whole) {
  auto child = test_support::in_child([] {
    ::alarm(15);
    trap::net::TcpServer server;
    const auto start = std::chrono::steady_clock::now();
    auto r = trap::trap(":flow:timeout(100)", [&](trap::Trap&) {
      (void)server.wait_for("connected", std::nullopt, 20s);
    });
    const bool prompt = std::chrono::steady_clock::now() - start < 10s;
    test_net::Client c("127.0.0.1", server.port());
    const bool connected = server.wait_for("connected", std::nullopt, 10s).has_value();
    c.close();
    const bool gone = server.wait_for("disconnected", std::nullopt, 10s).has_value();
    const bool clean = server.shutdown().clean();
    std::cout << r.leaveby() << " " << prompt << connected << gone << clean << std::flush;
  });
  BOOST_TEST(child.exited(0), child.status << " " << child.err);
  BOOST_TEST(child.out == "timeout 1111");
}

// A fork trap's child has a copy of a server made before the trap, but not
// its thread: a call there would wait for ever for the thread's answer (or
// change the copy only). It is a usage error that says so, and destroying
// the copy there lets it go without waiting.
BOOST_AUTO_TEST_CASE(a_call_from_a_fork_traps_child_is_a_usage_error) {
  std::optional<trap::net::TcpServer> server(std::in_place);
  auto r = trap::trap(":flow:fork", [&] { server->send_to_all_clients("x"); });
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die().find("testd: called in process ") == 0u, r.die());
  BOOST_TEST(r.die().find("a forked child of process " + std::to_string(::getpid())) !=
             std::string::npos);
  // Where it listens the child may read: its code is often the client.
  auto looked = trap::trap(":flow:stdout:fork", [&] { std::cout << server->port(); });
  BOOST_TEST(looked.out() == std::to_string(server->port()));
  auto gone = trap::trap(":flow:fork", [&] { server.reset(); });
  BOOST_TEST(gone.leaveby() == "return");
  BOOST_TEST(server.has_value());
  BOOST_TEST(server->shutdown().clean());
}
