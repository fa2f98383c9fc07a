// SPDX-License-Identifier: BSL-1.0
// trap::http::Server with a raw socket client (exact bytes): the answering
// order, the request log, keep-alive, chunked bodies both ways, HEAD,
// HTTP/1.0, Connection: close, and the addresses. Bad input, shutdown and
// descriptors: server_input_test.cpp; faults seen by curl:
// server_faults_test.cpp. Every wait is bounded.
#define BOOST_TEST_MODULE http_server
#include <future>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/http.hpp>

#include "http/raw_http.hpp"

using namespace std::chrono_literals;
using test_http::get;
using test_http::read_response;
using test_net::Client;
using trap::http::Response;
using trap::http::Server;
using trap::http::ServerOptions;

BOOST_AUTO_TEST_CASE(queue_first_then_500_without_a_handler) {
  Server server;
  server.enqueue(Response::text(201, "queued"));
  Client c("127.0.0.1", server.port());
  c.send(get("/a"));
  auto first = read_response(c);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->status == 201);
  BOOST_TEST(first->body == "queued");
  BOOST_TEST(first->header("Content-Length") == "6");
  c.send(get("/x"));
  auto second = read_response(c);
  BOOST_REQUIRE(second);
  BOOST_TEST(second->status == 500);
  const std::string why = "no expectation, no queued response and no handler for GET /x";
  BOOST_TEST(second->body == why);
  auto unmatched = server.unmatched();
  BOOST_REQUIRE(unmatched.size() == 1u);
  BOOST_TEST(unmatched[0].why == why);
  BOOST_TEST(unmatched[0].request.path == "/x");
  BOOST_TEST(server.request_count() == 2u);
}

BOOST_AUTO_TEST_CASE(the_queue_comes_before_the_handler) {
  ServerOptions o;
  o.handler = [](const trap::http::Request& r) { return Response::text(200, "handler " + r.path); };
  Server server(o);
  server.enqueue(Response::text(202, "queued"));
  Client c("127.0.0.1", server.port());
  c.send(get("/one") + get("/two"));  // pipelined: answered in order
  auto one = read_response(c), two = read_response(c);
  BOOST_REQUIRE((one && two));
  BOOST_TEST(one->body == "queued");
  BOOST_TEST(two->body == "handler /two");
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
}

BOOST_AUTO_TEST_CASE(the_log_holds_what_came) {
  Server server;
  server.enqueue(Response::status_only(204));
  Client c("127.0.0.1", server.port());
  c.send(
      "POST /users?id=1&x=a%20b HTTP/1.1\r\nHost: test\r\nX-B: 2\r\nX-A: 1\r\n"
      "Content-Length: 5\r\n\r\nhello");
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 204);
  auto request = server.take_request(1s);
  BOOST_REQUIRE(request);
  BOOST_TEST(request->method == "POST");
  BOOST_TEST(request->target == "/users?id=1&x=a%20b");
  BOOST_TEST(request->path == "/users");
  BOOST_TEST(request->query == "id=1&x=a%20b");
  BOOST_TEST(request->query_param("x") == "a b");
  BOOST_TEST(request->version == 11u);
  BOOST_REQUIRE(request->headers.size() == 4u);
  BOOST_TEST(request->headers.fields()[1].name == "X-B");
  BOOST_TEST(request->headers.fields()[2].name == "X-A");
  BOOST_TEST(request->body == "hello");
  BOOST_TEST(!request->chunked);
  BOOST_TEST(request->peeraddr == "127.0.0.1");
  BOOST_TEST(request->peerport == c.local_port());
  BOOST_TEST(request->connection == 1u);
  BOOST_TEST(request->sequence == 1u);
  BOOST_TEST(server.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(take_request_gives_the_oldest_and_times_out) {
  ServerOptions o;
  o.handler = [](const trap::http::Request&) { return Response::text(200, "ok"); };
  Server server(o);
  BOOST_TEST(!server.take_request(20ms));
  Client c("127.0.0.1", server.port());
  c.send(get("/1") + get("/2"));
  BOOST_REQUIRE(read_response(c));
  BOOST_REQUIRE(read_response(c));
  BOOST_TEST(server.take_request()->path == "/1");
  BOOST_TEST(server.take_request()->path == "/2");
  BOOST_TEST(!server.take_request(20ms));
  BOOST_TEST(server.requests().size() == 2u);  // taken ones stay in the log
}

// milliseconds::max() is as long as it takes (OkHttp's takeRequest() with
// no timeout), not a deadline overflowed into the past: take_request() is
// still waiting when the client comes, and shutdown() waits for the
// connection the client holds.
BOOST_AUTO_TEST_CASE(the_longest_timeout_waits_as_long_as_it_takes) {
  constexpr auto forever = std::chrono::milliseconds::max();
  Server server;
  server.enqueue(Response::text(200, "late"));
  auto taken = std::async(std::launch::async, [&] { return server.take_request(forever); });
  BOOST_REQUIRE(taken.wait_for(200ms) == std::future_status::timeout);  // still waiting
  Client held("127.0.0.1", server.port());
  held.send("GET /half HTTP/1.1\r\n");   // held open until closed below
  Client c("127.0.0.1", server.port());  // accepted after held
  c.send(get("/late"));
  BOOST_REQUIRE(read_response(c));
  BOOST_REQUIRE(taken.wait_for(5s) == std::future_status::ready);
  auto request = taken.get();
  BOOST_REQUIRE(request);
  BOOST_TEST(request->path == "/late");
  auto report = std::async(std::launch::async, [&] { return server.shutdown(forever); });
  BOOST_REQUIRE(report.wait_for(200ms) == std::future_status::timeout);  // still waiting
  held.close();
  BOOST_REQUIRE(report.wait_for(5s) == std::future_status::ready);
  auto r = report.get();
  BOOST_TEST(r.clean(), r.describe());
}

BOOST_AUTO_TEST_CASE(max_log_drops_the_oldest) {
  ServerOptions o;
  o.max_log = 2;
  o.handler = [](const trap::http::Request&) { return Response::text(200, "ok"); };
  Server server(o);
  Client c("127.0.0.1", server.port());
  c.send(get("/1") + get("/2") + get("/3"));
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(read_response(c));
  BOOST_TEST(server.request_count() == 3u);
  BOOST_REQUIRE(server.requests().size() == 2u);
  BOOST_TEST(server.requests()[0].path == "/2");
  auto taken = server.take_request();
  BOOST_REQUIRE(taken);
  BOOST_TEST(taken->sequence == 2u);
}

BOOST_AUTO_TEST_CASE(keep_alive_keeps_one_connection) {
  ServerOptions o;
  o.handler = [](const trap::http::Request&) { return Response::text(200, "ok"); };
  Server server(o);
  Client a("127.0.0.1", server.port());
  a.send(get("/1"));
  BOOST_REQUIRE(read_response(a));
  a.send(get("/2"));
  BOOST_REQUIRE(read_response(a));
  Client b("127.0.0.1", server.port());
  b.send(get("/3"));
  BOOST_REQUIRE(read_response(b));
  auto log = server.requests();
  BOOST_REQUIRE(log.size() == 3u);
  BOOST_TEST(log[0].connection == log[1].connection);
  BOOST_TEST(log[2].connection != log[0].connection);
}

BOOST_AUTO_TEST_CASE(http_1_0_closes_unless_kept_alive) {
  ServerOptions o;
  o.handler = [](const trap::http::Request&) { return Response::text(200, "ok"); };
  Server server(o);
  Client a("127.0.0.1", server.port());
  a.send("GET /old HTTP/1.0\r\n\r\n");
  auto r = read_response(a);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(a.closed_by_server());
  BOOST_TEST(server.requests()[0].version == 10u);
  Client b("127.0.0.1", server.port());
  b.send("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto kept = read_response(b);
  BOOST_REQUIRE(kept);
  BOOST_TEST(kept->header("Connection") == "keep-alive");
  b.send("GET /2 HTTP/1.0\r\n\r\n");
  BOOST_REQUIRE(read_response(b));
  BOOST_TEST(b.closed_by_server());
}

BOOST_AUTO_TEST_CASE(connection_close_is_honoured_both_ways) {
  ServerOptions o;
  o.handler = [](const trap::http::Request&) { return Response::text(200, "ok"); };
  Server server(o);
  Client a("127.0.0.1", server.port());
  a.send(get("/", "Connection: close\r\n"));
  auto r = read_response(a);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(a.closed_by_server());
  Response closing = Response::text(200, "bye");
  closing.close = true;
  server.enqueue(closing);
  Client b("127.0.0.1", server.port());
  b.send(get("/"));
  BOOST_REQUIRE(read_response(b));
  BOOST_TEST(b.closed_by_server());
}

BOOST_AUTO_TEST_CASE(chunked_request_body_is_joined) {
  Server server;
  server.enqueue(Response::text(200, "ok"));
  Client c("127.0.0.1", server.port());
  c.send(
      "POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  BOOST_REQUIRE(read_response(c));
  auto request = server.take_request();
  BOOST_REQUIRE(request);
  BOOST_TEST(request->body == "hello world");
  BOOST_TEST(request->chunked);
}

BOOST_AUTO_TEST_CASE(chunked_response_in_chunk_size_pieces) {
  Server server;
  Response r = Response::text(200, "abcdefgh");
  r.chunked = true;
  r.chunk_size = 3;
  server.enqueue(r);
  Client c("127.0.0.1", server.port());
  c.send(get("/"));
  BOOST_TEST(c.read_line() == "HTTP/1.1 200 OK\r");
  std::string head;
  while (auto line = c.read_line()) {
    if (*line == "\r") break;
    head += *line + "\n";
  }
  BOOST_TEST(head.find("Transfer-Encoding: chunked") != std::string::npos);
  BOOST_TEST(head.find("Content-Length") == std::string::npos);
  BOOST_TEST(c.read_bytes(28) == "3\r\nabc\r\n3\r\ndef\r\n2\r\ngh\r\n0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(head_gets_headers_only) {
  ServerOptions o;
  o.handler = [](const trap::http::Request& r) {
    return Response::text(200, "body of " + r.method);
  };
  Server server(o);
  Client c("127.0.0.1", server.port());
  c.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = read_response(c, true);
  BOOST_REQUIRE(head);
  BOOST_TEST(head->header("Content-Length") == "12");  // as GET would have it
  c.send(get("/x"));  // a body sent after the HEAD would be read as this status line
  auto next = read_response(c);
  BOOST_REQUIRE(next);
  BOOST_TEST(next->status == 200);
  BOOST_TEST(next->body == "body of GET");
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_gets_a_500_and_is_logged) {
  ServerOptions o;
  o.handler = [](const trap::http::Request&) -> Response { throw std::runtime_error("boom"); };
  Server server(o);
  Client c("127.0.0.1", server.port());
  c.send(get("/"));
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 500);
  BOOST_TEST(r->body == "boom");
  BOOST_REQUIRE(server.unmatched().size() == 1u);
  BOOST_TEST(server.unmatched()[0].why == "the handler threw: boom");
  c.send(get("/again"));  // and the server goes on
  BOOST_TEST(read_response(c)->status == 500);
}

BOOST_AUTO_TEST_CASE(a_handler_that_shuts_down_still_answers_its_request) {
  // From the handler shutdown() cannot wait: it closes the other
  // connections at once, but the request the handler answers gets its
  // answer (and then the connection closes). It is no connection left open.
  Server* self = nullptr;
  std::optional<trap::http::ShutdownReport> inner;  // the server's thread's
  ServerOptions o;
  o.handler = [&](const trap::http::Request& r) {
    if (r.path == "/stop") inner = self->shutdown();
    return Response::text(200, "bye");
  };
  Server server(o);
  self = &server;
  Client idle("127.0.0.1", server.port());  // kept alive between requests
  idle.send(get("/"));
  BOOST_REQUIRE(read_response(idle));
  Client stopping("127.0.0.1", server.port());
  stopping.send(get("/stop"));
  auto r = read_response(stopping);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 200);
  BOOST_TEST(r->body == "bye");
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(stopping.closed_by_server());
  BOOST_TEST(idle.closed_by_server());
  const auto report = server.shutdown();  // joins: inner is written
  BOOST_REQUIRE(inner);
  BOOST_TEST(inner->clean(), inner->describe());
  BOOST_TEST(report.describe() == inner->describe());
}

BOOST_AUTO_TEST_CASE(addresses_and_urls) {
  Server server;
  BOOST_TEST(server.url() == "http://127.0.0.1:" + std::to_string(server.port()));
  if (server.port6() != 0) {
    BOOST_TEST(server.url6() == "http://[::1]:" + std::to_string(server.port6()));
    server.enqueue(Response::text(200, "six"));
    Client c("::1", server.port6());
    c.send(get("/"));
    BOOST_TEST(read_response(c)->body == "six");
    BOOST_TEST(server.take_request()->peeraddr == "::1");
  }
  ServerOptions four;
  four.address = "127.0.0.1";
  Server only4(four);
  BOOST_TEST(only4.port6() == 0);
  BOOST_CHECK_THROW(only4.url6(), trap::TrapError);
  ServerOptions bad;
  bad.address = "not-an-address";
  BOOST_CHECK_THROW(Server{bad}, trap::UsageError);
  BOOST_CHECK_THROW(only4.ca_pem(), trap::UsageError);  // not a TLS server
}

BOOST_AUTO_TEST_CASE(expect_100_continue_gets_its_interim_answer) {
  Server server;
  server.enqueue(Response::text(200, "got it"));
  Client c("127.0.0.1", server.port());
  c.send("PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  BOOST_TEST(c.read_line() == "HTTP/1.1 100 Continue\r");
  BOOST_TEST(c.read_line() == "\r");
  c.send("data");
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == "got it");
  BOOST_TEST(server.take_request()->body == "data");
}

// An HTTP/1.0 client knows no interim answer: its Expect: 100-continue is
// ignored (RFC 9110, 10.1.1: a server MUST), and the first answer it reads
// is the final one.
BOOST_AUTO_TEST_CASE(expect_100_continue_from_http_1_0_is_ignored) {
  Server server;
  server.enqueue(Response::text(200, "got it"));
  Client c("127.0.0.1", server.port());
  c.send("PUT /old HTTP/1.0\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\ndata");
  BOOST_TEST(c.read_line() == "HTTP/1.1 200 OK\r");
  BOOST_TEST(server.take_request()->body == "data");
}
