// SPDX-License-Identifier: BSL-1.0
// 16-http-cli: tests a command-line program that calls a REST API. The
// http_server layer gives the trap a server and exports its URL as
// TRAP_HTTP_URL; the program, run by trap::run inside the trap, finds the
// API there. curl stands for the CLI under test: its stdout and exit code
// are checked for a good answer and for a server error, and the layer
// checks that every expectation was met. Results are TAP.
#include <string>

#include <trap/http.hpp>
#include <trap/more.hpp>
#include <trap/process.hpp>

#ifndef CURL_PATH
#error "CURL_PATH: the path of curl"
#endif

namespace {

// The "CLI": asks the API for a city's weather, fails on an HTTP error.
trap::Trap weather(const std::string& city) {
  return trap::run({"sh", "-c",
                    CURL_PATH " -sS --fail-with-body -H 'Accept: application/json'"
                              " \"$TRAP_HTTP_URL/v1/weather?city=$0\"",
                    city});
}

}  // namespace

int main() {
  using trap::http::Expectation;
  using trap::http::Response;

  auto r = trap::trap(":http_server", [](trap::Trap& t) {
    auto& api = trap::http::server(t);
    api.expect(Expectation::get("/v1/weather")
                   .with_query("city", "Oslo")
                   .with_header("Accept", "application/json")
                   .respond(Response::json(200, R"({"temp": 12})")));
    api.expect(Expectation::get("/v1/weather")
                   .with_query("city", "Atlantis")
                   .respond(Response::json(503, R"({"error": "no such city"})")));

    auto oslo = weather("Oslo");
    oslo.exit_is(0, "the CLI succeeds");
    oslo.stdout_is(R"({"temp": 12})", "and prints what the API answered");

    auto atlantis = weather("Atlantis");
    atlantis.exit_is(22, "an HTTP error is curl's exit 22");
    atlantis.stdout_is(R"({"error": "no such city"})", "with the error's body");
    atlantis.stderr_like("error: 503", "and the status on stderr");
  });
  // The layer's teardown would throw TrapError had an expectation gone
  // unmet or a request gone unanswered.
  r.leaveby_is("return", "every expectation was met");
  r.test("requests_ok", 1, "two requests were logged");
  r.test("unmatched_is_deeply", trap::Array{}, "none unanswered");
  return trap::done_testing();
}
