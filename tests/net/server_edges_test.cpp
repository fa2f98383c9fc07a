// SPDX-License-Identifier: BSL-1.0
// The test servers at their edges: shut down from their own handler (as
// Test::POE::Server::TCP's synopsis does in its disconnected handler) and
// destroyed afterwards; nothing of a server left once shutdown() returns;
// what the public API does after it; the tcp_server layer's lenient
// teardown kept as the `teardown` accessor; and a server's descriptors kept
// off a closed stdin and stdout.
#define BOOST_TEST_MODULE server_edges
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
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
using trap::net::UdpServer;
using trap::net::UdpServerOptions;

namespace {

// What a handler's shutdown() returned, written on the server's thread and
// read by the test's thread after the server is gone (its thread joined).
struct HandlerShutdown {
  bool stopping = false;  // the disconnected events shutdown() itself gives
  std::optional<trap::net::ShutdownReport> report;
  bool send_after_threw_usage_error = false;
};

// The POE synopsis's server: echoes every line, and shuts itself down in
// its disconnected handler.
std::unique_ptr<TcpServer> self_stopping_echo(HandlerShutdown& out) {
  auto server = std::make_unique<TcpServer>();
  TcpServer* s = server.get();
  s->register_events({"client_input"}, [s](const trap::net::ServerEvent& e) {
    s->send_to_client(e.client, e.input);
  });
  s->register_events({"disconnected"}, [s, &out](const trap::net::ServerEvent& e) {
    if (out.stopping) return;
    out.stopping = true;
    out.report = s->shutdown();
    try {
      s->send_to_client(e.client, "too late");
    } catch (const trap::UsageError&) {
      out.send_after_threw_usage_error = true;
    }
  });
  return server;
}

// Sends three lines and reads each echo, then closes (the synopsis's client).
void synopsis_client(std::uint16_t port) {
  Client client("127.0.0.1", port);
  for (std::string line : {"This is a test", "This is another test", "This is the last test"}) {
    client.send(line + "\n");
    BOOST_TEST(client.read_line().value_or("<none>") == line);
  }
}

// A UDP socket on 127.0.0.1 that sends one datagram.
void send_datagram(const std::string& data, std::uint16_t to) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(to);
  ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::close(fd);
}

// Whether @p done() becomes true within five seconds (it watches another
// thread or the kernel, which give no event to wait for).
template <class F>
bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

// Whether the peer's kernel has acknowledged @p c's end of file (the
// socket is in FIN_WAIT2).
bool fin_acknowledged(const Client& c) {
  tcp_info info{};
  socklen_t n = sizeof info;
  return ::getsockopt(c.fd(), IPPROTO_TCP, TCP_INFO, &info, &n) == 0 &&
         info.tcpi_state == TCP_FIN_WAIT2;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shutdown_from_a_handler)

BOOST_AUTO_TEST_CASE(poe_synopsis_shuts_down_in_disconnected_then_is_destroyed) {
  { TcpServer warm; }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  HandlerShutdown seen;
  {
    auto server = self_stopping_echo(seen);
    synopsis_client(server->port());
    BOOST_REQUIRE(server->wait_for_disconnection());
    server.reset();  // joins the thread the handler could not join (was: terminate)
  }
  BOOST_REQUIRE(seen.report);
  BOOST_TEST(seen.report->clean());
  BOOST_TEST(seen.send_after_threw_usage_error);
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
}

BOOST_AUTO_TEST_CASE(a_later_shutdown_from_the_test_thread_joins_and_returns_the_same_report) {
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  HandlerShutdown seen;
  auto server = self_stopping_echo(seen);
  Client stays("127.0.0.1", server->port());  // open when the handler shuts down
  BOOST_REQUIRE(server->wait_for_connection());
  synopsis_client(server->port());
  BOOST_REQUIRE(stays.closed_by_server());  // the handler's shutdown closed it
  auto report = server->shutdown();
  BOOST_REQUIRE(seen.report);
  BOOST_TEST(report.describe() == seen.report->describe());
  BOOST_TEST(report.describe() ==
             "unclean teardown: 1 client connection still open from "
             "127.0.0.1:" +
                 std::to_string(stays.local_port()));
  stays.close();
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);  // the server object still exists
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
}

BOOST_AUTO_TEST_CASE(a_client_already_gone_is_not_reported_open) {
  // The second client has closed its side, and the server's kernel has its
  // end of file, before the first client's input makes a handler shut the
  // server down: the server has not read it (its thread is in the handler),
  // yet it is not a client left open.
  std::optional<trap::net::ShutdownReport> report;
  TcpServer server;
  Client first("127.0.0.1", server.port());
  Client second("127.0.0.1", server.port());
  BOOST_REQUIRE(server.wait_for_connection());
  BOOST_REQUIRE(server.wait_for_connection());
  std::atomic<bool> in_handler{false}, second_gone{false};
  server.register_events({"client_input"}, [&](const trap::net::ServerEvent&) {
    in_handler = true;
    eventually([&] { return second_gone.load(); });  // the test's thread sets it
    report = server.shutdown();
  });
  first.send("bye\n");
  BOOST_REQUIRE(eventually([&] { return in_handler.load(); }));
  second.shutdown_write();
  BOOST_REQUIRE(eventually([&] { return fin_acknowledged(second); }));
  second_gone = true;
  BOOST_REQUIRE(first.closed_by_server());
  BOOST_TEST(server.shutdown().unclosed.size() == 1u);  // the first only
  BOOST_REQUIRE(report);
  BOOST_REQUIRE(report->unclosed.size() == 1u);
  BOOST_TEST(report->unclosed[0].peerport == first.local_port());
}

BOOST_AUTO_TEST_CASE(a_handler_that_shuts_down_on_every_disconnection_hides_no_open_client) {
  // The synopsis's handler without its guard: the disconnected events that
  // shutdown() itself gives call shutdown() again. The first report, the
  // one listing the clients left open, is what every call returns.
  TcpServer server;
  std::vector<trap::net::ShutdownReport> nested;  // the server's thread's
  server.register_events({"disconnected"}, [&](const trap::net::ServerEvent&) {
    nested.push_back(server.shutdown());
  });
  Client a("127.0.0.1", server.port()), b("127.0.0.1", server.port()),
      c("127.0.0.1", server.port());
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(server.wait_for_connection());
  const auto report = server.shutdown(200ms);  // the clients hold on
  BOOST_TEST(report.unclosed.size() == 3u);
  BOOST_REQUIRE(nested.size() == 3u);  // the thread is joined: read after it
  for (auto& r : nested) BOOST_TEST(r.describe() == report.describe());
}

BOOST_AUTO_TEST_CASE(a_handler_shutdown_on_the_first_disconnection_reports_the_rest) {
  // One client closes, the other stays: the handler's shutdown() closes
  // it, and its disconnected event calls shutdown() again, inside the
  // first. Every call reports the one that stayed.
  TcpServer server;
  std::vector<trap::net::ShutdownReport> nested;
  server.register_events({"disconnected"}, [&](const trap::net::ServerEvent&) {
    nested.push_back(server.shutdown());
  });
  Client leaves("127.0.0.1", server.port()), stays("127.0.0.1", server.port());
  BOOST_REQUIRE(server.wait_for_connection());
  BOOST_REQUIRE(server.wait_for_connection());
  leaves.close();
  BOOST_REQUIRE(stays.closed_by_server());
  const auto report = server.shutdown();
  BOOST_REQUIRE(report.unclosed.size() == 1u);
  BOOST_TEST(report.unclosed[0].peerport == stays.local_port());
  BOOST_REQUIRE(nested.size() == 2u);
  for (auto& r : nested) BOOST_TEST(r.describe() == report.describe());
}

BOOST_AUTO_TEST_CASE(test_thread_waiting_in_shutdown_while_a_handler_shuts_down) {
  // The test's thread waits in shutdown() for the client; the client's
  // close makes the disconnected handler shut the server down too. Both
  // calls return the same, clean report.
  HandlerShutdown seen;
  auto server = self_stopping_echo(seen);
  Client client("127.0.0.1", server->port());
  BOOST_REQUIRE(server->wait_for_connection());
  std::thread closer([&] {
    client.closed_by_server();
    client.close();
  });
  trap::net::ShutdownReport report;
  BOOST_CHECK_NO_THROW(report = server->shutdown(5000ms));
  closer.join();
  BOOST_TEST(report.clean());
  server.reset();
  BOOST_REQUIRE(seen.report);
  BOOST_TEST(seen.report->clean());
}

BOOST_AUTO_TEST_CASE(udp_handler_shuts_down_then_the_server_is_destroyed) {
  { UdpServer warm; }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  std::atomic<UdpServer*> self{nullptr};
  std::atomic<bool> send_threw{false};
  UdpServerOptions o;
  o.handler = [&](const trap::net::Datagram& d) {
    if (d.data != "stop") return;
    self.load()->shutdown();
    try {
      self.load()->send_to("late", d.peeraddr, d.peerport);
    } catch (const trap::UsageError&) {
      send_threw = true;
    }
  };
  {
    auto server = std::make_unique<UdpServer>(o);
    self = server.get();
    send_datagram("stop", server->port());
    BOOST_REQUIRE(server->wait_for_datagram());
    server.reset();
  }
  BOOST_TEST(send_threw.load());
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(nothing_left_after_shutdown)

BOOST_AUTO_TEST_CASE(tcp_server_descriptors_and_thread_gone_when_shutdown_returns) {
  { TcpServer warm; }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  TcpServer server;
  {
    Client client("127.0.0.1", server.port());
    client.send("hello\n");
    BOOST_REQUIRE(server.wait_for_input());
  }
  BOOST_TEST(server.shutdown(2000ms).clean());
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
}

BOOST_AUTO_TEST_CASE(tcp_server_after_shutdown_logs_and_waits_or_says_it_is_gone) {
  TcpServer server;
  const std::uint16_t port = server.port();
  {
    Client client("127.0.0.1", port);
    client.send("one\n");
    BOOST_REQUIRE(server.wait_for_input());
  }
  server.shutdown(2000ms);
  auto log = server.log();
  BOOST_REQUIRE(!log.empty());
  BOOST_TEST(log.front().kind == "registered");
  BOOST_TEST(log.back().kind == "disconnected");
  BOOST_TEST(server.wait_for_connection(0ms).has_value());
  BOOST_TEST(!server.wait_for_connection(0ms).has_value());  // none came after
  BOOST_TEST(server.wait_for_disconnection(std::nullopt, 0ms).has_value());
  int id = server.register_events({"all"}, [](const trap::net::ServerEvent&) {});
  server.unregister_events(id);
  auto says_gone = [](const trap::UsageError& e) {
    return std::string(e.what()) == "testd: the server has shut down";
  };
  BOOST_CHECK_EXCEPTION(server.port(), trap::UsageError, says_gone);
  BOOST_CHECK_EXCEPTION(server.clients(), trap::UsageError, says_gone);
  BOOST_CHECK_EXCEPTION(server.start_listener(), trap::UsageError, says_gone);
  BOOST_CHECK_EXCEPTION(server.send_to_all_clients("x"), trap::UsageError, says_gone);
  BOOST_CHECK_THROW(Client("127.0.0.1", port), std::runtime_error);  // nobody listens
}

BOOST_AUTO_TEST_CASE(udp_server_descriptors_and_thread_gone_when_shutdown_returns) {
  { UdpServer warm; }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  UdpServer server;
  const std::uint16_t port = server.port();
  send_datagram("ping", port);
  BOOST_REQUIRE(server.wait_for_datagram());
  server.shutdown();
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
  // Still answers what it can: its ports, its log, its waits.
  BOOST_TEST(server.port() == port);
  BOOST_TEST(server.log().size() == 1u);
  BOOST_TEST(!server.wait_for_datagram(0ms).has_value());
  BOOST_CHECK_EXCEPTION(
      server.send_to("x", "127.0.0.1", 9), trap::UsageError, [](const trap::UsageError& e) {
        return std::string(e.what()) == "UdpServer::send_to: the server has shut down";
      });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lenient_layer)

BOOST_AUTO_TEST_CASE(lenient_keeps_the_unclean_teardown_report) {
  Client leftover;
  auto r = trap::trap(":tcp_server(lenient,wait=0)", [&](trap::Trap& t) {
    leftover.connect("127.0.0.1", trap::net::server(t).port());
    trap::net::server(t).wait_for_connection();
  });
  BOOST_TEST(r.leaveby() == "return");
  r.test("teardown_is", "unclean teardown: 1 client connection still open from 127.0.0.1:" +
                            std::to_string(leftover.local_port()));
  r.test("teardown_like", "^unclean teardown: 1 client");
}

BOOST_AUTO_TEST_CASE(a_clean_teardown_is_an_empty_report) {
  auto r = trap::trap(":tcp_server(lenient)", [](trap::Trap& t) {
    Client client("127.0.0.1", trap::net::server(t).port());
    client.close();
    trap::net::server(t).wait_for_disconnection();
  });
  r.test("teardown_is", "");
  auto strict = trap::trap(":tcp_server", [] {});
  strict.test("teardown_is", "");
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Closes descriptors 0 and 1 while it lives, and opens them again after
// (Boost.Test reports on 1: checks come after restore()).
class StdinStdoutClosed {
 public:
  StdinStdoutClosed() {
    for (int i = 0; i < 2; ++i) {
      saved_[i] = ::fcntl(i, F_DUPFD_CLOEXEC, 3);
      ::close(i);
    }
  }
  ~StdinStdoutClosed() { restore(); }
  StdinStdoutClosed(const StdinStdoutClosed&) = delete;
  StdinStdoutClosed& operator=(const StdinStdoutClosed&) = delete;
  void restore() {
    for (int i = 0; i < 2; ++i)
      if (saved_[i] >= 0) ::dup2(saved_[i], i), ::close(saved_[i]), saved_[i] = -1;
  }
  // Whether nothing took 0 or 1 meanwhile.
  static bool still_closed() { return ::fcntl(0, F_GETFD) == -1 && ::fcntl(1, F_GETFD) == -1; }

 private:
  int saved_[2] = {-1, -1};
};

// Connects @p fd, a socket made before 0 and 1 were closed, to 127.0.0.1.
bool connect_made(int fd, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

}  // namespace

// With stdin or stdout closed, a descriptor made takes its number, and a
// capture of stdout (which captures an open descriptor 1) takes it over:
// the server's thread then waited for a wake-up written into the capture,
// and a `tcp_server` trap hung. Nothing of the server takes 0 or 1.
BOOST_AUTO_TEST_CASE(tcp_server_made_with_stdin_and_stdout_closed_takes_neither) {
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(client > 2);
  bool made_closed = false, accepted_closed = false, connected = false;
  {
    StdinStdoutClosed closed;
    TcpServer server;  // its reactor and its listeners
    made_closed = StdinStdoutClosed::still_closed();
    connected = connect_made(client, server.port()) && server.wait_for_connection(30s);
    accepted_closed = StdinStdoutClosed::still_closed();
    ::close(client);
    server.shutdown();
    closed.restore();
  }
  BOOST_TEST(connected);
  BOOST_TEST(made_closed);
  BOOST_TEST(accepted_closed);
}

BOOST_AUTO_TEST_CASE(a_client_accepted_with_stdin_and_stdout_closed_takes_neither) {
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(client > 2);
  TcpServer server;
  bool accepted_closed = false, connected = false, echoed = false;
  {
    StdinStdoutClosed closed;
    connected = connect_made(client, server.port()) && server.wait_for_connection(30s);
    accepted_closed = StdinStdoutClosed::still_closed();
    closed.restore();
  }
  if (connected) {  // and the connection works
    server.send_to_client(1, "hello");
    char got[6] = {};
    echoed = ::recv(client, got, sizeof got, MSG_WAITALL) == 6 && std::string(got, 6) == "hello\n";
  }
  ::close(client);
  BOOST_TEST(connected);
  BOOST_TEST(accepted_closed);
  BOOST_TEST(echoed);
}

BOOST_AUTO_TEST_CASE(udp_server_made_with_stdin_and_stdout_closed_takes_neither) {
  const int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(client > 2);
  bool made_closed = false;
  std::optional<trap::net::Datagram> got;
  {
    StdinStdoutClosed closed;
    UdpServer server;  // its reactor and its sockets
    made_closed = StdinStdoutClosed::still_closed();
    closed.restore();
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(client, "ping", 4, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    got = server.wait_for_datagram(30s);  // the server works with 0 and 1 back
  }
  ::close(client);
  BOOST_TEST(made_closed);
  BOOST_TEST((got && got->data == "ping"));
}
