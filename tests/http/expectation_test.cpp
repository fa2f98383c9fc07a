// SPDX-License-Identifier: BSL-1.0
// trap::http::Expectation and the matcher behind Server::expect(): the
// builders and their mistakes (told when built), describe(), answer(),
// which expectation answers a request (first in order, counts, ordered),
// why none did, and what is left unmet.
#define BOOST_TEST_MODULE http_expectation
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/errors.hpp>
#include <trap/http.hpp>

#include "http/matcher.hpp"

using trap::UsageError;
using trap::http::Compare;
using trap::http::Criterion;
using trap::http::Expectation;
using trap::http::Request;
using trap::http::Response;
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

// Whether `e`, alone in a matcher, answers `r`.
bool answers(Expectation e, const Request& r) {
  Matcher m;
  m.add(std::move(e));
  return m.match(r).index.has_value();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A UsageError whose message holds every one of `parts`.
auto usage_error(std::vector<std::string> parts) {
  return [parts](const UsageError& e) {
    for (const auto& p : parts)
      if (!has(e.what(), p)) {
        BOOST_TEST_MESSAGE("message: " << e.what());
        return false;
      }
    return true;
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(building)

BOOST_AUTO_TEST_CASE(describe_lists_method_path_criteria_count) {
  auto e = Expectation::post("/users")
               .with_header("Content-Type", "application/json")
               .with_json_body(R"({"name": "ada", "age": 36})")
               .times(1);
  BOOST_TEST(
      e.describe() ==
      R"(POST /users header Content-Type == application/json, body json {"age":36,"name":"ada"}, times 1)");
  BOOST_TEST(Expectation::get("/users").times(2).describe() == "GET /users, times 2");
  BOOST_TEST(Expectation("/x").any().ordered().describe() == "* /x, any times, ordered");
  BOOST_TEST(Expectation()
                 .path_matching(R"(/u/\d+)")
                 .with_query("id", "1")
                 .with_query_matching("q", "a.*")
                 .with_header_present("Accept")
                 .with_header_present("Cookie", false)
                 .with_body("a \"b\"\n")
                 .with_body_matching("x+")
                 .describe() ==
             R"(* * path ~ /\/u\/\d+/, query id == 1, query q ~ /a.*/, header Accept present, )"
             R"(header Cookie absent, body == "a \"b\"\n", body ~ /x+/, times 1)");
}

BOOST_AUTO_TEST_CASE(method_and_path_replace_their_predecessors) {
  auto e = Expectation::get("/a").method("PUT").path_matching("/a/.*");
  BOOST_TEST(e.criteria().size() == 2u);
  BOOST_TEST((e.criteria()[0] == Criterion{"method", "", Compare::exact, "PUT"}));
  BOOST_TEST((e.criteria()[1] == Criterion{"path", "", Compare::regex, "/a/.*"}));
  BOOST_TEST(Expectation().criteria().empty());
  BOOST_TEST(Expectation::del("/d").describe() == "DELETE /d, times 1");
  BOOST_TEST(Expectation::patch("/p").describe() == "PATCH /p, times 1");
  BOOST_TEST(Expectation::head("/h").describe() == "HEAD /h, times 1");
  BOOST_TEST(Expectation::put("/u").describe() == "PUT /u, times 1");
}

BOOST_AUTO_TEST_CASE(counts_and_order_are_recorded) {
  BOOST_TEST((Expectation().expected_times() == std::optional<std::size_t>(1)));
  BOOST_TEST((Expectation().times(3).expected_times() == std::optional<std::size_t>(3)));
  BOOST_TEST(!Expectation().any().expected_times().has_value());
  BOOST_TEST((Expectation().any().once().expected_times() == std::optional<std::size_t>(1)));
  BOOST_TEST(Expectation().ordered().is_ordered());
  BOOST_TEST(!Expectation().ordered().ordered(false).is_ordered());
}

BOOST_AUTO_TEST_CASE(a_bad_regex_is_refused_when_built_naming_it) {
  BOOST_CHECK_EXCEPTION(Expectation().with_header_matching("Accept", "(json"), UsageError,
                        usage_error({"with_header_matching", "\"(json\"", "header Accept"}));
  BOOST_CHECK_EXCEPTION(Expectation().path_matching("[a-"), UsageError,
                        usage_error({"path_matching", "\"[a-\"", "path"}));
  BOOST_CHECK_EXCEPTION(Expectation().with_body_matching("*x"), UsageError,
                        usage_error({"with_body_matching", "\"*x\""}));
  BOOST_CHECK_EXCEPTION(Expectation().with_query_matching("id", "a{2,1}"), UsageError,
                        usage_error({"with_query_matching", "query id"}));
  BOOST_CHECK_EXCEPTION(Expectation().where({"body", "", Compare::regex, "(?<"}), UsageError,
                        usage_error({"where", "bad regular expression"}));
}

BOOST_AUTO_TEST_CASE(invalid_json_is_refused_naming_the_error_and_offset) {
  BOOST_CHECK_EXCEPTION(Expectation().with_json_body(R"({"a": 1,})"), UsageError,
                        usage_error({"with_json_body", "offset 8", "expected a string key"}));
  BOOST_CHECK_EXCEPTION(Expectation().with_json_body(""), UsageError,
                        usage_error({"offset 0", "expected a value"}));
  BOOST_CHECK_EXCEPTION(Expectation().where({"header", "X-Data", Compare::json, "[1"}), UsageError,
                        usage_error({"where", "header X-Data", "offset 2"}));
}

BOOST_AUTO_TEST_CASE(malformed_criteria_are_refused) {
  BOOST_CHECK_EXCEPTION(Expectation().where({"cookie", "a", Compare::exact, "b"}), UsageError,
                        usage_error({"unknown criterion part \"cookie\""}));
  BOOST_CHECK_EXCEPTION(Expectation().where({"header", "", Compare::present, ""}), UsageError,
                        usage_error({"a header criterion needs a name"}));
  BOOST_CHECK_EXCEPTION(Expectation().with_query("", "1"), UsageError,
                        usage_error({"with_query", "a query criterion needs a name"}));
  BOOST_CHECK_EXCEPTION(Expectation().where({"path", "", Compare::absent, ""}), UsageError,
                        usage_error({"a path is always present"}));
  BOOST_CHECK_EXCEPTION(Expectation().method(""), UsageError, usage_error({"method"}));
  BOOST_CHECK_EXCEPTION(Expectation().respond_with(nullptr), UsageError,
                        usage_error({"respond_with"}));
}

BOOST_AUTO_TEST_CASE(answer_is_the_response_or_what_the_handler_returns) {
  auto r = request("GET", "/a?x=1");
  BOOST_TEST((Expectation().answer(r) == Response{}));
  auto canned = Response::text(404, "gone");
  BOOST_TEST((Expectation().respond(canned).answer(r) == canned));
  auto e = Expectation().respond_with(
      [](const Request& q) { return Response::text(200, q.path + " " + *q.query_param("x")); });
  BOOST_TEST(e.answer(r).body == "/a 1");
  BOOST_TEST((e.respond(canned).answer(r) == canned));  // respond() replaces the handler
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(matching)

BOOST_AUTO_TEST_CASE(method_and_path_exact) {
  BOOST_TEST(answers(Expectation::get("/users"), request("GET", "/users?id=1")));
  BOOST_TEST(!answers(Expectation::get("/users"), request("get", "/users")));
  BOOST_TEST(!answers(Expectation::get("/users"), request("GET", "/users/")));
  BOOST_TEST(answers(Expectation("/users"), request("DELETE", "/users")));
  BOOST_TEST(answers(Expectation(), request("PATCH", "/anything")));
}

BOOST_AUTO_TEST_CASE(regexes_match_the_whole_part) {
  auto path = Expectation().path_matching(R"(/users/\d+)");
  BOOST_TEST(answers(path, request("GET", "/users/12")));
  BOOST_TEST(!answers(path, request("GET", "/users/12/x")));
  BOOST_TEST(!answers(path, request("GET", "/api/users/12")));
  auto header = Expectation().with_header_matching("Accept", "json");
  BOOST_TEST(!answers(header, request("GET", "/", {{"Accept", "application/json"}})));
  BOOST_TEST(answers(Expectation().with_header_matching("Accept", ".*json.*"),
                     request("GET", "/", {{"Accept", "application/json"}})));
  BOOST_TEST(answers(Expectation().with_body_matching(R"((?i)hello\s+\w+)"),
                     request("POST", "/", {}, "HELLO  world")));
  BOOST_TEST(
      !answers(Expectation().with_body_matching("hello"), request("POST", "/", {}, "hello world")));
}

BOOST_AUTO_TEST_CASE(queries_are_percent_decoded) {
  auto e = Expectation().with_query("name", "a b&c");
  BOOST_TEST(answers(e, request("GET", "/?x=1&name=a+b%26c")));
  BOOST_TEST(!answers(e, request("GET", "/?name=a")));
  BOOST_TEST(answers(Expectation().with_query_matching("id", R"(\d+)"), request("GET", "/?id=42")));
  BOOST_TEST(
      !answers(Expectation().with_query_matching("id", R"(\d+)"), request("GET", "/?id=4x")));
  BOOST_TEST(answers(Expectation().where({"query", "flag", Compare::present, ""}),
                     request("GET", "/?flag")));
  BOOST_TEST(answers(Expectation().where({"query", "flag", Compare::absent, ""}),
                     request("GET", "/?flags=1")));
}

BOOST_AUTO_TEST_CASE(header_names_ignore_case_values_do_not) {
  auto e = Expectation().with_header("content-type", "text/plain");
  BOOST_TEST(answers(e, request("GET", "/", {{"Content-Type", "text/plain"}})));
  BOOST_TEST(!answers(e, request("GET", "/", {{"Content-Type", "Text/Plain"}})));
  BOOST_TEST(answers(Expectation().with_header_present("X-Trace"),
                     request("GET", "/", {{"x-trace", ""}})));
  BOOST_TEST(!answers(Expectation().with_header_present("X-Trace"), request("GET", "/")));
  BOOST_TEST(answers(Expectation().with_header_present("X-Trace", false), request("GET", "/")));
}

BOOST_AUTO_TEST_CASE(bodies_exact_and_json) {
  BOOST_TEST(answers(Expectation().with_body("a\r\nb"), request("POST", "/", {}, "a\r\nb")));
  BOOST_TEST(!answers(Expectation().with_body("a"), request("POST", "/", {}, "a ")));
  auto e = Expectation().with_json_body(R"({"name": "ada", "tags": [1, 2.0]})");
  BOOST_TEST(answers(e, request("POST", "/", {}, R"({"tags":[1e0,2],"name":"ada"})")));
  BOOST_TEST(!answers(e, request("POST", "/", {}, R"({"tags":[2,1],"name":"ada"})")));
  BOOST_TEST(!answers(e, request("POST", "/", {}, "not json")));
  BOOST_TEST(answers(Expectation().where({"body", "", Compare::absent, ""}), request("GET", "/")));
  BOOST_TEST(
      !answers(Expectation().where({"body", "", Compare::present, ""}), request("GET", "/")));
}

BOOST_AUTO_TEST_CASE(the_first_in_order_added_with_count_left_answers) {
  Matcher m;
  m.add(Expectation::get("/a"));
  m.add(Expectation::get("/a").times(2));
  m.add(Expectation().any());
  std::vector<std::size_t> got;
  for (int i = 0; i < 5; ++i) got.push_back(*m.match(request("GET", "/a")).index);
  BOOST_TEST(got == (std::vector<std::size_t>{0, 1, 1, 2, 2}), boost::test_tools::per_element());
  BOOST_TEST(m.matched_count(0) == 1u);
  BOOST_TEST(m.matched_count(1) == 2u);
  BOOST_TEST(m.matched_count(2) == 2u);
  BOOST_TEST((m.at(1).expected_times() == std::optional<std::size_t>(2)));
}

BOOST_AUTO_TEST_CASE(times_zero_never_answers) {
  Matcher m;
  m.add(Expectation::get("/never").times(0));
  auto outcome = m.match(request("GET", "/never"));
  BOOST_TEST(!outcome.index.has_value());
  BOOST_TEST(has(outcome.why, "already matched 0 times of 0"));
  BOOST_TEST(m.unmet().empty());
}

BOOST_AUTO_TEST_CASE(an_ordered_one_waits_for_the_ordered_ones_before_it) {
  Matcher m;
  m.add(Expectation::get("/first").ordered());
  m.add(Expectation::get("/any").any());  // not ordered: never waits, never blocks
  m.add(Expectation::get("/second").times(2).ordered());
  auto early = m.match(request("GET", "/second"));
  BOOST_TEST(!early.index.has_value());
  BOOST_TEST(early.why ==
             "no expectation matched GET /second; closest: GET /second, times 2, ordered: "
             "waits for GET /first, times 1, ordered");
  BOOST_TEST((m.match(request("GET", "/any")).index == std::optional<std::size_t>(1)));
  BOOST_TEST((m.match(request("GET", "/first")).index == std::optional<std::size_t>(0)));
  BOOST_TEST((m.match(request("GET", "/second")).index == std::optional<std::size_t>(2)));
  BOOST_TEST((m.match(request("GET", "/second")).index == std::optional<std::size_t>(2)));
}

BOOST_AUTO_TEST_CASE(an_ordered_any_never_holds_the_next_back) {
  Matcher m;
  m.add(Expectation::get("/poll").any().ordered());
  m.add(Expectation::get("/done").ordered());
  BOOST_TEST((m.match(request("GET", "/done")).index == std::optional<std::size_t>(1)));
}

BOOST_AUTO_TEST_CASE(unmet_names_each_expectation_short_of_its_count) {
  Matcher m;
  m.add(Expectation::get("/users").times(2));
  m.add(Expectation::post("/users"));
  m.add(Expectation::get("/health").any());
  m.match(request("GET", "/users"));
  BOOST_TEST(m.unmet() == (std::vector<std::string>{"GET /users, times 2: seen 1",
                                                    "POST /users, times 1: seen 0"}),
             boost::test_tools::per_element());
  m.match(request("GET", "/users"));
  m.match(request("POST", "/users"));
  BOOST_TEST(m.unmet().empty());
  BOOST_TEST(Matcher().unmet().empty());
}

BOOST_AUTO_TEST_CASE(a_copied_matcher_counts_on_its_own) {
  Matcher original;
  original.add(Expectation().path_matching("/c/[0-9]+").with_json_body("[1]"));
  Matcher copy = original;
  const Request r = request("PUT", "/c/1", {}, "[1.0]");
  BOOST_TEST(copy.match(r).index.has_value());
  BOOST_TEST(copy.matched_count(0) == 1u);
  BOOST_TEST(original.matched_count(0) == 0u);
  BOOST_TEST(original.match(r).index.has_value());
  BOOST_TEST(!copy.match(r).index.has_value());
}

BOOST_AUTO_TEST_CASE(a_runaway_regex_is_a_miss_not_an_exception) {
  Matcher m;
  m.add(Expectation().with_body_matching("(a*)*b"));
  Request r = request("POST", "/", {}, std::string(5000, 'a'));
  trap::http::detail::MatchOutcome outcome;
  BOOST_CHECK_NO_THROW(outcome = m.match(r));
  BOOST_TEST(!outcome.index.has_value());
  BOOST_TEST(has(outcome.why, "body: /(a*)*b/ gave up on \"aaa"), outcome.why);
}

BOOST_AUTO_TEST_SUITE_END()
