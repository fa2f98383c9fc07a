// SPDX-License-Identifier: BSL-1.0
// 15-http-client: tests a small HTTP client function against
// trap::http::Server's queued responses (MockWebServer style): what it
// returns for a good answer, what it sent, and how it fails when the
// server breaks the response on purpose (closed in the middle of the body,
// a Content-Length that promises more). Results are TAP.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <trap/http.hpp>
#include <trap/more.hpp>

namespace {

// ---- the code under test: a tiny blocking GET on 127.0.0.1.

struct Reply {
  int status = 0;
  std::string body;
};

std::string read_all(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return in;  // end of file, or the connection broke
    in.append(buf, static_cast<std::size_t>(n));
  }
}

// Sends "GET path" with Connection: close and reads to the end; throws
// std::runtime_error when the reply is empty or shorter than it said.
Reply http_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("http_get: socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request =
      "GET " + path +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: tiny\r\nConnection: close\r\n\r\n";
  std::string in;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()))
    in = read_all(fd);
  ::close(fd);
  const auto end_of_head = in.find("\r\n\r\n");
  if (in.size() < 12 || end_of_head == std::string::npos)
    throw std::runtime_error("http_get: empty reply");
  Reply r{std::atoi(in.substr(9, 3).c_str()), in.substr(end_of_head + 4)};
  const auto length = in.find("\r\nContent-Length: ");
  if (length != std::string::npos && length < end_of_head) {
    const std::size_t promised = std::strtoul(in.c_str() + length + 18, nullptr, 10);
    if (r.body.size() < promised)
      throw std::runtime_error("http_get: short body: " + std::to_string(r.body.size()) + " of " +
                               std::to_string(promised) + " bytes");
  }
  return r;
}

}  // namespace

int main() {
  using trap::http::Fault;
  using trap::http::Response;
  trap::http::Server server;  // 127.0.0.1 and ::1, port 0

  server.enqueue(Response::json(200, R"({"id": 7})"));
  auto ok = trap::trap([&] { return http_get(server.port(), "/users/7").body; });
  ok.return_is(R"({"id": 7})", "the client returns the body");
  auto sent = server.take_request();
  trap::ok(sent.has_value(), "and the server got a request");
  if (sent) {
    trap::is(sent->path, "/users/7", "for the path asked");
    trap::is(sent->header("User-Agent").value_or(""), "tiny", "with the client's User-Agent");
  }

  auto broken = Response::text(200, std::string(1000, 'x'));
  broken.fault = Fault::close_mid_body;  // half the body, then closed
  server.enqueue(broken);
  auto mid = trap::trap([&] { return http_get(server.port(), "/big").body; });
  mid.die_like("^http_get: short body: 500 of 1000 bytes", "a body cut short is an error");

  auto lying = Response::text(200, "short");
  lying.fault = Fault::wrong_content_length;  // says more than it sends
  server.enqueue(lying);
  trap::trap([&] {
    return http_get(server.port(), "/lie").body;
  }).die_like("^http_get: short body", "so is a Content-Length that lies");

  auto closed = Response::text(200, "never seen");
  closed.fault = Fault::close_after_request;
  server.enqueue(closed);
  trap::trap([&] {
    return http_get(server.port(), "/gone").body;
  }).die_like("^http_get: empty reply", "and a connection closed before any answer");

  auto report = server.shutdown();
  trap::ok(report.clean(), "every queued response was taken: " + report.describe());
  return trap::done_testing();
}
