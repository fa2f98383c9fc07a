// SPDX-License-Identifier: BSL-1.0
// trap::http::Server's faults and pacing as real clients see them: curl
// (run with trap::run) and its exit codes, and Python's http.client for
// keep-alive with chunked bodies both ways. Delays are checked as lower
// bounds only; every wait is bounded.
#define BOOST_TEST_MODULE http_server_faults
#include <chrono>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/http.hpp>
#include <trap/process.hpp>

using namespace std::chrono_literals;
using trap::http::Fault;
using trap::http::Response;
using trap::http::Server;

namespace {

struct Run {
  int exit = -1;
  std::string out, err;
  std::chrono::milliseconds took{0};
};

Run run(std::vector<std::string> argv, std::string input = {}) {
  const auto start = std::chrono::steady_clock::now();
  trap::RunOptions options;
  options.input = std::move(input);
  options.timeout = 30s;
  auto t = trap::run(argv, options);
  Run r{t.exit_code().value_or(-1), t.out(), t.err()};
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  return r;
}

// curl, silent but for its errors, with these arguments.
Run curl(std::vector<std::string> args, std::string input = {}) {
  args.insert(args.begin(), {TRAP_TEST_CURL, "-sS", "--max-time", "20"});
  return run(std::move(args), std::move(input));
}

// What curl exits with when the next response has this fault.
Run curl_with(Server& server, Fault fault, std::string body = std::string(1000, 'x')) {
  Response r = Response::text(200, std::move(body));
  r.fault = fault;
  server.enqueue(r);
  return curl({server.url() + "/f"});
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_plain_answer) {
  Server server;
  server.enqueue(Response::text(200, "hello"));
  auto r = curl({server.url() + "/greeting"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "hello");
  BOOST_TEST(server.take_request()->path == "/greeting");
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(close_at_start_is_an_empty_reply) {
  Server server;
  BOOST_TEST(curl_with(server, Fault::close_at_start).exit == 52);
  BOOST_TEST(server.request_count() == 0u);  // closed before it was read
}

BOOST_AUTO_TEST_CASE(close_after_request_is_an_empty_reply) {
  Server server;
  BOOST_TEST(curl_with(server, Fault::close_after_request).exit == 52);
  BOOST_TEST(server.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(reset_is_a_receive_failure) {
  Server server;
  auto r = curl_with(server, Fault::reset);
  BOOST_TEST(r.exit == 56, r.err);
  BOOST_TEST(r.err.find("reset") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(no_response_runs_into_the_clients_timeout) {
  Server server;
  Response r = Response::text(200, "never");
  r.fault = Fault::no_response;
  server.enqueue(r);
  auto c = curl({"--max-time", "0.5", server.url()});
  BOOST_TEST(c.exit == 28, c.err);
  BOOST_TEST(c.took >= 500ms);
}

BOOST_AUTO_TEST_CASE(close_mid_body_is_a_partial_file) {
  Server server;
  auto r = curl_with(server, Fault::close_mid_body);
  BOOST_TEST(r.exit == 18, r.err);
  BOOST_TEST(r.out == std::string(500, 'x'));
}

BOOST_AUTO_TEST_CASE(a_wrong_content_length_is_a_partial_file) {
  Server server;
  auto r = curl_with(server, Fault::wrong_content_length);
  BOOST_TEST(r.exit == 18, r.err);
  BOOST_TEST(r.out == std::string(1000, 'x'));
}

BOOST_AUTO_TEST_CASE(a_malformed_chunk_is_a_receive_failure) {
  Server server;
  auto r = curl_with(server, Fault::malformed_chunk);
  // curl 7.88: "Illegal or missing hexadecimal sequence in chunked-encoding".
  BOOST_TEST(r.exit == 56, r.err);
  BOOST_TEST(r.err.find("chunked") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(headers_delay_holds_the_status_line) {
  Server server;
  Response slow = Response::text(200, "late");
  slow.headers_delay = 300ms;
  server.enqueue(slow);
  auto r = curl({server.url()});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "late");
  BOOST_TEST(r.took >= 300ms);
  slow.headers_delay = 5000ms;
  server.enqueue(slow);
  auto gave_up = curl({"--max-time", "0.3", server.url()});
  BOOST_TEST(gave_up.exit == 28, gave_up.err);
  BOOST_TEST(gave_up.out.empty());
}

BOOST_AUTO_TEST_CASE(body_delay_holds_the_body) {
  Server server;
  Response slow = Response::text(200, "after a while");
  slow.body_delay = 300ms;
  server.enqueue(slow);
  auto r = curl({server.url()});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "after a while");
  BOOST_TEST(r.took >= 300ms);
}

BOOST_AUTO_TEST_CASE(throttling_paces_the_body) {
  Server server;
  Response slow = Response::text(200, std::string(2000, 'y'));
  slow.throttle_bytes_per_second = 4000;  // 5 pieces of 400 bytes, 100 ms apart
  server.enqueue(slow);
  auto r = curl({server.url()});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == std::string(2000, 'y'));
  BOOST_TEST(r.took >= 400ms);
}

BOOST_AUTO_TEST_CASE(curl_keeps_the_connection_alive_and_sends_chunks) {
  Server server;
  server.enqueue(Response::text(200, "1"));
  Response chunked = Response::text(200, "two, in chunks");
  chunked.chunked = true;
  chunked.chunk_size = 4;
  server.enqueue(chunked);
  auto r = curl({server.url() + "/a", server.url() + "/b"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "1two, in chunks");
  auto log = server.requests();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[0].connection == log[1].connection);
  server.enqueue(Response::status_only(201));
  auto up = curl({"-H", "Transfer-Encoding: chunked", "--data-binary", "@-", server.url() + "/up"},
                 "uploaded");
  BOOST_TEST(up.exit == 0, up.err);
  auto request = server.requests().back();
  BOOST_TEST(request.body == "uploaded");
  BOOST_TEST(request.chunked);
  BOOST_TEST(request.method == "POST");
}

BOOST_AUTO_TEST_CASE(python_http_client_keep_alive_with_chunks) {
  Server server;
  Response chunked = Response::text(200, "chunked reply");
  chunked.chunked = true;
  chunked.chunk_size = 5;
  server.enqueue(Response::text(200, "first"));
  server.enqueue(chunked);
  const std::string script = R"(
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
c.request("GET", "/first")
r = c.getresponse()
print(r.status, r.read().decode())
c.request("POST", "/second", body=iter([b"abc", b"def"]), encode_chunked=True)
r = c.getresponse()
print(r.status, r.getheader("Transfer-Encoding"), r.read().decode())
)";
  auto r = run({TRAP_TEST_PYTHON3, "-c", script, std::to_string(server.port())});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "200 first\n200 chunked chunked reply\n");
  auto log = server.requests();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[0].connection == log[1].connection);
  BOOST_TEST(log[1].body == "abcdef");
  BOOST_TEST(log[1].chunked);
  BOOST_TEST(server.shutdown().clean());
}
