// SPDX-License-Identifier: BSL-1.0
// Links trap::http from an installed trap: a client of the http_server
// layer, answered from the queue.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <trap/http.hpp>
#include <trap/more.hpp>

int main() {
  std::string answer;
  auto r = trap::trap(":http_server", [&](trap::Trap& t) {
    auto& server = trap::http::server(t);
    server.enqueue(trap::http::Response::text(200, "hello"));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string request = "GET /hi HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, n);
    }
    ::close(fd);
  });
  const trap::Value* requests = r.get("requests");
  trap::ok(requests && requests->array().size() == 1 &&
               requests->array()[0].as<trap::http::Request>().target == "/hi",
           "the request logged");
  trap::ok(answer.ends_with("\r\n\r\nhello"), "the queued response came back");
  return trap::done_testing();
}
