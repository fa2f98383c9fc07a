// SPDX-License-Identifier: BSL-1.0
// The http_server layer: a server for the code in a trap, its accessors
// (requests, unmatched, teardown), a teardown that fails the trap when
// something was left over unless lenient, and TRAP_HTTP_URL for programs.
#define BOOST_TEST_MODULE http_layer
#include <cstdlib>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/errors.hpp>
#include <trap/http.hpp>
#include <trap/trap.hpp>

#include "support/client.hpp"

using test_net::Client;

namespace {

// One request on its own connection; the whole answer, as it came.
std::string round_trip(std::uint16_t port, const std::string& request) {
  Client client("127.0.0.1", port);
  client.send(request);
  std::string answer;
  for (;;) {
    std::string more = client.read_bytes(1 << 16, std::chrono::seconds(5));
    if (more.empty()) break;
    answer += more;
  }
  return answer;
}

std::string get(std::uint16_t port, const std::string& target) {
  return round_trip(port, "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_code_talks_to_the_layers_server) {
  std::string url_inside;
  auto r = trap::trap(":http_server", [&](trap::Trap& t) {
    auto& server = trap::http::server(t);
    server.enqueue(trap::http::Response::text(200, "hello"));
    const char* url = std::getenv("TRAP_HTTP_URL");
    url_inside = url ? url : "";
    std::string answer = get(server.port(), "/greeting?x=1");
    BOOST_TEST(answer.find("200") != std::string::npos);
    BOOST_TEST(answer.substr(answer.size() - 5) == "hello");
  });
  BOOST_TEST(url_inside.starts_with("http://127.0.0.1:"));
  BOOST_TEST(std::getenv("TRAP_HTTP_URL") == nullptr);
  r.test("requests_is_deeply", trap::Array{trap::Array{"GET", "/greeting?x=1", ""}});
  r.test("unmatched_is_deeply", trap::Array{});
  r.test("teardown_is", "");
}

BOOST_AUTO_TEST_CASE(an_unmet_expectation_fails_the_trap) {
  std::string why = message_of([] {
    trap::trap(":http_server", [](trap::Trap& t) {
      trap::http::server(t).expect(trap::http::Expectation::get("/never"));
    });
  });
  BOOST_TEST(why.starts_with("unclean teardown: expectation not met: GET /never"), why);
}

BOOST_AUTO_TEST_CASE(a_lenient_layer_keeps_the_report) {
  auto r = trap::trap(":http_server(lenient)", [](trap::Trap& t) {
    auto& server = trap::http::server(t);
    std::string answer = get(server.port(), "/nobody");
    BOOST_TEST(answer.find(" 500 ") != std::string::npos);
  });
  r.test("teardown_like", "^unclean teardown: unmatched request: GET /nobody");
  r.test("unmatched_is_deeply",
         trap::Array{trap::Array{"GET", "/nobody",
                                 "no expectation, no queued response and no handler for GET "
                                 "/nobody"}});
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_with_their_names) {
  BOOST_TEST(message_of([] { trap::trap(":http_server(colour=red)", [] {}); }) ==
             "http_server: unknown option \"colour\" (the options are address, max_header_bytes, "
             "max_body_bytes, header_timeout, wait, tls, lenient)");
  BOOST_TEST(message_of([] { trap::trap(":http_server(wait=soon)", [] {}); }) ==
             "http_server: wait must be a number, not \"soon\"");
}

BOOST_AUTO_TEST_CASE(server_outside_the_layer_is_a_usage_error) {
  BOOST_TEST(message_of([] {
               trap::trap(":default", [](trap::Trap& t) { trap::http::server(t); });
             }).find("this trap has no http_server layer") != std::string::npos);
}
