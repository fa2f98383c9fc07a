// SPDX-License-Identifier: BSL-1.0
// Links trap::net from an installed trap: a client of the tcp_server layer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <trap/net.hpp>

int main() {
  auto r = trap::trap(":tcp_server", [](trap::Trap& t) {
    auto& server = trap::net::server(t);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
      (void)::write(fd, "hello\n", 6);
    server.wait_for_input();
    ::close(fd);
    server.wait_for_disconnection();
  });
  r.test("received_is", 0, "hello", "the server got the line");
  return trap::done_testing();
}
