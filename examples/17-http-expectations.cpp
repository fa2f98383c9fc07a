// SPDX-License-Identifier: BSL-1.0
// 17-http-expectations: an expectation-based test (WireMock's stubs and
// verify). The server is told which requests to expect (a POST with a JSON
// body, compared as JSON) and how to answer them; the code under test
// runs; shutdown() reports what was expected and never came. Results are TAP.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include <trap/http.hpp>
#include <trap/more.hpp>

namespace {

// ---- the code under test: creates a user, returns the raw HTTP reply.

std::string post_json(std::uint16_t port, const std::string& path, const std::string& json) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("post_json: socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request = "POST " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                              "Content-Type: application/json\r\nContent-Length: " +
                              std::to_string(json.size()) + "\r\n\r\n" + json;
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
      reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

// Sends the user (keys in its own order, no spaces); true on 201.
bool create_user(std::uint16_t port, const std::string& name, int age) {
  const std::string reply =
      post_json(port, "/users", "{\"age\":" + std::to_string(age) + ",\"name\":\"" + name + "\"}");
  return reply.rfind("HTTP/1.1 201 ", 0) == 0;
}

}  // namespace

int main() {
  using trap::http::Expectation;
  using trap::http::Response;

  {
    trap::http::Server server;
    // Compared as JSON: key order and white space are the client's choice.
    const auto users = server.expect(Expectation::post("/users")
                                         .with_header("Content-Type", "application/json")
                                         .with_json_body(R"({"name": "ada", "age": 36})")
                                         .respond(Response::json(201, R"({"id": 1})")));
    trap::ok(create_user(server.port(), "ada", 36), "the user is created");
    trap::is(server.matched_count(users), std::size_t{1}, "by the request expected");
    auto report = server.shutdown();  // verify: nothing unmet, unmatched or left open
    trap::ok(report.clean(), "verified at shutdown: " + report.describe());
  }

  {
    trap::http::Server server;
    server.expect(Expectation::post("/users").with_json_body(R"({"name": "bob", "age": 40})"));
    // The code sends the wrong age: no expectation matches, the answer is a
    // 500 that says why, and the expectation stays unmet.
    trap::ok(!create_user(server.port(), "bob", 41), "a request that differs is refused");
    auto unmatched = server.unmatched();
    trap::is(unmatched.size(), std::size_t{1}, "and recorded");
    if (!unmatched.empty())
      trap::like(unmatched[0].why, "closest: POST /users .*: body: ",
                 "naming the closest expectation and the part that differed");
    auto report = server.shutdown();
    trap::is(report.unmet.size(), std::size_t{1}, "shutdown reports the unmet expectation");
    trap::like(report.describe(), "^expectation not met: POST /users ", "by its description");
  }
  return trap::done_testing();
}
