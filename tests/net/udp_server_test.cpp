// SPDX-License-Identifier: BSL-1.0
// trap::net::UdpServer with plain POSIX datagram sockets.
#define BOOST_TEST_MODULE udp_server
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/net.hpp>

#include "support/child.hpp"
#include "support/clog_watch.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace {

// A UDP client socket on loopback; its port, sends, and a bounded receive.
struct UdpClient {
  explicit UdpClient(bool v6 = false) : v6_(v6) {
    fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
  }
  ~UdpClient() { ::close(fd); }
  std::uint16_t port() const {
    sockaddr_storage a{};
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    return v6_ ? ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port)
               : ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }
  void send(const std::string& data, std::uint16_t to) {
    if (v6_) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      a.sin6_port = htons(to);
      ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(to);
      ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
  }
  std::optional<std::string> receive(int ms = 5000) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) != 1) return std::nullopt;
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  int fd;
  bool v6_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(datagrams_logged_with_their_senders) {
  trap::net::UdpServer server;
  BOOST_TEST(server.port() != 0);
  BOOST_TEST(server.port6() != 0);
  UdpClient client;
  client.send(std::string("one\0two", 7), server.port());
  auto d = server.wait_for_datagram();
  BOOST_REQUIRE(d);
  BOOST_TEST(d->data == std::string("one\0two", 7));
  BOOST_TEST(d->peeraddr == "127.0.0.1");
  BOOST_TEST(d->peerport == client.port());
  UdpClient client6(true);
  client6.send("six", server.port6());
  auto d6 = server.wait_for_datagram();
  BOOST_REQUIRE(d6);
  BOOST_TEST(d6->peeraddr == "::1");
  BOOST_TEST(server.log().size() == 2u);
  BOOST_TEST(!server.wait_for_datagram(50ms).has_value());
}

BOOST_AUTO_TEST_CASE(the_log_keeps_the_newest_datagrams_only) {
  std::atomic<int> seen{0};
  std::promise<void> all_seen;
  trap::net::UdpServer server({.handler =
                                   [&](const trap::net::Datagram&) {
                                     if (++seen == 10) all_seen.set_value();
                                   },
                               .max_log = 3});
  UdpClient client;
  client.send("d0", server.port());
  auto d0 = server.wait_for_datagram();
  BOOST_REQUIRE(d0);
  BOOST_TEST(d0->sequence == 1u);
  for (int i = 1; i < 10; ++i) client.send("d" + std::to_string(i), server.port());
  BOOST_REQUIRE(all_seen.get_future().wait_for(30s) == std::future_status::ready);
  auto log = server.log();
  BOOST_REQUIRE(log.size() == 3u);
  BOOST_TEST(log.front().data == "d7");
  BOOST_TEST(log.front().sequence == 8u);  // sequence numbers go on
  BOOST_TEST(log.back().sequence == 10u);
  // The next one was dropped: the wait gets the oldest one kept.
  for (const char* want : {"d7", "d8", "d9"}) {
    auto d = server.wait_for_datagram(0ms);
    BOOST_REQUIRE(d);
    BOOST_TEST(d->data == want);
  }
  BOOST_TEST(!server.wait_for_datagram(0ms).has_value());
  BOOST_CHECK_THROW(trap::net::UdpServer({.max_log = 0}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(send_to_answers_a_client) {
  trap::net::UdpServer server;
  UdpClient client;
  server.send_to("pong", "127.0.0.1", client.port());
  BOOST_TEST(client.receive().value_or("") == "pong");
  BOOST_CHECK_THROW(server.send_to("x", "not an address", 1), trap::UsageError);
  trap::net::UdpServer only4({.ipv6 = false});
  BOOST_CHECK_THROW(only4.send_to("x", "::1", 1), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(handler_echoes) {
  std::atomic<trap::net::UdpServer*> self{nullptr};  // set before any datagram
  trap::net::UdpServerOptions o;
  o.handler = [&self](const trap::net::Datagram& d) {
    self.load()->send_to(d.data, d.peeraddr, d.peerport);
  };
  trap::net::UdpServer server(o);
  self = &server;
  UdpClient client;
  client.send("echo me", server.port());
  BOOST_TEST(client.receive().value_or("") == "echo me");
}

BOOST_AUTO_TEST_CASE(a_handler_is_given_its_server) {
  // No pointer to set after construction: the server is handed over.
  trap::net::UdpServer server(
      {.handler = [](trap::net::UdpServer& s, const trap::net::Datagram& d) {
        s.send_to("re: " + d.data, d.peeraddr, d.peerport);
      }});
  UdpClient client;
  client.send("ping", server.port());
  BOOST_TEST(client.receive().value_or("") == "re: ping");
  trap::net::UdpHandler none = nullptr;
  BOOST_TEST(!none);
  std::function<void(const trap::net::Datagram&)> empty;
  BOOST_TEST(!trap::net::UdpHandler(empty));
}

BOOST_AUTO_TEST_CASE(a_handler_that_throws_is_reported_and_the_server_serves_on) {
  // As TcpServer: the server's thread catches it and says so on std::cerr;
  // let out of the thread, it would end the program (std::terminate).
  test_support::StderrAside aside;
  std::promise<void> answered;
  trap::net::UdpServer server({.handler = [&](const trap::net::Datagram& d) {
    if (d.data == "throw") throw std::runtime_error("boom");
    if (d.data == "throw 42") throw 42;
    answered.set_value();
  }});
  UdpClient client;
  aside.to_file();
  client.send("throw", server.port());
  client.send("throw 42", server.port());
  client.send("then this", server.port());
  const bool served_on = answered.get_future().wait_for(30s) == std::future_status::ready;
  aside.restore();
  BOOST_TEST(served_on);
  const std::string from = "a datagram from 127.0.0.1 port " + std::to_string(client.port());
  BOOST_TEST(aside.text() == "trap::net::UdpServer: a handler of " + from + " threw: boom\n" +
                                 "trap::net::UdpServer: a handler of " + from +
                                 " threw: an exception that is not a std::exception\n");
  BOOST_TEST(server.log().size() == 3u);
}

// A handler runs on the server's thread and nothing can stop it:
// shutdown() waits for it, and says what it waits for once it has waited a
// second (a warning, to std::clog outside a warn layer). Here that warning
// is what lets the handler return.
BOOST_AUTO_TEST_CASE(shutdown_names_a_handler_that_does_not_return) {
  std::promise<void> entered, warned;
  std::shared_future<void> go = warned.get_future().share();
  bool released_by_the_warning = false;
  trap::net::UdpServerOptions o;
  o.handler = [&](const trap::net::Datagram&) {
    entered.set_value();
    // Bounded: without the warning the test fails instead of hanging.
    released_by_the_warning = go.wait_for(30s) == std::future_status::ready;
  };
  trap::net::UdpServer server(o);
  UdpClient client;
  client.send("hold", server.port());
  BOOST_REQUIRE(entered.get_future().wait_for(10s) == std::future_status::ready);
  const auto start = std::chrono::steady_clock::now();
  const std::string written =
      test_support::clog_of([&] { server.shutdown(); }, "still runs", warned);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(released_by_the_warning);
  BOOST_TEST(took >= 1s);  // the notice comes no sooner
  BOOST_TEST(written ==
             "trap::net::UdpServer::shutdown(): a handler of a datagram from "
             "127.0.0.1 port " +
                 std::to_string(client.port()) +
                 " still runs after 1000 ms; waiting for it to return\n");
}

// A server whose handler has returned shuts down without a word.
BOOST_AUTO_TEST_CASE(shutdown_says_nothing_when_no_handler_runs) {
  trap::net::UdpServerOptions o;
  o.handler = [](const trap::net::Datagram&) {};
  trap::net::UdpServer server(o);
  UdpClient client;
  client.send("quick", server.port());
  BOOST_REQUIRE(server.wait_for_datagram());
  std::promise<void> never;
  BOOST_TEST(test_support::clog_of([&] { server.shutdown(); }, "still runs", never).empty());
}

BOOST_AUTO_TEST_CASE(shutdown_leaves_nothing) {
  { trap::net::UdpServer warm; }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  for (int i = 0; i < 500; ++i) {
    trap::net::UdpServer server;
    BOOST_REQUIRE(server.port() != 0);
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  // No thread left (one just joined may still be listed at the first count).
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
  trap::net::UdpServer server;
  server.shutdown();
  server.shutdown();  // idempotent
  BOOST_CHECK_THROW(server.send_to("x", "127.0.0.1", 9), trap::UsageError);
}

// An in-process timeout stops the code while it waits on the server: the
// stop comes at once, and the server is left whole (it serves, logs and
// shuts down). Before, the wait's jump out left the server's lock held,
// and the next call or the shutdown waited for ever. In a child, which an
// alarm ends if it hangs.
BOOST_AUTO_TEST_CASE(a_timeout_that_stops_wait_for_datagram_leaves_the_server_whole) {
  auto child = test_support::in_child([] {
    ::alarm(15);
    trap::net::UdpServer server;
    const auto start = std::chrono::steady_clock::now();
    auto r =
        trap::trap(":flow:timeout(100)", [&](trap::Trap&) { (void)server.wait_for_datagram(20s); });
    const bool prompt = std::chrono::steady_clock::now() - start < 10s;
    UdpClient client(false);
    client.send("after", server.port());
    const auto d = server.wait_for_datagram(10s);
    server.shutdown();
    std::cout << r.leaveby() << " " << prompt << " " << (d ? d->data : "none") << " "
              << server.log().size() << std::flush;
  });
  BOOST_TEST(child.exited(0), child.status << " " << child.err);
  BOOST_TEST(child.out == "timeout 1 after 1");
}

// A fork trap's child has a copy of a server made before the trap, but not
// its thread: a call there would wait for ever for the thread's answer. It
// is a usage error that says so, and destroying the copy there lets it go
// without waiting.
BOOST_AUTO_TEST_CASE(a_call_from_a_fork_traps_child_is_a_usage_error) {
  std::optional<trap::net::UdpServer> server(std::in_place);
  auto r = trap::trap(":flow:fork", [&] { server->send_to("x", "127.0.0.1", server->port()); });
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die().find("trap::net::UdpServer: called in process ") == 0u, r.die());
  auto gone = trap::trap(":flow:fork", [&] { server.reset(); });
  BOOST_TEST(gone.leaveby() == "return");
  BOOST_TEST(server.has_value());
  server->shutdown();
  BOOST_TEST(server->log().empty());
}
