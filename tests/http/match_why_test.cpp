// SPDX-License-Identifier: BSL-1.0
// Why a request matched no expectation: the request, the closest
// expectation (fewest failed criteria, a method or path counting for more,
// the earliest of equals) and each criterion that failed, bodies cut.
#define BOOST_TEST_MODULE http_match_why
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/http.hpp>

#include "http/matcher.hpp"

using trap::http::Compare;
using trap::http::Expectation;
using trap::http::Request;
using trap::http::detail::Matcher;

namespace {

Request request(std::string method, std::string target, trap::http::Headers headers = {},
                std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::string why(std::vector<Expectation> expectations, const Request& r) {
  Matcher m;
  for (auto& e : expectations) m.add(std::move(e));
  auto outcome = m.match(r);
  BOOST_TEST(!outcome.index.has_value());
  return outcome.why;
}

std::string why(Expectation e, const Request& r) {
  return why(std::vector<Expectation>{std::move(e)}, r);
}

// The part of `why` after "closest: <describe>: ".
std::string differences(const std::string& why) {
  auto closest = why.find("; closest: ");
  BOOST_TEST_REQUIRE(closest != std::string::npos);
  auto colon = why.find(": ", closest + 11);
  BOOST_TEST_REQUIRE(colon != std::string::npos);
  return why.substr(colon + 2);
}

}  // namespace

BOOST_AUTO_TEST_CASE(with_no_expectations_it_says_so) {
  BOOST_TEST(why(std::vector<Expectation>{}, request("GET", "/x?a=1")) ==
             "no expectation matched GET /x?a=1: there are no expectations");
}

BOOST_AUTO_TEST_CASE(a_header_that_differs) {
  BOOST_TEST(why(Expectation::get("/x").with_header("Accept", "application/json"),
                 request("GET", "/x", {{"Accept", "text/html"}})) ==
             "no expectation matched GET /x; closest: GET /x header Accept == application/json, "
             "times 1: header Accept: expected \"application/json\", got \"text/html\"");
}

BOOST_AUTO_TEST_CASE(a_header_missing_present_or_not_matching) {
  BOOST_TEST(differences(why(Expectation().with_header("Accept", "a"), request("GET", "/"))) ==
             "header Accept: missing");
  BOOST_TEST(differences(why(Expectation().with_header_present("Cookie", false),
                             request("GET", "/", {{"cookie", "a=1"}}))) ==
             "header Cookie: expected absent, got \"a=1\"");
  BOOST_TEST(differences(why(Expectation().with_header_matching("Accept", ".*json"),
                             request("GET", "/", {{"Accept", "text/html"}}))) ==
             "header Accept: expected to match /.*json/, got \"text/html\"");
}

BOOST_AUTO_TEST_CASE(method_path_and_query) {
  BOOST_TEST(differences(why(Expectation::get("/a"), request("POST", "/b"))) ==
             "method: expected \"GET\", got \"POST\"; path: expected \"/a\", got \"/b\"");
  BOOST_TEST(differences(why(Expectation().path_matching("/a/\\d+"), request("GET", "/a/b"))) ==
             "path: expected to match /\\/a\\/\\d+/, got \"/a/b\"");
  BOOST_TEST(differences(why(Expectation().with_query("id", "1"), request("GET", "/"))) ==
             "query id: missing");
  BOOST_TEST(differences(why(Expectation().with_query("id", "1"), request("GET", "/?id=2"))) ==
             "query id: expected \"1\", got \"2\"");
}

BOOST_AUTO_TEST_CASE(bodies) {
  BOOST_TEST(differences(why(Expectation().with_body("abc"), request("POST", "/", {}, "ab\n"))) ==
             "body: expected \"abc\", got \"ab\\n\"");
  BOOST_TEST(differences(why(Expectation().with_json_body(R"({"a": 1, "b": [true]})"),
                             request("POST", "/", {}, R"({"b": [false], "a": 1})"))) ==
             R"(body: not JSON equal (expected {"a":1,"b":[true]}, got {"a":1,"b":[false]}))");
  BOOST_TEST(
      differences(why(Expectation().with_json_body("{}"), request("POST", "/", {}, "{\"a\":}"))) ==
      "body: not valid JSON (at offset 5: expected a value), got \"{\\\"a\\\":}\"");
  BOOST_TEST(differences(why(Expectation().where({"body", "", Compare::present, ""}),
                             request("POST", "/"))) == "body: empty");
  BOOST_TEST(differences(why(Expectation().where({"body", "", Compare::absent, ""}),
                             request("POST", "/", {}, "x"))) == "body: expected absent, got \"x\"");
}

BOOST_AUTO_TEST_CASE(bodies_are_cut_at_200_bytes) {
  std::string text = why(Expectation().with_body(std::string(1000, 'a')),
                         request("POST", "/", {}, std::string(100'000, 'b')));
  BOOST_TEST(text.find("... (1000 bytes)") != std::string::npos);
  BOOST_TEST(text.find("... (100000 bytes)") != std::string::npos);
  BOOST_TEST(text.find(std::string(200, 'b')) != std::string::npos);
  BOOST_TEST(text.find(std::string(201, 'b')) == std::string::npos);
  BOOST_TEST(text.size() < 800u);
  std::string json = "[" + std::string(1000, '1') + "]";
  text = why(Expectation().with_json_body("[2]"), request("POST", "/", {}, json));
  BOOST_TEST(text.find("... (1002 bytes)") != std::string::npos);
  BOOST_TEST(text.size() < 500u);
}

BOOST_AUTO_TEST_CASE(a_count_used_up) {
  Matcher m;
  m.add(Expectation::get("/once"));
  BOOST_TEST(m.match(request("GET", "/once")).index.has_value());
  BOOST_TEST(m.match(request("GET", "/once")).why ==
             "no expectation matched GET /once; closest: GET /once, times 1: "
             "already matched 1 time of 1");
  m.add(Expectation::get("/twice").times(2));
  m.match(request("GET", "/twice"));
  m.match(request("GET", "/twice"));
  BOOST_TEST(differences(m.match(request("GET", "/twice")).why) == "already matched 2 times of 2");
}

BOOST_AUTO_TEST_CASE(every_failed_criterion_is_named) {
  auto e = Expectation::post("/users")
               .with_header("Content-Type", "application/json")
               .with_json_body(R"({"name": "ada"})");
  BOOST_TEST(differences(why(e, request("POST", "/users", {{"Content-Type", "text/plain"}},
                                        R"({"name": "bob"})"))) ==
             R"(header Content-Type: expected "application/json", got "text/plain"; )"
             R"(body: not JSON equal (expected {"name":"ada"}, got {"name":"bob"}))");
}

BOOST_AUTO_TEST_CASE(closest_counts_method_and_path_for_more) {
  std::vector<Expectation> es;
  es.push_back(Expectation::get("/b"));
  es.push_back(
      Expectation::get("/a").with_header("X", "1").with_header("Y", "2").with_query("z", "3"));
  // Three other criteria fail on the second, only the path on the first:
  // the one with the request's path is still the closer.
  BOOST_TEST(why(std::move(es), request("GET", "/a")).find("closest: GET /a header X") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(closest_is_the_fewest_failed_and_the_earliest_of_equals) {
  std::vector<Expectation> es;
  es.push_back(Expectation::get("/a").with_header("X", "1").with_header("Y", "1"));
  es.push_back(Expectation::get("/a").with_header("Z", "1"));
  es.push_back(Expectation::get("/a").with_header("W", "1"));
  BOOST_TEST(differences(why(std::move(es), request("GET", "/a"))) == "header Z: missing");
}
