// SPDX-License-Identifier: BSL-1.0
// trap::http::Server at the edges of HTTP/1.1 that a demanding client
// reaches: empty lines before a request line (RFC 9112, 2.2). Every wait
// is bounded.
#define BOOST_TEST_MODULE http_server_edges

#include <chrono>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/http.hpp>

#include "http/raw_http.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using test_http::get;
using test_http::read_response;
using test_net::Client;
using trap::http::Response;
using trap::http::Server;
using trap::http::ServerOptions;

namespace {

ServerOptions answering(ServerOptions o = {}) {
  o.handler = [](const trap::http::Request& r) { return Response::text(200, "ok " + r.path); };
  return o;
}

// The body of the next response on @p c, or "(none)".
std::string body_of_next(Client& c) {
  auto r = read_response(c);
  return r ? std::to_string(r->status) + " " + r->body : "(none)";
}

}  // namespace

// ------------------------------------------------- empty lines first

// RFC 9112, 2.2: "a server that is expecting to receive and parse a
// request-line SHOULD ignore at least one empty line (CRLF) received prior
// to the request-line". Old clients send one after a POST body (Go's
// net/http drops up to four such bytes after a POST; nginx any number).
BOOST_AUTO_TEST_CASE(empty_lines_before_a_request_line_are_ignored) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send("\r\n\r\n\n" + get("/first"));
  BOOST_TEST(body_of_next(c) == "200 ok /first");
  // After a body, as old clients send it, and pipelined behind it.
  c.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi\r\n" + get("/second"));
  BOOST_TEST(body_of_next(c) == "200 ok /p");
  BOOST_TEST(body_of_next(c) == "200 ok /second");
  // A CR alone, its LF in the next segment.
  c.send("\r");
  c.send("\n" + get("/third"));
  BOOST_TEST(body_of_next(c) == "200 ok /third");
  BOOST_TEST(server.request_count() == 4u);
  BOOST_TEST(server.unmatched().empty());
  auto requests = server.requests();
  BOOST_REQUIRE(requests.size() == 4u);
  BOOST_TEST(requests[1].body == "hi");
  c.close();
  BOOST_TEST(server.shutdown().clean());
}

// A flood of empty lines is not a request line: past max_header_bytes of
// them the client gets a 400 and is closed, and nothing more is buffered.
BOOST_AUTO_TEST_CASE(a_flood_of_empty_lines_gets_400) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  Server server(answering(o));
  Client c("127.0.0.1", server.port());
  std::string flood;
  for (int i = 0; i < 600; ++i) flood += "\r\n";
  c.send(flood + get("/late"));
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 400);
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(c.closed_by_server());
  auto unmatched = server.unmatched();
  BOOST_REQUIRE(unmatched.size() == 1u);
  BOOST_TEST(unmatched[0].why ==
             "400 bad request: more than 1024 bytes of empty lines before the request line");
  BOOST_TEST(r->body == unmatched[0].why + "\n");
  BOOST_TEST(server.request_count() == 0u);
  // Fewer than the limit are ignored.
  Client d("127.0.0.1", server.port());
  d.send(std::string(flood, 0, 1000) + get("/in-time"));
  BOOST_TEST(body_of_next(d) == "200 ok /in-time");
}
