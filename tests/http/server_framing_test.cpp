// SPDX-License-Identifier: BSL-1.0
// trap::http::Server against what a demanding client sends wrong and Go's
// net/http server refuses (RFC 9112): chunked bodies whose lines end in a
// bare LF or run past max_header_bytes, a target in no request-target
// form, a malformed Host, chunked given twice, an Expect other than
// 100-continue; an HTTP/1.0 request with Transfer-Encoding closes its
// connection, and status lines carry Go's reason phrases. Each refusal is
// answered, closed, logged with its request line in unmatched(), and
// survived. Every wait is bounded.
#define BOOST_TEST_MODULE http_server_framing

#include <array>
#include <chrono>
#include <sstream>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/http.hpp>

#include "http/raw_http.hpp"
#include "http/request_body.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
using test_http::get;
using test_http::read_response;
using test_net::Client;
using trap::http::Response;
using trap::http::Server;
using trap::http::ServerOptions;

namespace {

ServerOptions answering(ServerOptions o = {}) {
  o.handler = [](const trap::http::Request& r) {
    return Response::text(200, "ok " + r.path + " " + r.body);
  };
  return o;
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
    auto ok = read_response(after);
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->body == "ok /still ");
  }
}

const std::string kChunkedPost =
    "POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";

// A stream whose one read brings `bytes` at once into the buffers it is
// given, and completes on the context.
struct ScriptedStream {
  using executor_type = boost::asio::io_context::executor_type;
  boost::asio::io_context& io;
  std::string bytes;
  executor_type get_executor() { return io.get_executor(); }
  void cancel(boost::system::error_code&) {}
  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(bytes));
    boost::asio::post(io, [h = std::forward<Handler>(handler), n]() mutable { h({}, n); });
  }
};

}  // namespace

// ------------------------------------------------- chunked framing

// RFC 9112, 7.1: the lines of a chunked body end in CRLF; a bare LF there
// is not taken (erratum 7633), and Go's net/http refuses it. A last chunk
// "0" LF used to leave the connection hanging.
BOOST_AUTO_TEST_CASE(a_chunked_body_line_ending_in_a_bare_lf_gets_400) {
  Server server(answering());
  const std::string size_line = "400 bad request: a chunk-size line ends in a bare LF, not CRLF";
  rejected(server, kChunkedPost + "3\nabc\r\n0\r\n\r\n", 400, size_line + " (RFC 9112, 7.1)");
  rejected(server, kChunkedPost + "3\r\nabc\r\n0\n\r\n", 400, size_line + " (RFC 9112, 7.1)");
  rejected(server, kChunkedPost + "3\r\nabc\n0\r\n\r\n", 400,
           "400 bad request: a chunk's data ends in a bare LF, not CRLF (RFC 9112, 7.1)");
  rejected(server, kChunkedPost + "3\r\nabc\r\n0\r\nX-T: 1\n\r\n", 400,
           "400 bad request: a line of a chunked body's trailer ends in a bare LF, not CRLF "
           "(RFC 9112, 7.1)");
  rejected(server, kChunkedPost + "3\r\nabc\r\n0\r\n\n", 400,
           "400 bad request: a line of a chunked body's trailer ends in a bare LF, not CRLF "
           "(RFC 9112, 7.1)");
  BOOST_TEST(server.unmatched().back().request.path == "/up");
  // Well framed, with an extension and a trailer, and the request behind it.
  Client c("127.0.0.1", server.port());
  c.send(kChunkedPost + "3;x=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n" +
         get("/next"));
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == "ok /up abc0123456789abcdef");
  r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == "ok /next ");
}

// The framing is followed across reads of any size: byte by byte here.
BOOST_AUTO_TEST_CASE(chunk_framing_is_followed_across_pieces) {
  auto faults_of = [](const std::string& body) {
    trap::http::detail::ChunkFraming framing(100);
    for (char c : body)
      if (auto why = framing.look(std::string_view(&c, 1))) return *why;
    return std::string("none");
  };
  BOOST_TEST(faults_of("3\r\nabc\r\n0\r\nA: b\r\n\r\n3\nxyz") == "none");  // after its end
  BOOST_TEST(faults_of("a\r\n0123456789\r\n0\n").find("chunk-size line") != std::string::npos);
  BOOST_TEST(faults_of("3\r\na\nc\r\n0\r\n\r\n") == "none");  // an LF in the data is data
  // Up to max_line bytes before the CRLF; one more is refused as it comes.
  BOOST_TEST(faults_of("1;" + std::string(98, 'e') + "\r\nx\r\n") == "none");
  BOOST_TEST(faults_of("1;" + std::string(99, 'e')).find("longer than 100") != std::string::npos);
  BOOST_TEST(faults_of("x\r\nabc\n") == "none");  // no size: the parser's
  // A trailer of up to max_line bytes, its CRLFs counted.
  BOOST_TEST(faults_of("0\r\nA: " + std::string(93, 'b') + "\r\n\r\n") == "none");
  BOOST_TEST(faults_of("0\r\nA: " + std::string(94, 'b') + "\r\n\r\n").find("longer than 100") !=
             std::string::npos);
}

// A read of the body is looked at in the buffers it was read into, however
// many (here three, the fault in the second), whatever the buffer the
// parser reads from holds.
BOOST_AUTO_TEST_CASE(a_body_read_is_looked_at_in_the_buffers_it_went_into) {
  boost::asio::io_context io;
  ScriptedStream next{io, "3\r\nabc\n0\r\n\r\n"};  // the fault in the second piece
  trap::http::detail::BodyStream<ScriptedStream> body(next, 1s);
  BOOST_TEST(!body.begin(true, 100, ""));
  std::array<char, 4> a{}, b{}, c{};
  const std::array<boost::asio::mutable_buffer, 3> pieces{
      boost::asio::buffer(a), boost::asio::buffer(b), boost::asio::buffer(c)};
  boost::system::error_code got;
  std::size_t n = 0;
  body.async_read_some(pieces, [&](boost::system::error_code ec, std::size_t bytes) {
    got = ec;
    n = bytes;
  });
  io.run();
  BOOST_TEST(n == 12u);
  BOOST_TEST(got.message() == make_error_code(boost::beast::http::error::bad_chunk).message());
  BOOST_REQUIRE(body.refusal());
  BOOST_TEST(body.refusal()->why ==
             "400 bad request: a chunk's data ends in a bare LF, not CRLF (RFC 9112, 7.1)");
}

// ------------------------------------------------- what a refusal logs

// A request the server refuses itself is logged with the request line it
// came with, so that a test sees what was refused: taken from the parser
// when it read the line, else from the bytes when they look like one.
BOOST_AUTO_TEST_CASE(a_refused_request_is_logged_with_its_request_line) {
  Server server(answering());
  auto last = [&] { return server.unmatched().back().request; };
  rejected(server,
           "POST /te HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           400, "400 bad request: Transfer-Encoding gives chunked more than once (RFC 9112, 7)");
  BOOST_TEST(last().method == "POST");
  BOOST_TEST(last().target == "/te");
  BOOST_TEST(last().path == "/te");
  rejected(server, "GET /field?q=1 HTTP/1.1\r\nBad Field\r\n\r\n", 400,
           "400 bad request: bad field");
  BOOST_TEST(last().method == "GET");
  BOOST_TEST(last().query == "q=1");
  rejected(server, "GET /v HTTP/1.x\r\nHost: t\r\n\r\n", 400, "400 bad request: bad version");
  BOOST_TEST(last().method == "GET");
  BOOST_TEST(last().target == "/v");
  rejected(server, "GET /two HTTP/3.0\r\nHost: t\r\n\r\n", 505,
           "505 http version not supported: HTTP/3.0");
  BOOST_TEST(last().target == "/two");
  std::ostringstream shown;
  shown << server.unmatched().back();
  BOOST_TEST(shown.str().rfind("GET /two (connection ", 0) == 0, shown.str());
  // What is not a request line is not taken for one.
  rejected(server, "NOT HTTP AT ALL\r\n\r\n", 400, "400 bad request: bad version");
  BOOST_TEST(last().method == "");
  BOOST_TEST(last().target == "");
}

// ------------------------------------------------- the request line

// RFC 9112, 3.2: a request-target is "/path" (origin form), an absolute
// URI (absolute form), an authority for CONNECT, or "*" for OPTIONS. Go's
// net/http answers any other 400.
BOOST_AUTO_TEST_CASE(a_target_of_no_request_target_form_gets_400) {
  Server server(answering());
  const std::string forms =
      "is not \"/path\", an absolute URI, or \"*\" for OPTIONS (RFC 9112, 3.2)";
  rejected(server, get("foo"), 400, "400 bad request: request-target \"foo\" " + forms);
  rejected(server, get("?q=1"), 400, "400 bad request: request-target \"?q=1\" " + forms);
  rejected(server, get("1http://x/"), 400,
           "400 bad request: request-target \"1http://x/\" " + forms);
  rejected(server, get("*"), 400, "400 bad request: request-target \"*\" " + forms);
  rejected(server, "OPTIONS x HTTP/1.1\r\nHost: t\r\n\r\n", 400,
           "400 bad request: request-target \"x\" " + forms);
  BOOST_TEST(server.unmatched().back().request.target == "x");
  // Each form in its place is served.
  Client c("127.0.0.1", server.port());
  for (const std::string& request :
       {get("/p"), get("http://h/a?b"), get("urn:x"), "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n"s,
        "CONNECT h:443 HTTP/1.1\r\n\r\n"s}) {
    BOOST_TEST_CONTEXT(request) {
      c.send(request);
      auto r = read_response(c);
      BOOST_REQUIRE(r);
      BOOST_TEST(r->status == 200);
    }
  }
  BOOST_TEST(server.request_count() == 5u + 5u);  // the "after" ones and these
}

// RFC 9112, 3.2 and RFC 3986, 3.2.2: a Host is uri-host [":" port]. Go's
// net/http answers "400 Bad Request: malformed Host header" to a byte no
// host or port has (a space, '"', '/', '@', a control, non-ASCII), in
// HTTP/1.0 too; an empty Host is taken.
BOOST_AUTO_TEST_CASE(a_malformed_host_header_gets_400) {
  Server server(answering());
  for (const std::string host : {"a b", "a\"b", "a/b", "a@b", "a\tb", "caf\xc3\xa9"}) {
    rejected(server, "GET /h HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 400,
             "400 bad request: malformed Host header \"" + host + "\"");
    BOOST_TEST(server.unmatched().back().request.path == "/h");
  }
  rejected(server, "GET /h HTTP/1.0\r\nHost: a b\r\n\r\n", 400,
           "400 bad request: malformed Host header \"a b\"");
  rejected(server, "GET /h HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400,
           "400 bad request: more than one Host header");
  Client c("127.0.0.1", server.port());
  for (const std::string host :
       {"", "example.com:8080", "[::1]:80", "a'~!$&()*+,;=_%-.b", "fe80::1%25eth0"}) {
    BOOST_TEST_CONTEXT(host) {
      c.send("GET /h HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
      auto r = read_response(c);
      BOOST_REQUIRE(r);
      BOOST_TEST(r->status == 200);
    }
  }
}

// RFC 9112, 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty
// framing: the server answers it and closes the connection, even when it
// asked for keep-alive, so that what follows is not taken for a request.
BOOST_AUTO_TEST_CASE(an_http_1_0_request_with_transfer_encoding_is_answered_then_closed) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send(
      "POST /old HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n" +
      get("/behind"));
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 200);
  BOOST_TEST(r->body == "ok /old abc");
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST(server.request_count() == 1u);
  // Without Transfer-Encoding, HTTP/1.0 keep-alive is kept.
  Client k("127.0.0.1", server.port());
  k.send("POST /k HTTP/1.0\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx" + get("/2"));
  r = read_response(k);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->header("Connection") == "keep-alive");
  r = read_response(k);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == "ok /2 ");
}

// ------------------------------------------------- the status line

// The reason phrase is Go's net/http's (StatusText), and a code it has
// none for is sent as Go sends it: "599 status code 599".
BOOST_AUTO_TEST_CASE(the_reason_phrase_is_gos_and_an_unknown_code_says_status_code) {
  ServerOptions o;
  o.handler = [](const trap::http::Request& r) {
    return Response::text(std::stoi(r.path.substr(1)), "x");
  };
  Server server(o);
  Client c("127.0.0.1", server.port());
  auto status_line = [&](int status) {
    c.send(get("/" + std::to_string(status)));
    auto r = read_response(c);
    return r ? r->head.substr(0, r->head.find("\r\n")) : "(none)";
  };
  BOOST_TEST(status_line(200) == "HTTP/1.1 200 OK");
  BOOST_TEST(status_line(413) == "HTTP/1.1 413 Request Entity Too Large");
  BOOST_TEST(status_line(418) == "HTTP/1.1 418 I'm a teapot");
  BOOST_TEST(status_line(425) == "HTTP/1.1 425 Too Early");
  BOOST_TEST(status_line(511) == "HTTP/1.1 511 Network Authentication Required");
  BOOST_TEST(status_line(299) == "HTTP/1.1 299 status code 299");
  BOOST_TEST(status_line(444) == "HTTP/1.1 444 status code 444");
  BOOST_TEST(status_line(599) == "HTTP/1.1 599 status code 599");
  BOOST_TEST(status_line(999) == "HTTP/1.1 999 status code 999");
}

// A chunk-size line (its extensions with it) is held to max_header_bytes,
// as a header line is: a longer one gets a 400 when its bytes come, not
// once its end comes (Go's net/http holds it to 4096 bytes).
BOOST_AUTO_TEST_CASE(a_chunk_size_line_over_max_header_bytes_gets_400) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  Server server(answering(o));
  const std::string why =
      "400 bad request: a chunk-size line longer than 1024 bytes "
      "(max_header_bytes)";
  rejected(server, kChunkedPost + "3;x=" + std::string(1100, 'y') + "\r\nabc\r\n0\r\n\r\n", 400,
           why);
  rejected(server, kChunkedPost + "3;x=" + std::string(4000, 'y'), 400, why);  // and no end
  BOOST_TEST(server.unmatched().back().request.path == "/up");
  Client c("127.0.0.1", server.port());
  c.send(kChunkedPost + "3;x=" + std::string(1020, 'y') + "\r\nabc\r\n0\r\n\r\n");
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == "ok /up abc");
}

// The trailer after a chunked body's last chunk is a header section, held
// to max_header_bytes as the head is (its line ends and its closing empty
// line counted): a longer one gets a 400 as its bytes come, not once its
// end comes. Go's net/http refuses a trailer past its read buffer (4096
// bytes) as a fault of the body: "suspiciously long trailer after
// chunked body".
BOOST_AUTO_TEST_CASE(a_trailer_over_max_header_bytes_gets_400) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  Server server(answering(o));
  const std::string why =
      "400 bad request: a chunked body's trailer longer than 1024 bytes (max_header_bytes)";
  const std::string body = "3\r\nabc\r\n0\r\n";
  rejected(server, kChunkedPost + body + "X-T: " + std::string(1016, 'y') + "\r\n\r\n", 400, why);
  std::string lines;  // short lines, and no end
  for (int i = 0; i < 200; ++i) lines += "X-T" + std::to_string(i) + ": 1\r\n";
  rejected(server, kChunkedPost + body + lines, 400, why);
  BOOST_TEST(server.unmatched().back().request.path == "/up");
  Client c("127.0.0.1", server.port());
  c.send(kChunkedPost + body + "X-T: " + std::string(1015, 'y') + "\r\n\r\n" + get("/next"));
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == "ok /up abc");
  r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->body == "ok /next ");
}

// ------------------------------------------------- Transfer-Encoding

// RFC 9112, 7: chunked is applied once; a body that says it twice has no
// framing to trust. The 400 says so, where it said "bad Transfer-Encoding"
// for two fields and "does not end in chunked" for "chunked, chunked".
BOOST_AUTO_TEST_CASE(transfer_encoding_chunked_twice_gets_400_saying_so) {
  Server server(answering());
  const std::string twice =
      "400 bad request: Transfer-Encoding gives chunked more than once "
      "(RFC 9112, 7)";
  const std::string head = "POST /te HTTP/1.1\r\nHost: t\r\n";
  const std::string body = "\r\n3\r\nabc\r\n0\r\n\r\n";
  rejected(server, head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n" + body,
           400, twice);
  BOOST_TEST(server.unmatched().back().request.path == "/te");
  rejected(server, head + "Transfer-Encoding: chunked, chunked\r\n" + body, 400, twice);
  rejected(server,
           head + "Transfer-Encoding: gzip, chunked\r\nTransfer-Encoding: chunked\r\n" + body, 400,
           twice);
  // A coding after chunked, or Content-Length with it, is named too.
  rejected(server, head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n" + body, 400,
           "400 bad request: Transfer-Encoding \"gzip\" after chunked, which must be the last "
           "coding (RFC 9112, 6.1)");
  rejected(server, head + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n" + body, 400,
           "400 bad request: Transfer-Encoding with Content-Length (RFC 9112, 6.3)");
}

// ------------------------------------------------- Expect

// RFC 9110, 10.1.1: a server may answer 417 to an expectation it cannot
// meet; Go's net/http does to any but 100-continue, in HTTP/1.0 too, and
// closes without reading the body.
BOOST_AUTO_TEST_CASE(an_expectation_other_than_100_continue_gets_417) {
  Server server(answering());
  rejected(server, get("/e", "Expect: foo\r\n"), 417,
           "417 expectation failed: Expect \"foo\" is not 100-continue");
  BOOST_TEST(server.unmatched().back().request.path == "/e");
  rejected(server, "POST /e HTTP/1.0\r\nExpect: 200-ok\r\nContent-Length: 3\r\n\r\nabc", 417,
           "417 expectation failed: Expect \"200-ok\" is not 100-continue");
  // 100-continue (in any case, among other tokens) is met, in HTTP/1.0
  // left alone; an empty Expect asks nothing.
  Client c("127.0.0.1", server.port());
  c.send(get("/a", "Expect: 100-Continue\r\n") + get("/b", "Expect: \r\n") +
         "GET /c HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  for (const char* path : {"/a", "/b", "/c"}) {
    auto r = read_response(c);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->body == "ok "s + path + " ");
  }
}

// ------------------------------------------------- faults and framing

// Fault::wrong_content_length breaks a response that asked for chunks too:
// it goes with a Content-Length 16 bytes over its body, not as whole
// chunks a client reads without a fault.
BOOST_AUTO_TEST_CASE(a_wrong_content_length_is_sent_for_a_chunked_response_too) {
  Server server;
  Response r = Response::text(200, "abcdef");
  r.chunked = true;
  r.fault = trap::http::Fault::wrong_content_length;
  server.enqueue(r);
  Client c("127.0.0.1", server.port());
  c.send(get("/w"));
  auto head = read_response(c, true);
  BOOST_REQUIRE(head);
  BOOST_TEST(!head->header("Transfer-Encoding"));
  BOOST_TEST(head->header("Content-Length") == "22");
  BOOST_TEST(c.read_bytes(6) == "abcdef");
  BOOST_TEST(c.closed_by_server());
}

// A server whose idle connections outlast any wait of these tests: a close
// seen is one the server decided on.
ServerOptions keeping_idle_connections() {
  ServerOptions o;
  o.header_timeout = std::chrono::minutes(1);
  return o;
}

// A response after which the server closes says Connection: close, in place
// of the Connection header it was given (as Go's net/http replaces it): a
// client told keep-alive would send its next request into a closed socket.
BOOST_AUTO_TEST_CASE(a_response_that_closes_says_connection_close_over_its_own) {
  Server server(keeping_idle_connections());
  Response closing = Response::text(200, "a").with_header("Connection", "keep-alive");
  closing.close = true;
  server.enqueue(closing);
  server.enqueue(Response::text(200, "b").with_header("Connection", "keep-alive"));
  for (const std::string more : {"", "Connection: close\r\n"}) {
    BOOST_TEST_CONTEXT("request header " << more) {
      Client c("127.0.0.1", server.port());
      c.send(get("/c", more));
      auto r = read_response(c);
      BOOST_REQUIRE(r);
      BOOST_TEST(r->header("Connection") == "close");
      BOOST_TEST(r->head.find("keep-alive") == std::string::npos);
      BOOST_TEST(c.closed_by_server());
    }
  }
}

// A Connection header given with "close" among its options closes, and is
// sent as given.
BOOST_AUTO_TEST_CASE(a_connection_header_listing_close_closes) {
  Server server(keeping_idle_connections());
  server.enqueue(Response::text(200, "a").with_header("Connection", "x-trace, Close"));
  Client c("127.0.0.1", server.port());
  c.send(get("/c"));
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->header("Connection") == "x-trace, Close");
  BOOST_TEST(r->head.find("Connection: close") == std::string::npos);
  BOOST_TEST(c.closed_by_server());
}
