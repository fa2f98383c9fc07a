// SPDX-License-Identifier: BSL-1.0
// trap::http::Server against bad input (a bad start line, headers or body
// over the limits, slowloris, pipelined garbage), each answered, closed,
// logged in unmatched() and survived; and its end: shutdown's report with
// a connection held open, close_client_connections(), and start/shutdown
// cycles that leave no descriptor or thread. Every wait is bounded.
#define BOOST_TEST_MODULE http_server_input

#include <chrono>
#include <future>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/http.hpp>

#include "http/raw_http.hpp"
#include "support/clog_watch.hpp"
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

// Sends @p bytes on a new connection; checks the answer's status, that the
// server closed, that it logged why (starting so) and that it still serves.
void rejected(Server& server, const std::string& bytes, int status, const std::string& why) {
  BOOST_TEST_CONTEXT("expecting " << status) {
    Client c("127.0.0.1", server.port());
    c.send(bytes);
    auto r = read_response(c);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == status);
    BOOST_TEST(r->header("Connection") == "close");
    BOOST_TEST(c.closed_by_server());
    auto unmatched = server.unmatched();
    BOOST_REQUIRE(!unmatched.empty());
    BOOST_TEST(unmatched.back().why.rfind(why, 0) == 0, unmatched.back().why);
    BOOST_TEST(r->body == unmatched.back().why + "\n");
    Client after("127.0.0.1", server.port());
    after.send(get("/still"));
    auto ok = read_response(after);
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->body == "ok /still");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_bad_start_line_gets_400) {
  Server server(answering());
  rejected(server, "NOT HTTP AT ALL\r\n\r\n", 400, "400 bad request: bad version");
  rejected(server, "GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400, "400 bad request: bad field");
  BOOST_TEST(server.request_count() == 2u);  // the two "after" requests only
  BOOST_TEST(!server.shutdown().clean());    // and the report says so
}

BOOST_AUTO_TEST_CASE(headers_over_the_limit_get_431) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  Server server(answering(o));
  rejected(server, get("/", "X-Big: " + std::string(2000, 'x') + "\r\n"), 431,
           "431 request header fields too large: ");
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_gets_413) {
  ServerOptions o;
  o.max_body_bytes = 100;
  Server server(answering(o));
  rejected(server,
           "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'b'), 413,
           "413 content too large: ");
  rejected(server,
           "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n" +
               std::string(128, 'b') + "\r\n0\r\n\r\n",
           413, "413 content too large: ");
  auto unmatched = server.unmatched();
  BOOST_TEST(unmatched.back().request.method == "POST");  // what was parsed is kept
}

BOOST_AUTO_TEST_CASE(slowloris_gets_408) {
  ServerOptions o;
  o.header_timeout = 100ms;
  Server server(answering(o));
  rejected(server, "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ", 408, "408 request timeout: ");
  // A connection that sends nothing at all is closed quietly.
  Client silent("127.0.0.1", server.port());
  BOOST_TEST(silent.closed_by_server());
  BOOST_TEST(server.unmatched().size() == 1u);
}

// A body that stops coming, the client keeping the connection open, gets
// 408 once no byte of it came in header_timeout, as a head that stalls
// does, and is logged with its head. The answer is awaited, not slept on.
BOOST_AUTO_TEST_CASE(a_body_that_stops_gets_408) {
  ServerOptions o;
  o.header_timeout = 200ms;
  Server server(answering(o));
  const std::string why = "408 request timeout: no byte of the body in 200 ms";
  rejected(server, "POST /short HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc", 408, why);
  BOOST_TEST(server.unmatched().back().request.method == "POST");
  BOOST_TEST(server.unmatched().back().request.path == "/short");
  rejected(server,
           "POST /chunks HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
           408, why);
  BOOST_TEST(server.unmatched().back().request.path == "/chunks");
  // The same after 100 Continue, which the client waits for.
  Client c("127.0.0.1", server.port());
  c.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  BOOST_TEST(c.read_line() == "HTTP/1.1 100 Continue\r");
  BOOST_TEST(c.read_line() == "\r");
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 408);
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST(server.unmatched().size() == 3u);
  BOOST_TEST(server.unmatched().back().why == why);
}

BOOST_AUTO_TEST_CASE(pipelined_garbage_gets_400_after_the_good_request) {
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send(get("/good") + "\x01\x02garbage\r\n\r\n");
  auto good = read_response(c);
  BOOST_REQUIRE(good);
  BOOST_TEST(good->body == "ok /good");
  auto bad = read_response(c);
  BOOST_REQUIRE(bad);
  BOOST_TEST(bad->status == 400);
  BOOST_TEST(c.closed_by_server());
  BOOST_REQUIRE(server.unmatched().size() == 1u);
  BOOST_TEST(server.unmatched()[0].request.connection == server.requests()[0].connection);
}

BOOST_AUTO_TEST_CASE(shutdown_names_a_connection_held_open_and_keeps_its_deadline) {
  Server server(answering());
  server.enqueue(Response::text(200, "queued"));
  Client idle("127.0.0.1", server.port());
  idle.send(get("/"));
  BOOST_REQUIRE(read_response(idle));
  server.enqueue(Response::text(200, "never taken"));
  Client held("127.0.0.1", server.port());
  held.send("GET /half HTTP/1.1\r\n");  // never finished, never closed
  // The server has it once it has the next one's request.
  Client probe("127.0.0.1", server.port());
  probe.send(get("/probe"));
  BOOST_REQUIRE(read_response(probe));
  probe.close();
  const auto start = std::chrono::steady_clock::now();
  auto report = server.shutdown(300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(took >= 300ms);  // it waited for the held connection
  BOOST_TEST(took < 3s);
  BOOST_TEST_REQUIRE(report.open.size() == 1u, report.describe());
  BOOST_TEST(report.open[0].peerport == held.local_port());
  BOOST_TEST(report.open[0].peeraddr == "127.0.0.1");
  BOOST_TEST(report.untaken_responses == 0u);  // "/probe" took the second one
  BOOST_TEST(idle.closed_by_server());         // idle: closed at once
  BOOST_TEST(held.closed_by_server());
  BOOST_TEST(server.shutdown() == report);  // the first report, again
}

// A handler runs on the server's thread and nothing can stop it: shutdown()
// waits for it whatever the deadline, as httptest's Close does, and says
// what it waits for once the deadline has passed and a second at least (a
// warning, to std::clog outside a warn layer). Here that warning is what
// lets the handler return.
BOOST_AUTO_TEST_CASE(shutdown_names_a_handler_that_outlives_its_deadline) {
  std::promise<void> entered, warned;
  std::shared_future<void> go = warned.get_future().share();
  bool released_by_the_warning = false;
  ServerOptions o;
  o.handler = [&](const trap::http::Request&) {
    entered.set_value();
    // Bounded: without the warning the test fails instead of hanging.
    released_by_the_warning = go.wait_for(30s) == std::future_status::ready;
    return Response::text(200, "late");
  };
  Server server(o);
  Client c("127.0.0.1", server.port());
  c.send(get("/slow"));
  BOOST_REQUIRE(entered.get_future().wait_for(10s) == std::future_status::ready);
  const auto start = std::chrono::steady_clock::now();
  decltype(server.shutdown()) report;
  const std::string written = test_support::clog_of([&] { report = server.shutdown(500ms); },
                                                    "deadline has passed", warned);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(released_by_the_warning);
  BOOST_TEST(took >= 1s);  // the notice comes no sooner
  BOOST_TEST(written ==
             "trap::http::Server::shutdown(): its 500 ms deadline has passed while a handler "
             "still answers GET /slow; waiting for the handler to return\n");  // once
  // The request in flight was answered, then its connection closed.
  auto answer = read_response(c);
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->body == "late");
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST(report.clean(), report.describe());
}

// An answer that a handler gives once shutdown() has begun is the last on
// its connection, and says so (Connection: close, as Go's Shutdown does),
// rather than offering a keep-alive the server then breaks.
BOOST_AUTO_TEST_CASE(an_answer_given_during_shutdown_says_connection_close) {
  std::promise<void> entered, warned;
  std::shared_future<void> go = warned.get_future().share();
  ServerOptions o;
  o.handler = [&](const trap::http::Request&) {
    entered.set_value();
    (void)go.wait_for(30s);  // bounded: released once shutdown() waits for it
    return Response::text(200, "last");
  };
  Server server(o);
  Client c("127.0.0.1", server.port());
  c.send(get("/slow"));
  BOOST_REQUIRE(entered.get_future().wait_for(10s) == std::future_status::ready);
  decltype(server.shutdown()) report;
  (void)test_support::clog_of([&] { report = server.shutdown(0ms); }, "deadline has passed",
                              warned);
  auto answer = read_response(c);
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->body == "last");
  BOOST_TEST(answer->header("Connection") == "close");
  BOOST_TEST(c.closed_by_server());
}

// The warning is for a handler that runs: a server whose handlers have
// returned shuts down without a word, even with no time to give.
BOOST_AUTO_TEST_CASE(shutdown_says_nothing_when_no_handler_runs) {
  ServerOptions o;
  o.handler = [](const trap::http::Request&) { return Response::text(200, "soon"); };
  Server server(o);
  Client c("127.0.0.1", server.port());
  c.send(get("/"));
  BOOST_REQUIRE(read_response(c));
  std::promise<void> never;
  decltype(server.shutdown()) report;
  const std::string written =
      test_support::clog_of([&] { report = server.shutdown(0ms); }, "deadline", never);
  BOOST_TEST(written.empty());
  // The connection is idle (closed, not reported) or still finishing its
  // answer (reported open), as the server's thread went: both are right.
  BOOST_TEST(report.open.size() <= 1u, report.describe());
}

BOOST_AUTO_TEST_CASE(shutdown_is_clean_when_clients_close) {
  Server server(answering());
  server.enqueue(Response::text(200, "left"));
  {
    Client c("127.0.0.1", server.port());
    c.send(get("/", "Connection: close\r\n"));
    BOOST_REQUIRE(read_response(c));
    BOOST_TEST(c.closed_by_server());
  }
  auto report = server.shutdown(2s);
  BOOST_TEST(report.open.empty(), report.describe());
  BOOST_TEST(report.untaken_responses == 0u);
  BOOST_TEST(report.clean(), report.describe());
}

BOOST_AUTO_TEST_CASE(untaken_responses_are_reported) {
  Server server;
  server.enqueue(Response::text(200, "a"));
  server.enqueue(Response::text(200, "b"));
  auto report = server.shutdown(0ms);
  BOOST_TEST(report.untaken_responses == 2u);
  BOOST_TEST(!report.clean());
}

BOOST_AUTO_TEST_CASE(close_client_connections_closes_them_all) {
  Server server(answering());
  Client a("127.0.0.1", server.port()), b("127.0.0.1", server.port());
  a.send(get("/a"));
  b.send(get("/b"));
  BOOST_REQUIRE(read_response(a));
  BOOST_REQUIRE(read_response(b));
  BOOST_TEST(server.close_client_connections() == 2u);
  BOOST_TEST(a.closed_by_server());
  BOOST_TEST(b.closed_by_server());
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(start_shutdown_cycles_leave_no_descriptor_or_thread) {
  const int fds = test_support::count_fds();
  const int tasks = test_support::count_threads();
  for (int i = 0; i < 200; ++i) {
    Server server(answering());
    Client c("127.0.0.1", server.port());
    c.send(get("/", "Connection: close\r\n"));
    BOOST_REQUIRE(read_response(c));
    if (i % 2 == 1) continue;  // the destructor shuts it down, closing c's connection
    BOOST_REQUIRE(c.closed_by_server());
    c.close();
    auto report = server.shutdown();
    BOOST_TEST_REQUIRE(report.clean(), report.describe());
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(tasks) == tasks);
}

// shutdown() gives back every descriptor (its reactor's epoll, eventfd and
// timerfd too) and the thread as it returns, not when the server is
// destroyed: a server kept for its log (the http_server layer's, which
// trap::last() keeps) holds nothing.
BOOST_AUTO_TEST_CASE(shutdown_returns_every_descriptor_before_the_destructor) {
  const int fds = test_support::count_fds();
  const int tasks = test_support::count_threads();
  Server server(answering());
  Client c("127.0.0.1", server.port());
  c.send(get("/kept", "Connection: close\r\n"));
  BOOST_REQUIRE(read_response(c));
  BOOST_REQUIRE(c.closed_by_server());
  c.close();
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(tasks) == tasks);
  // What still answers after shutdown() does without them.
  BOOST_TEST(server.take_request(0ms)->path == "/kept");
  BOOST_TEST(server.close_client_connections() == 0u);
  BOOST_TEST(server.shutdown().describe() == report.describe());
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
}

BOOST_AUTO_TEST_CASE(a_constructor_that_throws_leaves_nothing_behind) {
  const int fds = test_support::count_fds();
  const int tasks = test_support::count_threads();
  ServerOptions refused;
  refused.address = "192.0.2.1";  // TEST-NET-1: not loopback
  refused.tls = true;
  for (int i = 0; i < 20; ++i) BOOST_CHECK_THROW(Server{refused}, trap::UsageError);
  ServerOptions not_an_address;
  not_an_address.address = "localhost:80";
  not_an_address.tls = true;
  for (int i = 0; i < 20; ++i) BOOST_CHECK_THROW(Server{not_an_address}, trap::UsageError);
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(tasks) == tasks);
}

BOOST_AUTO_TEST_CASE(a_handler_may_use_and_shut_down_its_server) {
  Server* self = nullptr;
  std::size_t seen = 0;
  ServerOptions o;
  o.handler = [&](const trap::http::Request& r) {
    seen = self->request_count();  // no deadlock: the handler runs unlocked
    if (r.path == "/stop") self->shutdown();
    return Response::text(200, "ok");
  };
  Server server(o);
  self = &server;
  Client c("127.0.0.1", server.port());
  c.send(get("/first"));
  BOOST_REQUIRE(read_response(c));
  BOOST_TEST(seen == 1u);
  c.send(get("/stop"));
  auto answer = read_response(c);  // the request it answers gets its answer
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->header("Connection") == "close");
  BOOST_TEST(c.closed_by_server());
  auto report = server.shutdown();  // the handler's report, the thread joined
  BOOST_TEST(report.open.empty());  // that connection was not left open
  BOOST_TEST(seen == 2u);
  auto first = server.take_request(0ms);  // the log stays
  BOOST_REQUIRE(first);
  BOOST_TEST(first->path == "/first");
}
