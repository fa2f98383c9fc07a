// SPDX-License-Identifier: BSL-1.0
// Expectations through the real server, with a raw socket client (exact
// bytes) and with curl: what they match and answer, their counts, their
// order, the answering order expectation -> queue -> handler, what is left
// unmet at shutdown, and the http_server layer failing on an unmet one.
// Every wait is bounded.
#define BOOST_TEST_MODULE http_server_expect
#include <algorithm>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/http.hpp>
#include <trap/process.hpp>

#include "http/raw_http.hpp"

using namespace std::chrono_literals;
using test_http::get;
using test_http::RawResponse;
using test_http::read_response;
using test_net::Client;
using trap::http::Expectation;
using trap::http::Request;
using trap::http::Response;
using trap::http::Server;
using trap::http::ServerOptions;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One request on a connection of its own, its response read back.
RawResponse round_trip(const Server& server, const std::string& request) {
  Client c("127.0.0.1", server.port());
  c.send(request);
  auto r = read_response(c);
  BOOST_REQUIRE(r);
  return *r;
}

std::string post(const std::string& target, const std::string& type, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: test\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct CurlRun {
  int exit = -1;
  std::string out, err;
};

// curl, silent but for its errors, with these arguments.
CurlRun curl(std::vector<std::string> args) {
  args.insert(args.begin(), {TRAP_TEST_CURL, "-sS", "--max-time", "20"});
  trap::RunOptions options;
  options.timeout = 30s;
  auto t = trap::run(args, options);
  return {t.exit_code().value_or(-1), t.out(), t.err()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(path_query_header_and_json_body_are_matched_and_answered) {
  Server server;
  server.expect(Expectation::get("/users")
                    .with_query("id", "7 8")
                    .with_header("Accept", "application/json")
                    .respond(Response::json(200, R"({"id": 7})")));
  server.expect(Expectation::post("/users")
                    .with_header("Content-Type", "application/json")
                    .with_json_body(R"({"name": "ada", "tags": [1, 2]})")
                    .respond(Response::json(201, R"({"id": 8})")));
  // A header that differs is not matched: 500, and why names it.
  auto wrong = round_trip(server, get("/users?id=7%208", "Accept: text/html\r\n"));
  BOOST_TEST(wrong.status == 500);
  BOOST_TEST(contains(wrong.body, R"(header Accept: expected "application/json", got "text/html")"),
             wrong.body);
  auto got = round_trip(server, get("/users?id=7%208", "Accept: application/json\r\n"));
  BOOST_TEST(got.status == 200);
  BOOST_TEST(got.body == R"({"id": 7})");
  BOOST_TEST(got.header("Content-Type") == "application/json");
  // Key order and white space do not matter to a JSON body.
  auto made = round_trip(
      server, post("/users", "application/json", "{ \"tags\":[1,2.0],\n\"name\":\"ada\" }"));
  BOOST_TEST(made.status == 201);
  BOOST_TEST(made.body == R"({"id": 8})");
  BOOST_TEST(server.matched_count(0) == 1u);
  BOOST_TEST(server.matched_count(1) == 1u);
  BOOST_TEST(server.unmet().empty());
  auto report = server.shutdown();
  BOOST_REQUIRE(report.unmatched.size() == 1u);
  BOOST_TEST(report.unmatched[0].request.header("Accept") == "text/html");
  BOOST_TEST(report.unmet.empty());
}

BOOST_AUTO_TEST_CASE(an_absolute_form_target_is_matched_by_its_path) {
  // A client that takes the server for a proxy (curl -x) sends the whole
  // URL: RFC 9112 has a server accept it. The path is the URL's.
  Server server;
  server.expect(Expectation::get("/users").with_query("id", "1").respond(Response::text(200, "u")));
  server.expect(Expectation::get("/").respond(Response::text(200, "root")));
  auto got = round_trip(server, get("http://example.test/users?id=1"));
  BOOST_TEST(got.status == 200);
  BOOST_TEST(got.body == "u");
  BOOST_TEST(round_trip(server, get("http://example.test:8080")).body == "root");
  auto log = server.requests();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[0].target == "http://example.test/users?id=1");  // as sent
  BOOST_TEST(log[0].path == "/users");
  BOOST_TEST(log[0].query == "id=1");
  BOOST_TEST(log[1].path == "/");
}

BOOST_AUTO_TEST_CASE(a_json_body_that_differs_is_not_matched) {
  Server server;
  server.expect(Expectation::post("/users").with_json_body(R"({"name": "ada"})"));
  auto r = round_trip(server, post("/users", "application/json", R"({"name": "bob"})"));
  BOOST_TEST(r.status == 500);
  BOOST_TEST(contains(r.body, "no expectation matched POST /users; closest: POST /users"), r.body);
  BOOST_TEST(server.matched_count(0) == 0u);
  BOOST_REQUIRE(server.unmet().size() == 1u);
  BOOST_TEST(contains(server.unmet()[0], ": seen 0"), server.unmet()[0]);
}

BOOST_AUTO_TEST_CASE(times_two_then_the_third_gets_a_500_saying_so) {
  Server server;
  server.expect(Expectation::get("/twice").times(2).respond(Response::text(200, "ok")));
  Client c("127.0.0.1", server.port());
  for (int i = 0; i < 2; ++i) {
    c.send(get("/twice"));
    auto r = read_response(c);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 200);
    BOOST_TEST(r->body == "ok");
  }
  BOOST_TEST(server.unmet().empty());
  c.send(get("/twice"));
  auto third = read_response(c);
  BOOST_REQUIRE(third);
  BOOST_TEST(third->status == 500);
  const std::string why =
      "no expectation matched GET /twice; closest: GET /twice, times 2: "
      "already matched 2 times of 2";
  BOOST_TEST(third->body == why);
  BOOST_TEST(server.matched_count(0) == 2u);
  auto unmatched = server.unmatched();
  BOOST_REQUIRE(unmatched.size() == 1u);
  BOOST_TEST(unmatched[0].why == why);
  BOOST_TEST(unmatched[0].request.sequence == 3u);
}

BOOST_AUTO_TEST_CASE(ordered_expectations_out_of_order_get_a_500_and_in_order_succeed) {
  Server server;
  server.expect(Expectation::get("/login").ordered().respond(Response::text(200, "in")));
  server.expect(Expectation::get("/data").ordered().respond(Response::text(200, "data")));
  auto early = round_trip(server, get("/data"));
  BOOST_TEST(early.status == 500);
  BOOST_TEST(early.body ==
                 "no expectation matched GET /data; closest: GET /data, times 1, ordered: "
                 "waits for GET /login, times 1, ordered",
             early.body);
  BOOST_TEST(server.matched_count(1) == 0u);
  Client c("127.0.0.1", server.port());
  c.send(get("/login") + get("/data"));  // pipelined, in order
  auto login = read_response(c), data = read_response(c);
  BOOST_REQUIRE((login && data));
  BOOST_TEST(login->body == "in");
  BOOST_TEST(data->body == "data");
  BOOST_TEST(server.matched_count(0) == 1u);
  BOOST_TEST(server.matched_count(1) == 1u);
  BOOST_TEST(server.unmet().empty());
  BOOST_TEST(server.unmatched().size() == 1u);  // the early one only
}

BOOST_AUTO_TEST_CASE(any_is_met_with_none_and_answers_every_one) {
  Server server;
  server.expect(Expectation::get("/ping").any().respond(Response::text(200, "pong")));
  BOOST_TEST(server.unmet().empty());
  Client c("127.0.0.1", server.port());
  for (int i = 0; i < 3; ++i) {
    c.send(get("/ping"));
    auto r = read_response(c);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->body == "pong");
  }
  BOOST_TEST(server.matched_count(0) == 3u);
  c.close();
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(expectation_then_queue_then_handler) {
  ServerOptions o;
  o.handler = [](const Request& r) { return Response::text(200, "handler " + r.path); };
  Server server(o);
  server.enqueue(Response::text(200, "queued"));
  server.expect(Expectation::get("/expected").respond(Response::text(200, "expected")));
  Client c("127.0.0.1", server.port());
  c.send(get("/expected") + get("/other") + get("/third") + get("/expected"));
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    auto r = read_response(c);
    BOOST_REQUIRE(r);
    bodies.push_back(r->body);
  }
  // The expectation wins over the queued response it was given before;
  // once it is used up, the queue, then the handler answer.
  const std::vector<std::string> want{"expected", "queued", "handler /third", "handler /expected"};
  BOOST_TEST(bodies == want, boost::test_tools::per_element());
  c.close();
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
}

BOOST_AUTO_TEST_CASE(unmet_expectations_are_listed_by_unmet_and_by_shutdown) {
  Server server;
  server.expect(Expectation::get("/never"));
  server.expect(Expectation::get("/twice").times(2));
  BOOST_TEST(round_trip(server, get("/twice")).status == 200);
  const std::vector<std::string> unmet{"GET /never, times 1: seen 0",
                                       "GET /twice, times 2: seen 1"};
  BOOST_TEST(server.unmet() == unmet, boost::test_tools::per_element());
  BOOST_TEST(server.matched_count(0) == 0u);
  BOOST_TEST(server.matched_count(1) == 1u);
  auto report = server.shutdown();
  BOOST_TEST(!report.clean());
  BOOST_TEST(report.unmet == unmet, boost::test_tools::per_element());
  BOOST_TEST(report.describe() ==
             "expectation not met: GET /never, times 1: seen 0\n"
             "expectation not met: GET /twice, times 2: seen 1");
}

BOOST_AUTO_TEST_CASE(respond_with_sees_the_request) {
  Server server;
  server.expect(Expectation::post("/echo").any().respond_with([](const Request& r) {
    return Response::text(200, r.method + " " + r.query_param("name").value_or("?") + " " +
                                   r.header("X-Trace").value_or("?") + " " + r.body);
  }));
  auto r = round_trip(server,
                      "POST /echo?name=ada%20l HTTP/1.1\r\nHost: t\r\nX-Trace: 42\r\n"
                      "Content-Length: 4\r\n\r\nbody");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "POST ada l 42 body");
}

BOOST_AUTO_TEST_CASE(curl_posts_json_and_is_answered_by_the_expectation) {
  Server server;
  server.expect(Expectation::post("/api/items")
                    .with_header("Content-Type", "application/json")
                    .with_query("dry", "no")
                    .with_json_body(R"({"qty": 2, "sku": "A-1"})")
                    .times(2)
                    .respond(Response::json(201, R"({"ok": true})")));
  const std::vector<std::string> args{"-H", "Content-Type: application/json", "--data-raw",
                                      R"({"sku":"A-1","qty":2})",
                                      server.url() + "/api/items?dry=no"};
  for (int i = 0; i < 2; ++i) {
    auto r = curl(args);
    BOOST_TEST(r.exit == 0, r.err);
    BOOST_TEST(r.out == R"({"ok": true})");
  }
  auto third = curl({"-w", "%{http_code}", "-H", "Content-Type: application/json", "--data-raw",
                     R"({"sku":"A-1","qty":2})", server.url() + "/api/items?dry=no"});
  BOOST_TEST(third.exit == 0, third.err);
  BOOST_TEST(contains(third.out, "already matched 2 times of 2"), third.out);
  BOOST_TEST(third.out.substr(third.out.size() - 3) == "500");
  BOOST_TEST(server.matched_count(0) == 2u);
  auto report = server.shutdown();
  BOOST_TEST(report.unmet.empty());
  BOOST_TEST(report.unmatched.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_layer_fails_the_trap_on_an_unmet_expectation) {
  try {
    trap::trap(":http_server",
               [](trap::Trap& t) { trap::http::server(t).expect(Expectation::get("/never")); });
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    // Perl's wording wraps it: "Rethrowing teardown exception: ...".
    const std::string what = e.what();
    const std::string want =
        "http_server: unclean teardown: expectation not met: GET /never, times 1: seen 0";
    BOOST_TEST(what.size() >= want.size());
    BOOST_TEST(what.substr(what.size() - std::min(what.size(), want.size())) == want, what);
  }
}

BOOST_AUTO_TEST_CASE(a_lenient_layer_keeps_the_unmet_expectation_in_teardown) {
  auto r = trap::trap(":http_server(lenient)", [](trap::Trap& t) {
    auto& server = trap::http::server(t);
    server.expect(Expectation::get("/never"));
    server.expect(Expectation::get("/met"));
    trap::run({"sh", "-c", TRAP_TEST_CURL " -sS \"$TRAP_HTTP_URL/met\""});
  });
  BOOST_TEST(r.leaveby() == "return", r.die());
  r.test("teardown_is", "unclean teardown: expectation not met: GET /never, times 1: seen 0");
  r.test("unmatched_is_deeply", trap::Array{});
  r.test("requests_ok", 0);
}
