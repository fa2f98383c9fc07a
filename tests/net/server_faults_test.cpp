// SPDX-License-Identifier: BSL-1.0
// Failed system calls in the test servers: the listeners' socket, bind,
// listen and accept at every use, for a TcpServer that serves one client and
// shuts down, and a UdpServer that starts and shuts down.
#define BOOST_TEST_MODULE server_faults
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/net.hpp>

#include "support/client.hpp"
#include "support/fault_walk.hpp"

using fault_walk::Outcome;
using namespace std::chrono_literals;

namespace {

// What the listeners reported: "bind: Too many open files; ...".
std::string listener_failures(const trap::net::TcpServer& server) {
  std::string s;
  for (auto& e : server.log())
    if (e.kind == "listener_failed") s += e.operation + ": " + e.message + "; ";
  return s;
}

// Start, one client that sends a line and leaves, shutdown. A listener
// that failed is the outcome's error; the IPv4 one working, the client is
// served all the same (a failed accept is retried).
Outcome tcp_session() {
  trap::net::TcpServer server;
  if (const std::uint16_t port = server.port()) {
    test_net::Client client("127.0.0.1", port);
    client.send("hello\n");
    auto in = server.wait_for_input();
    BOOST_TEST((in && in->input == "hello"));
    client.close();
    BOOST_TEST(server.wait_for_disconnection().has_value());
  }
  BOOST_TEST(server.shutdown().clean());
  std::string failures = listener_failures(server);
  if (!failures.empty()) return {true, failures};
  return {};
}

// Start, one datagram received, shutdown; a socket that cannot be set up
// is the constructor's std::system_error.
Outcome udp_session() {
  try {
    trap::net::UdpServer server;
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(server.port());
    ::sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
    auto d = server.wait_for_datagram();
    BOOST_TEST((d && d->data == "ping"));
    server.shutdown();
    return {};
  } catch (const std::system_error& e) {
    return {true, e.what()};
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(tcp_server_walk) {
  auto c = fault_walk::walk(tcp_session, [] { BOOST_TEST(!tcp_session().failed); });
  BOOST_TEST_MESSAGE("TcpServer: " << fault_walk::describe(c));
  // Two listeners (127.0.0.1, ::1); an accept under way on each, one more
  // after the client, and one each for the backlog at shutdown.
  BOOST_TEST(c.counts["socket"] == 2);
  BOOST_TEST(c.counts["bind"] == 2);
  BOOST_TEST(c.counts["listen"] == 2);
  BOOST_TEST(c.counts["accept"] >= 5);
  BOOST_TEST(c.points >= 11);
}

BOOST_AUTO_TEST_CASE(failed_accept_is_reported_and_retried) {
  trap::net::TcpServer server;
  trap::posix::inject_fault("accept", 1, EMFILE);  // the one after the first client
  test_net::Client first("127.0.0.1", server.port());
  BOOST_TEST(server.wait_for_connection().has_value());
  test_net::Client second("127.0.0.1", server.port());
  auto failed = server.wait_for("listener_failed", std::nullopt, 5s);
  trap::posix::inject_fault("", 0, 0);
  BOOST_REQUIRE(failed);
  BOOST_TEST(failed->operation == "accept");
  BOOST_TEST(failed->error == EMFILE);
  BOOST_TEST(server.wait_for_connection().has_value());  // still queued, taken later
}

BOOST_AUTO_TEST_CASE(udp_server_walk) {
  auto c = fault_walk::walk(udp_session, [] { BOOST_TEST(!udp_session().failed); });
  BOOST_TEST_MESSAGE("UdpServer: " << fault_walk::describe(c));
  BOOST_TEST(c.counts["socket"] == 2);
  BOOST_TEST(c.counts["bind"] == 2);
  BOOST_TEST(c.points >= 4);
}
