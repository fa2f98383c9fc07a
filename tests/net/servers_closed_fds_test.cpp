// SPDX-License-Identifier: BSL-1.0
// trap::http's and trap::smtp's servers made and serving while stdin and
// stdout are closed: none of their descriptors takes 0 or 1. A capture of
// stdout (which captures an open descriptor 1) would take such a
// descriptor over: the reactor's wake-up or a client's bytes would go into
// the capture, and restoring the stream would cut the server off.
#define BOOST_TEST_MODULE servers_closed_fds
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/http.hpp>
#include <trap/smtp.hpp>

using namespace std::chrono_literals;

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

// A client socket made before 0 and 1 are closed, connected later.
class EarlyClient {
 public:
  EarlyClient() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    BOOST_REQUIRE(fd_ > 2);
    timeval limit{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
  ~EarlyClient() { ::close(fd_); }
  EarlyClient(const EarlyClient&) = delete;
  EarlyClient& operator=(const EarlyClient&) = delete;
  bool connect(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  void send(const std::string& text) { (void)!::send(fd_, text.data(), text.size(), MSG_NOSIGNAL); }
  // The first bytes that come (up to 3).
  std::string read3() {
    char got[3];
    const ssize_t n = ::recv(fd_, got, sizeof got, MSG_WAITALL);
    return n > 0 ? std::string(got, static_cast<std::size_t>(n)) : "";
  }

 private:
  int fd_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(http_server_takes_neither_descriptor) {
  EarlyClient client;
  bool made_closed = false, accepted_closed = false, connected = false;
  std::optional<trap::http::Request> request;
  {
    StdinStdoutClosed closed;
    trap::http::Server server;  // its reactor and its listeners
    made_closed = StdinStdoutClosed::still_closed();
    connected = client.connect(server.port());
    client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
    request = server.take_request(30s);  // accepted and read
    accepted_closed = StdinStdoutClosed::still_closed();
    closed.restore();
  }
  BOOST_TEST(connected);
  BOOST_TEST(made_closed);
  BOOST_TEST(accepted_closed);
  BOOST_TEST(request.has_value());
}

BOOST_AUTO_TEST_CASE(smtp_server_takes_neither_descriptor) {
  EarlyClient client;
  bool made_closed = false, accepted_closed = false, connected = false;
  std::string greeting;
  {
    StdinStdoutClosed closed;
    trap::smtp::Server server;
    made_closed = StdinStdoutClosed::still_closed();
    connected = client.connect(server.port());
    greeting = client.read3();  // sent once the connection is accepted
    accepted_closed = StdinStdoutClosed::still_closed();
    closed.restore();
  }
  BOOST_TEST(connected);
  BOOST_TEST(made_closed);
  BOOST_TEST(accepted_closed);
  BOOST_TEST(greeting == "220");
}
