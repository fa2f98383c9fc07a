// SPDX-License-Identifier: BSL-1.0
// trap::http::Server at the edges of HTTP/1.1 that a demanding client
// reaches: empty lines before a request line (RFC 9112, 2.2), status codes
// outside 100..999 (Go's net/http refuses them), chunked trailers kept
// apart from the header fields (Go's Request.Trailer), a huge target,
// many fields, pipelined bodies, a client that half-closes, and what RFC
// 9112 says a server must refuse (no Host, a Transfer-Encoding not ending
// in chunked). Every wait is bounded.
#define BOOST_TEST_MODULE http_server_edges

#include <chrono>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/http.hpp>

#include "http/raw_http.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using test_http::get;
using test_http::read_response;
using test_net::Client;
using trap::http::Expectation;
using trap::http::Headers;
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

// Sends @p bytes on a new connection; checks the answer's status, that the
// server closed, that it logged why, and that it still serves.
void rejected(Server& server, const std::string& bytes, int status, const std::string& why) {
  BOOST_TEST_CONTEXT("expecting " << status << " " << why) {
    Client c("127.0.0.1", server.port());
    c.send(bytes);
    auto r = read_response(c);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == status);
    BOOST_TEST(r->header("Connection") == "close");
    BOOST_TEST(c.closed_by_server());
    auto unmatched = server.unmatched();
    BOOST_REQUIRE(!unmatched.empty());
    BOOST_TEST(unmatched.back().why == why);
    BOOST_TEST(r->body == why + "\n");
    Client after("127.0.0.1", server.port());
    after.send(get("/still"));
    BOOST_TEST(body_of_next(after) == "200 ok /still");
  }
}

// Whether @p f throws trap::UsageError whose message holds @p part.
template <class F>
bool usage_error_naming(F&& f, const std::string& part) {
  try {
    f();
  } catch (const trap::UsageError& e) {
    BOOST_TEST_MESSAGE(e.what());
    return std::string(e.what()).find(part) != std::string::npos;
  }
  return false;
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

// RFC 9112, 2.2: "a recipient MAY recognize a single LF as a line
// terminator and ignore any preceding CR". Go's net/http, nginx and
// Python's http.server answer a head whose lines end so, or some of them;
// so does trap. A body's LFs are its own.
BOOST_AUTO_TEST_CASE(a_head_of_bare_lf_line_ends_is_read) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send("GET /lf HTTP/1.1\nHost: t\nX-A: 1\r\n\n");
  BOOST_TEST(body_of_next(c) == "200 ok /lf");
  // In pieces, each line apart, then a body with LFs of its own.
  c.send("POST /body HTTP/1.1\n");
  c.send("Host: t\nContent-Length: 7\n");
  c.send("\nab\ncd\n\n");
  BOOST_TEST(body_of_next(c) == "200 ok /body");
  // Pipelined, then a later 1.x, then HTTP/1.0 (closed after it).
  c.send("GET /p1 HTTP/1.1\nHost: t\n\nGET /p2 HTTP/1.1\r\nHost: t\r\n\r\n");
  BOOST_TEST(body_of_next(c) == "200 ok /p1");
  BOOST_TEST(body_of_next(c) == "200 ok /p2");
  c.send(get("/p3") + "GET /p4 HTTP/1.1\nHost: t\n\n");  // behind one, in the buffer
  BOOST_TEST(body_of_next(c) == "200 ok /p3");
  BOOST_TEST(body_of_next(c) == "200 ok /p4");
  c.send("GET /m HTTP/1.1\r\nHost: t\nX-B: 2\n\n");  // after a CRLF request line
  BOOST_TEST(body_of_next(c) == "200 ok /m");
  c.send(get("/m2") + "GET /m3 HTTP/1.1\r\nHost: t\r\nX-C: 3\n\r\n");
  BOOST_TEST(body_of_next(c) == "200 ok /m2");
  BOOST_TEST(body_of_next(c) == "200 ok /m3");
  c.send("GET /s HTTP/1.1\r\n");  // the parser may take this line before the rest comes
  c.send("Host: t\nX-D: 4\n\n");
  BOOST_TEST(body_of_next(c) == "200 ok /s");
  c.send("\n\nGET /e HTTP/1.1\n");  // after empty lines, the rest later
  c.send("Host: t\n\n");
  BOOST_TEST(body_of_next(c) == "200 ok /e");
  c.send("GET /v HTTP/1.4\nHost: t\n\n");
  BOOST_TEST(body_of_next(c) == "200 ok /v");
  c.send("GET /old HTTP/1.0\n\n");
  BOOST_TEST(body_of_next(c) == "200 ok /old");
  BOOST_TEST(c.closed_by_server());
  Client d("127.0.0.1", server.port());  // no field: the empty line may come alone
  d.send(get("/d"));
  BOOST_TEST(body_of_next(d) == "200 ok /d");
  d.send("GET /none HTTP/1.0\r\n");
  d.send("\n");
  BOOST_TEST(body_of_next(d) == "200 ok /none");
  BOOST_TEST(server.unmatched().empty());
  auto requests = server.requests();
  BOOST_REQUIRE(requests.size() == 15u);
  BOOST_TEST(requests[0].header("X-A").value_or("(none)") == "1");
  BOOST_TEST(requests[0].headers.size() == 2u);
  BOOST_TEST(requests[1].body == "ab\ncd\n\n");  // no CR given
  BOOST_TEST(requests[5].header("Host").value_or("(none)") == "t");
  BOOST_TEST(requests[6].header("X-B").value_or("(none)") == "2");
  BOOST_TEST(requests[8].header("X-C").value_or("(none)") == "3");
  BOOST_TEST(requests[9].header("X-D").value_or("(none)") == "4");
  BOOST_TEST(requests[11].version == 14u);
  BOOST_TEST(requests[12].version == 10u);
  // A head still bad once its CRs are given is the parser's to refuse, at
  // once (it was read again, for ever, until the header timeout).
  Client bad("127.0.0.1", server.port());
  bad.send("GET /bad HTTP/1.1\nHost: t\rX: y\n\n");
  auto refused = read_response(bad);
  BOOST_REQUIRE(refused);
  BOOST_TEST(refused->status == 400);
  BOOST_TEST(server.unmatched().size() == 1u);
  // Too long a head before its empty line: as with CRLF, a 431.
  ServerOptions small = answering();
  small.max_header_bytes = 64;
  Server tight(small);
  rejected(tight, "GET / HTTP/1.1\nHost: t\nX: " + std::string(100, 'x') + "\n", 431,
           "431 request header fields too large: header limit exceeded");
}

// A CR that no LF follows starts no empty line: the request line is bad,
// whether the CR came alone or with what follows it.
BOOST_AUTO_TEST_CASE(a_cr_without_its_lf_is_a_bad_request_line) {
  Server server(answering());
  rejected(server, "\rGET / HTTP/1.1\r\nHost: t\r\n\r\n", 400, "400 bad request: bad method");
  Client c("127.0.0.1", server.port());
  c.send("\r");
  c.send("XGET / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 400);
  BOOST_TEST(c.closed_by_server());
  // After empty lines, and after a keep-alive request.
  rejected(server, "\r\n\r\rGET / HTTP/1.1\r\nHost: t\r\n\r\n", 400, "400 bad request: bad method");
  Client d("127.0.0.1", server.port());
  d.send(get("/one") + "\r\n\rX");
  BOOST_TEST(body_of_next(d) == "200 ok /one");
  auto bad = read_response(d);
  BOOST_REQUIRE(bad);
  BOOST_TEST(bad->status == 400);
}

// ------------------------------------------------- versions

// RFC 9110 2.5: a higher minor version of HTTP/1 is read as 1.1, the
// highest the server has, and answered in 1.1; Request::version says what
// the client sent (Go's net/http: ProtoMinor 2). The version may come in
// a segment before its CRLF.
BOOST_AUTO_TEST_CASE(a_higher_http_1_minor_version_is_read_as_1_1) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send("GET /v HTTP/1.2\r\nHost: t\r\n\r\n");
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->head.starts_with("HTTP/1.1 200 "));
  BOOST_TEST(r->body == "ok /v");
  c.send("GET /split HTTP/1.9");
  c.send("\r\nHost: t\r\n\r\n" + get("/after"));  // kept alive, as 1.1
  BOOST_TEST(body_of_next(c) == "200 ok /split");
  BOOST_TEST(body_of_next(c) == "200 ok /after");
  auto requests = server.requests();
  BOOST_REQUIRE(requests.size() == 3u);
  BOOST_TEST(requests[0].version == 12u);
  BOOST_TEST(requests[0].target == "/v");
  BOOST_TEST(requests[1].version == 19u);
  BOOST_TEST(requests[2].version == 11u);
  BOOST_TEST(server.unmatched().empty());
}

// RFC 9110 15.6.6: another major version gets 505, as Go's net/http
// answers; a version that is not DIGIT "." DIGIT stays a bad request.
BOOST_AUTO_TEST_CASE(another_major_version_gets_505) {
  Server server(answering());
  rejected(server, "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505,
           "505 http version not supported: HTTP/2.0");
  rejected(server, "GET / HTTP/0.9\r\n\r\n", 505, "505 http version not supported: HTTP/0.9");
  rejected(server, "GET / HTTP/3.1\r\nHost: t\r\n\r\n", 505,
           "505 http version not supported: HTTP/3.1");
  rejected(server, "GET / HTTP/1.2x\r\nHost: t\r\n\r\n", 400, "400 bad request: bad version");
  rejected(server, "GET / HTTP/1.10\r\nHost: t\r\n\r\n", 400, "400 bad request: bad version");
  for (const auto& r : server.requests()) BOOST_TEST(r.path == "/still");  // rejected()'s own
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

// ------------------------------------------------------ status codes

// Go's net/http panics in WriteHeader ("invalid WriteHeader code 1000")
// for a code outside 100..999: here it is a UsageError where the code is
// given, naming it, not a malformed status line at run time.
BOOST_AUTO_TEST_CASE(a_status_outside_100_to_999_is_a_usage_error_where_it_is_given) {
  Server server;
  for (int status : {-200, 0, 99, 1000, 70000}) {
    BOOST_TEST_CONTEXT("status " << status) {
      const std::string named = "status " + std::to_string(status);
      BOOST_TEST(usage_error_naming([&] { server.enqueue(Response::status_only(status)); }, named));
      BOOST_TEST(usage_error_naming(
          [&] { Expectation::get("/").respond(Response::text(status, "x")); }, named));
      Expectation e = Expectation::get("/");
      BOOST_TEST(usage_error_naming([&] { e.respond(Response::json(status, "{}")); }, named));
    }
  }
  server.enqueue(Response::status_only(100));  // the bounds themselves are codes
  server.enqueue(Response::status_only(999));
  Client c("127.0.0.1", server.port());
  c.send(get("/a") + get("/b"));
  BOOST_TEST(body_of_next(c) == "100 ");
  auto last = read_response(c);
  BOOST_REQUIRE(last);
  BOOST_TEST(last->status == 999);
  BOOST_TEST(last->head.rfind("HTTP/1.1 999 ", 0) == 0u, last->head);
  c.close();
  BOOST_TEST(server.shutdown().clean());
}

// A handler's answer comes at run time: one with such a code is answered
// 500, and recorded in unmatched() naming the code, as a handler that
// throws is (Go's server recovers the panic and drops the connection).
BOOST_AUTO_TEST_CASE(a_handler_answering_with_a_bad_status_gets_500_and_is_recorded) {
  ServerOptions o;
  o.handler = [](const trap::http::Request&) { return Response::status_only(1000); };
  Server server(o);
  server.expect(Expectation::get("/x").respond_with(
      [](const trap::http::Request&) { return Response::text(42, "x"); }));
  Client c("127.0.0.1", server.port());
  c.send(get("/x") + get("/y"));
  auto x = read_response(c);
  auto y = read_response(c);
  BOOST_REQUIRE(x);
  BOOST_REQUIRE(y);
  BOOST_TEST(x->status == 500);
  BOOST_TEST(y->status == 500);
  auto unmatched = server.unmatched();
  BOOST_REQUIRE(unmatched.size() == 2u);
  BOOST_TEST(unmatched[0].why ==
             "the handler answered with status 42, not an HTTP status code (100 to 999)");
  BOOST_TEST(unmatched[1].why ==
             "the handler answered with status 1000, not an HTTP status code (100 to 999)");
  BOOST_TEST(x->body == "status 42 is not an HTTP status code (100 to 999)");
  c.close();
  BOOST_TEST(!server.shutdown().clean());
}

// ---------------------------------------------------------- trailers

// Go's Request.Trailer: the fields after a chunked body are trailers, kept
// apart from the header fields, so that a test can tell one from the other.
BOOST_AUTO_TEST_CASE(chunked_trailers_are_kept_apart_from_the_headers) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send(
      "POST /t HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
      "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Note: two\r\n\r\n");
  BOOST_TEST(body_of_next(c) == "200 ok /t");
  c.send("POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST(body_of_next(c) == "200 ok /u");
  auto t = server.take_request(0ms);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->body == "hello");
  BOOST_TEST(t->chunked);
  BOOST_TEST((t->headers ==
              Headers{{"Host", "t"}, {"Transfer-Encoding", "chunked"}, {"Trailer", "X-Checksum"}}));
  BOOST_TEST(!t->header("X-Checksum"));
  BOOST_TEST((t->trailers == Headers{{"X-Checksum", "abc"}, {"X-Note", "two"}}));
  auto u = server.take_request(0ms);
  BOOST_REQUIRE(u);
  BOOST_TEST(u->trailers.size() == 0u);
  // A forked child gives its requests back whole, trailers included.
  BOOST_TEST((trap::codec<trap::http::Request>::decode(
                  trap::codec<trap::http::Request>::encode(*t)) == *t));
  trap::http::Unmatched un{*t, "why"};
  BOOST_TEST((trap::codec<trap::http::Unmatched>::decode(
                  trap::codec<trap::http::Unmatched>::encode(un)) == un));
}

// ------------------------------------------------ what clients push

// A request line longer than max_header_bytes gets 431, as Go's net/http
// counts the request line in MaxHeaderBytes; one within it is served.
BOOST_AUTO_TEST_CASE(a_huge_target_gets_431_and_one_within_the_limit_is_served) {
  ServerOptions o;
  o.max_header_bytes = 4096;
  Server server(answering(o));
  Client c("127.0.0.1", server.port());
  const std::string long_path = "/" + std::string(3000, 'a');
  c.send(get(long_path));
  BOOST_TEST(body_of_next(c) == "200 ok " + long_path);
  Client d("127.0.0.1", server.port());
  d.send(get("/" + std::string(5000, 'b')));
  auto r = read_response(d);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 431);
  BOOST_TEST(d.closed_by_server());
  BOOST_TEST(server.request_count() == 1u);
}

// Many header fields within the byte limit all come, in order (Go limits
// bytes only, as here).
BOOST_AUTO_TEST_CASE(many_header_fields_come_whole_and_in_order) {
  Server server(answering());
  std::string more;
  for (int i = 0; i < 500; ++i)
    more += "X-F" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
  Client c("127.0.0.1", server.port());
  c.send(get("/many", more));
  BOOST_TEST(body_of_next(c) == "200 ok /many");
  auto r = server.take_request(0ms);
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(r->headers.size() == 501u);
  BOOST_TEST(r->headers.fields()[500].name == "X-F499");
  BOOST_TEST(r->headers.fields()[500].value == "499");
}

// Pipelined requests with bodies (Content-Length, chunked) and without,
// in one write: each answered in order, each body its own.
BOOST_AUTO_TEST_CASE(pipelined_requests_with_bodies_are_answered_in_order) {
  ServerOptions o;
  o.handler = [](const trap::http::Request& r) {
    return Response::text(200, r.method + " " + r.path + " [" + r.body + "]");
  };
  Server server(o);
  Client c("127.0.0.1", server.port());
  c.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nfirst" +
         std::string("POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nsec\r\n3\r\nond\r\n0\r\n\r\n") +
         get("/c") + "PUT /d HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  BOOST_TEST(body_of_next(c) == "200 POST /a [first]");
  BOOST_TEST(body_of_next(c) == "200 POST /b [second]");
  BOOST_TEST(body_of_next(c) == "200 GET /c []");
  BOOST_TEST(body_of_next(c) == "200 PUT /d []");
  BOOST_TEST(server.request_count() == 4u);
}

// A client that half-closes after its requests (shutdown(SHUT_WR), as
// `curl --no-keepalive` or netcat do) still gets every answer, then the
// server's end of file, and the connection is not left open.
BOOST_AUTO_TEST_CASE(a_client_that_half_closes_gets_every_answer) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send(get("/one") + "POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  c.shutdown_write();
  BOOST_TEST(body_of_next(c) == "200 ok /one");
  BOOST_TEST(body_of_next(c) == "200 ok /two");
  BOOST_TEST(c.closed_by_server());
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
}

// A client that half-closes in the middle of a body: the request is not
// whole, nothing is answered or logged, the connection closes.
BOOST_AUTO_TEST_CASE(a_client_that_half_closes_mid_body_is_closed) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send("POST /cut HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  c.shutdown_write();
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST(server.request_count() == 0u);
  auto report = server.shutdown();
  BOOST_TEST(report.open.empty(), report.describe());
}

// --------------------------------------------- what a server must refuse

// RFC 9112, 3.2: a server MUST answer 400 to an HTTP/1.1 request without a
// Host header, or with more than one (Go's net/http: "missing required
// Host header", "too many Host headers"). HTTP/1.0 needs none.
BOOST_AUTO_TEST_CASE(an_http_1_1_request_without_exactly_one_host_gets_400) {
  Server server(answering());
  rejected(server, "GET /nohost HTTP/1.1\r\n\r\n", 400,
           "400 bad request: no Host header in an HTTP/1.1 request");
  rejected(server, "GET /two HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400,
           "400 bad request: more than one Host header");
  Client c("127.0.0.1", server.port());
  c.send("GET /old HTTP/1.0\r\n\r\n");
  BOOST_TEST(body_of_next(c) == "200 ok /old");
  // CONNECT's target is its authority: Go's net/http asks it for no Host.
  Client d("127.0.0.1", server.port());
  d.send("CONNECT example.test:443 HTTP/1.1\r\n\r\n");
  BOOST_TEST(body_of_next(d) == "200 ok example.test:443");
  BOOST_TEST(server.requests().back().method == "CONNECT");
  auto unmatched = server.unmatched();
  BOOST_REQUIRE(unmatched.size() == 2u);
  BOOST_TEST(unmatched[0].request.path == "/nohost");  // what was parsed is kept
}

// RFC 9112, 6.3: a request whose Transfer-Encoding does not end in
// chunked has no length a server can know: it MUST answer 400 and close
// (Go's net/http answers 501), or the body would be read as the next
// request.
BOOST_AUTO_TEST_CASE(a_transfer_encoding_not_ending_in_chunked_gets_400) {
  Server server(answering());
  rejected(server, "POST /gz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400,
           "400 bad request: Transfer-Encoding \"gzip\" does not end in chunked");
  rejected(server,
           "POST /cg HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
           "3\r\nabc\r\n0\r\n\r\n",
           400, "400 bad request: Transfer-Encoding \"chunked, gzip\" does not end in chunked");
  BOOST_TEST(server.request_count() == 2u);  // the two "after" requests only
  // Ending in chunked, it is framed by its chunks: served, the body as sent.
  Client c("127.0.0.1", server.port());
  c.send(
      "POST /gc HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST(body_of_next(c) == "200 ok /gc");
  BOOST_TEST(server.requests().back().body == "abc");
}
