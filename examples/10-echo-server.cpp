// SPDX-License-Identifier: BSL-1.0
// 10-echo-server: Test::POE::Server::TCP's synopsis as a Boost.Test case.
// An echo server logs what each client sends and sends it back; a plain
// POSIX socket client checks that every line comes back, then leaves, and
// the server shuts down cleanly.
#define BOOST_TEST_MODULE echo_server
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/net.hpp>

namespace {

// The client side, as small as it gets: connect, write a line, read a line.
class LineClient {
 public:
  explicit LineClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~LineClient() { ::close(fd_); }
  void put(const std::string& line) {
    std::string out = line + "\n";
    BOOST_REQUIRE(::write(fd_, out.data(), out.size()) == static_cast<ssize_t>(out.size()));
  }
  std::string get() {
    std::string line;
    char c;
    while (::read(fd_, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }

 private:
  int fd_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(echo_server) {
  trap::net::TcpServer testd;  // port 0: the system picks; listening already
  std::map<trap::net::ClientId, std::vector<std::string>> clients;

  // testd_client_input: log the line per client, and echo it.
  testd.register_events({"client_input"}, [&](const trap::net::ServerEvent& e) {
    clients[e.client].push_back(e.input);
    testd.send_to_client(e.client, e.input);
  });

  const std::vector<std::string> data{"This is a test", "This is another test",
                                      "This is the last test"};
  {
    LineClient client(testd.port());
    for (const auto& line : data) {
      client.put(line);
      BOOST_TEST(client.get() == line, "Data matched");
    }
  }  // the client goes away

  auto gone = testd.wait_for_disconnection();
  BOOST_REQUIRE(gone);
  BOOST_TEST(clients[gone->client] == data);
  BOOST_TEST(testd.shutdown().clean(), "every connection closed by both sides");
}
