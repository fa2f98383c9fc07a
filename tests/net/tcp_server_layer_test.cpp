// SPDX-License-Identifier: BSL-1.0
// The tcp_server layer: a server for the trapped code, what clients sent as
// `received`, who connected as `connections`, and Twisted Trial's rule that
// a connection left open fails the test.
#define BOOST_TEST_MODULE tcp_server_layer
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/net.hpp>
#include <trap/process.hpp>

#include "support/client.hpp"
#include "support/test_support.hpp"

using test_net::Client;

BOOST_AUTO_TEST_CASE(received_and_connections) {
  std::uint16_t client_port = 0, server_port = 0;
  auto r = trap::trap(":tcp_server", [&](trap::Trap& t) {
    auto& server = trap::net::server(t);
    server_port = server.port();
    Client client("127.0.0.1", server.port());
    client_port = client.local_port();
    client.send("hello\nworld\n");
    server.wait_for_input();
    server.wait_for_input();
    client.close();
    server.wait_for_disconnection();
  });
  BOOST_TEST(r.leaveby() == "return");
  r.test("received_is", 0, "hello");
  r.test("received_is_deeply", trap::Array{"hello", "world"});
  r.test("connections_ok", 0);
  const trap::Value* c = r.get("connections");
  BOOST_REQUIRE(c);
  BOOST_TEST(c->array().at(0) ==
             trap::Value(trap::Array{1, "127.0.0.1", client_port, "127.0.0.1", server_port}));
}

BOOST_AUTO_TEST_CASE(a_connection_left_open_fails_the_trap) {
  Client leftover;
  std::uint16_t port = 0;
  try {
    trap::trap(":tcp_server", [&](trap::Trap& t) {
      auto& server = trap::net::server(t);
      leftover.connect("127.0.0.1", server.port());
      port = leftover.local_port();
      server.wait_for_connection();
    });
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).find("unclean teardown: 1 client connection still open from "
                                          "127.0.0.1:" +
                                          std::to_string(port)) != std::string::npos);
  }
  BOOST_TEST(leftover.closed_by_server());  // and the server closed it anyway
}

BOOST_AUTO_TEST_CASE(lenient_layer_lets_it_pass) {
  Client leftover;
  auto r = trap::trap(":tcp_server(lenient,wait=0)", [&](trap::Trap& t) {
    leftover.connect("127.0.0.1", trap::net::server(t).port());
    trap::net::server(t).wait_for_connection();
  });
  BOOST_TEST(r.leaveby() == "return");
  r.test("connections_ok", 0);
}

namespace {
// The code of a trap whose server has a handler that throws on input.
void code_whose_handler_throws(trap::Trap& t) {
  auto& server = trap::net::server(t);
  server.register_events({"client_input"}, [](const trap::net::ServerEvent& e) {
    throw std::runtime_error("boom on " + e.input);
  });
  Client client("127.0.0.1", server.port());
  client.send("hello\n");
  client.close();
  server.wait_for_disconnection();  // after the handlers of the input
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_handler_that_throws_fails_the_trap) {
  // As an exception in a POE handler ends the kernel's run, and so the
  // trap: not only a line in the trap's own stderr capture.
  try {
    trap::trap(":tcp_server", code_whose_handler_throws);
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(
        std::string(e.what()).find("testd: a handler of testd_client_input threw: boom on hello") !=
        std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_lenient_layer_keeps_what_a_handler_threw) {
  auto r = trap::trap(":tcp_server(lenient)", code_whose_handler_throws);
  BOOST_TEST(r.leaveby() == "return");
  const trap::Value* teardown = r.get("teardown");
  BOOST_REQUIRE(teardown);
  BOOST_TEST(teardown->string() == "testd: a handler of testd_client_input threw: boom on hello");
}

BOOST_AUTO_TEST_CASE(a_server_lists_what_its_handlers_threw) {
  test_support::StderrAside aside;  // where it is also said
  aside.to_file();
  trap::net::TcpServer server;
  server.register_events({"client_input"}, [](const trap::net::ServerEvent& e) {
    throw std::runtime_error("boom on " + e.input);
  });
  BOOST_TEST(server.handler_failures().empty());
  Client client("127.0.0.1", server.port());
  client.send("a\nb\n");
  client.close();
  BOOST_REQUIRE(server.wait_for_disconnection());
  server.shutdown();
  aside.restore();
  const std::vector<std::string> expected{
      "testd: a handler of testd_client_input threw: boom on a",
      "testd: a handler of testd_client_input threw: boom on b"};
  BOOST_TEST(server.handler_failures() == expected, boost::test_tools::per_element());
  BOOST_TEST(aside.text() == expected[0] + "\n" + expected[1] + "\n");
}

BOOST_AUTO_TEST_CASE(options_in_the_argument) {
  auto r = trap::trap(":tcp_server(filter=raw,address=::1)", [](trap::Trap& t) {
    auto& server = trap::net::server(t);
    BOOST_TEST(server.port() == 0);
    Client client("::1", server.port6());
    client.send(std::string("\0raw\n", 5));
    server.wait_for_input();
    client.close();
    server.wait_for_disconnection();
  });
  r.test("received_is", 0, std::string("\0raw\n", 5));
  BOOST_CHECK_THROW(trap::trap(":tcp_server(colour=blue)", [] {}), trap::UsageError);
  BOOST_CHECK_THROW(trap::trap(":tcp_server(filter=morse)", [] {}), trap::UsageError);
  BOOST_CHECK_THROW(trap::trap(":tcp_server(port=70000)", [] {}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(server_of_a_trap_without_the_layer) {
  auto r =
      trap::trap([](trap::Trap& t) { BOOST_CHECK_THROW(trap::net::server(t), trap::UsageError); });
  BOOST_TEST(r.leaveby() == "return");
}

BOOST_AUTO_TEST_CASE(a_real_external_client_through_trap_run) {
  // perl, run by trap::run under the layer, finds the port in its
  // environment, sends a line, and waits for the server's answer.
  const char* script =
      "use IO::Socket::INET;"
      "my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => "
      "$ENV{TRAP_TCP_SERVER_PORT})"
      " or die qq(connect: $!\\n);"
      "print $s qq(hello from perl\\n); close $s; print qq(sent\\n);";
  auto r = trap::run(":tcp_server", {TRAP_TEST_PERL, "-e", script});
  r.exit_is(0);
  r.stdout_is("sent\n");
  r.test("received_is", 0, "hello from perl");
  r.test("connections_ok", 0);
}

BOOST_AUTO_TEST_CASE(server_is_gone_after_the_trap) {
  trap::trap(":tcp_server", [] {});
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  for (int i = 0; i < 200; ++i) trap::trap(":tcp_server", [] {});
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  // No thread left (one just joined may still be listed at the first count).
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
}
