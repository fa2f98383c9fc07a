// SPDX-License-Identifier: BSL-1.0
// The http_server layer: a server for the trapped code, its URL exported
// as TRAP_HTTP_URL for programs run inside, what it received as
// `requests`, what nothing answered as `unmatched`, and a trap that fails
// on an unclean teardown unless lenient.
#define BOOST_TEST_MODULE http_server_layer
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/http.hpp>
#include <trap/process.hpp>

#include "support/child.hpp"

using trap::http::Request;
using trap::http::Response;

BOOST_AUTO_TEST_CASE(a_program_in_the_trap_reaches_the_server) {
  std::string out;
  auto r = trap::trap(":http_server", [&](trap::Trap& t) {
    trap::http::server(t).enqueue(Response::text(200, "hi"));
    out = trap::run({"sh", "-c", TRAP_TEST_CURL " -sS \"$TRAP_HTTP_URL/from/curl\""}).out();
  });
  BOOST_TEST(r.leaveby() == "return", r.die());
  BOOST_TEST(out == "hi");
  const trap::Value* requests = r.get("requests");
  BOOST_REQUIRE(requests);
  BOOST_REQUIRE(requests->array().size() == 1u);
  BOOST_TEST(requests->array()[0].as<Request>().path == "/from/curl");
  r.test("requests_ok", 0);
  r.test("unmatched_is_deeply", trap::Array{});
  r.test("teardown_is", "");
  BOOST_TEST(std::getenv("TRAP_HTTP_URL") == nullptr);  // only while the trap runs
}

BOOST_AUTO_TEST_CASE(an_unmatched_request_fails_the_trap) {
  try {
    trap::trap(":http_server", [&](trap::Trap&) {
      trap::run({"sh", "-c", TRAP_TEST_CURL " -s \"$TRAP_HTTP_URL/nothing\""});
    });
    BOOST_FAIL("no TrapError");
  } catch (const trap::TrapError& e) {
    BOOST_TEST(std::string(e.what()).find("http_server: unclean teardown: unmatched request: ") !=
                   std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_lenient_layer_lets_it_pass_and_keeps_it) {
  auto r = trap::trap(":http_server(lenient,wait=0,max_log=5)", [&](trap::Trap&) {
    trap::run({"sh", "-c", TRAP_TEST_CURL " -s \"$TRAP_HTTP_URL/nothing\""});
  });
  BOOST_TEST(r.leaveby() == "return", r.die());
  const trap::Value* unmatched = r.get("unmatched");
  BOOST_REQUIRE(unmatched);
  BOOST_REQUIRE(unmatched->array().size() == 1u);
  BOOST_TEST(unmatched->array()[0].as<trap::http::Unmatched>().request.path == "/nothing");
  BOOST_TEST(r.get("teardown")->str().find("unmatched request") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_options_are_usage_errors) {
  BOOST_CHECK_THROW(trap::trap(":http_server(colour=red)", [](trap::Trap&) {}), trap::UsageError);
  BOOST_CHECK_THROW(trap::trap(":http_server(wait=soon)", [](trap::Trap&) {}), trap::UsageError);
  trap::Trap none = trap::trap([](trap::Trap&) {});
  BOOST_CHECK_THROW(trap::http::server(none), trap::UsageError);
}

// Two threads in http_server traps at once (`flow`: nothing captured, so
// neither waits for the other): each thread's curl reaches its own
// thread's server through TRAP_HTTP_URL, and the variable is gone after.
BOOST_AUTO_TEST_CASE(traps_on_two_threads_at_once_each_reach_their_own_server) {
  std::latch both_in(2);
  std::string out[2], leaveby[2];
  auto run = [&](int me) {
    auto r = trap::trap(":flow:http_server", [&](trap::Trap& t) {
      trap::http::server(t).enqueue(Response::text(200, "server " + std::to_string(me)));
      both_in.arrive_and_wait();
      out[me] = trap::run({"sh", "-c", TRAP_TEST_CURL " -sS \"$TRAP_HTTP_URL/\""}).out();
    });
    leaveby[me] = r.leaveby() + " " + r.die();
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  BOOST_TEST(out[0] == "server 0");
  BOOST_TEST(out[1] == "server 1");
  BOOST_TEST(leaveby[0] == "return ");
  BOOST_TEST(leaveby[1] == "return ");
  BOOST_TEST(std::getenv("TRAP_HTTP_URL") == nullptr);
}

// An in-process timeout stops the code while it waits in take_request()
// (glibc takes a condition variable's mutex back on a jump out of its
// wait): the stop comes at once, and the server, the code's own or the
// layer's, is left whole: it answers, logs and shuts down. Before, its lock
// stayed held, and the next call, or the layer's teardown, waited for ever.
// In a child, which an alarm ends if it hangs.
BOOST_AUTO_TEST_CASE(a_timeout_that_stops_take_request_leaves_the_server_whole) {
  using namespace std::chrono_literals;
  auto child = test_support::in_child([] {
    ::alarm(15);
    trap::http::Server server;
    const auto start = std::chrono::steady_clock::now();
    auto r = trap::trap(":flow:timeout(100)", [&](trap::Trap&) { (void)server.take_request(20s); });
    const bool prompt = std::chrono::steady_clock::now() - start < 10s;
    server.enqueue(Response::text(200, "after"));
    const std::string out =
        trap::run({"sh", "-c", TRAP_TEST_CURL " -sS " + server.url() + "/after"}).out();
    const auto taken = server.take_request();
    const bool clean = server.shutdown().clean();
    auto layer = trap::trap(":flow:http_server:timeout(100)",
                            [](trap::Trap& t) { (void)trap::http::server(t).take_request(20s); });
    std::cout << r.leaveby() << " " << prompt << " " << out << " " << (taken ? taken->path : "none")
              << " " << clean << " " << layer.leaveby() << std::flush;
  });
  BOOST_TEST(child.exited(0), child.status << " " << child.err);
  BOOST_TEST(child.out == "timeout 1 after /after 1 timeout");
}

// Under fork the layer's server and the code run in the child; what the
// server received, and what nothing answered, come back to the parent as
// Request and Unmatched values all the same (trap::codec), not as their
// renderings only.
BOOST_AUTO_TEST_CASE(requests_come_back_whole_from_a_forked_child) {
  auto r = trap::trap(":http_server(lenient):fork", [](trap::Trap& t) {
    trap::http::server(t).enqueue(Response::text(200, "hi"));
    trap::run({"sh", "-c",
               TRAP_TEST_CURL
               " -sS -H 'X-Dup: a' -H 'x-dup: b' \"$TRAP_HTTP_URL/child?q=1\"; " TRAP_TEST_CURL
               " -s \"$TRAP_HTTP_URL/none\""});
  });
  BOOST_TEST(r.leaveby() == "return", r.die());
  BOOST_REQUIRE(r.get("requests") && r.get("requests")->array().size() == 2u);
  const auto first = r.get("requests")->array()[0].as<Request>();
  BOOST_TEST(first.path == "/child");
  BOOST_TEST(first.query == "q=1");
  BOOST_TEST(first.headers.get_all("X-DUP") == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(first.peeraddr == "127.0.0.1");
  BOOST_TEST(first.sequence == 1u);
  BOOST_REQUIRE(r.get("unmatched") && r.get("unmatched")->array().size() == 1u);
  const auto none = r.get("unmatched")->array()[0].as<trap::http::Unmatched>();
  BOOST_TEST(none.request.path == "/none");
  BOOST_TEST(none.why.find("no expectation") != std::string::npos, none.why);
  BOOST_TEST(r.get("requests")->array()[1].as<Request>() == none.request);
}

// Every member travels, bytes of any value included; bytes that are not
// an encoded request are an error, not a request.
BOOST_AUTO_TEST_CASE(the_request_codec_keeps_every_member) {
  Request q{.method = "POST",
            .target = "http://h/p?x=%41",
            .path = "/p",
            .query = "x=%41",
            .version = 10,
            .headers = {{"A", "1"}, {"a", ""}},
            .body = std::string("a\0:b\r\n", 6),
            .chunked = true,
            .peeraddr = "::1",
            .peerport = 65535,
            .connection = 7,
            .sequence = 9,
            .trailers = {{"X-Sum", "1"}, {"x-sum", ""}}};
  using Codec = trap::codec<Request>;
  BOOST_TEST(Codec::decode(Codec::encode(q)) == q);
  trap::http::Unmatched u{q, "why: \"\""};
  BOOST_TEST(trap::codec<trap::http::Unmatched>::decode(
                 trap::codec<trap::http::Unmatched>::encode(u)) == u);
  BOOST_CHECK_THROW(Codec::decode("3:abc"), std::invalid_argument);
  BOOST_CHECK_THROW(Codec::decode("nonsense"), std::invalid_argument);
}

// A fork trap's child has a copy of a server made before the trap, but not
// its thread: an answer queued there would never be served, and a call that
// needs the thread would wait for ever. Each is a usage error that says so,
// and destroying the copy there lets it go without waiting.
BOOST_AUTO_TEST_CASE(a_call_from_a_fork_traps_child_is_a_usage_error) {
  std::optional<trap::http::Server> server(std::in_place);
  auto r = trap::trap(":flow:fork", [&] { server->enqueue(Response::text(200, "never")); });
  BOOST_TEST(r.leaveby() == "die");
  BOOST_TEST(r.die().find("trap::http::Server: called in process ") == 0u, r.die());
  auto closing = trap::trap(":flow:fork", [&] { server->close_client_connections(); });
  BOOST_TEST(closing.die().find("trap::http::Server: called in process ") == 0u, closing.die());
  auto gone = trap::trap(":flow:fork", [&] { server.reset(); });
  BOOST_TEST(gone.leaveby() == "return");
  BOOST_TEST(server.has_value());
  BOOST_TEST(server->shutdown().clean());
}
