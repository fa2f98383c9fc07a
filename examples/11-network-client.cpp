// SPDX-License-Identifier: BSL-1.0
// 11-network-client: tests a network client against the tcp_server layer.
// The client under test asks a server for a greeting; the trap gives it a
// server that answers as the test says, records what the client sent, and
// fails the trap if the client leaves its connection open. A real external
// client (perl, through trap::run) talks to the same kind of server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <trap/net.hpp>
#include <trap/process.hpp>

namespace {

// The code under test: sends "HELLO name", returns the server's answer.
std::optional<std::string> fetch_greeting(std::uint16_t port, const std::string& name) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string request = "HELLO " + name + "\n";
  (void)::write(fd, request.data(), request.size());
  std::string answer;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') answer += c;
  ::close(fd);
  return answer;
}

}  // namespace

int main() {
  auto r = trap::trap(":tcp_server", [](trap::Trap& t) {
    auto& server = trap::net::server(t);
    server.register_events({"client_input"}, [&server](const trap::net::ServerEvent& e) {
      server.send_to_client(e.client, "Hi, " + e.input.substr(6) + "!");
    });
    return fetch_greeting(server.port(), "Ada").value_or("no answer");
  });
  r.return_is("Hi, Ada!", "the client reads the server's answer");
  r.test("received_is", 0, "HELLO Ada", "and sent the request the protocol says");
  r.test("connections_ok", 0, "over one connection, closed by the client");

  // A real program as the client: perl finds the port in its environment.
  auto perl = trap::run(":tcp_server", {"perl", "-MIO::Socket::INET", "-e",
                                        "my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',"
                                        " PeerPort => $ENV{TRAP_TCP_SERVER_PORT}) or die qq($!\\n);"
                                        " print $s qq(HELLO perl\\n); close $s;"});
  perl.exit_is(0, "perl ran");
  perl.test("received_is", 0, "HELLO perl", "and the server got its line");
  return 0;  // the exit status still counts the failures
}
