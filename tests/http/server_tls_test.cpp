// SPDX-License-Identifier: BSL-1.0
// trap::http::Server under TLS as real clients see it: curl --cacert on
// 127.0.0.1, localhost and ::1 (and exit 60 without the CA), keep-alive
// and chunked bodies over TLS, Python's urllib trusting ca_file(), bad
// and silent handshakes logged, plain HTTP answered 400 as Go does,
// faults as curl 7.88 reports them over TLS, start/shutdown cycles that
// leave nothing, and the http_server layer's `tls` with TRAP_HTTP_CA. Every wait is bounded; delays
// are checked as lower bounds only.
#define BOOST_TEST_MODULE http_server_tls

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/http.hpp>
#include <trap/process.hpp>

#include "http/raw_http.hpp"
#include "support/client.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using test_net::Client;
using trap::http::Fault;
using trap::http::Response;
using trap::http::Server;
using trap::http::ServerOptions;

namespace {

struct Run {
  int exit = -1;
  std::string out, err;
};

Run run(std::vector<std::string> argv) {
  trap::RunOptions options;
  options.timeout = 30s;
  auto t = trap::run(argv, options);
  return Run{t.exit_code().value_or(-1), t.out(), t.err()};
}

// curl, silent but for its errors, trusting the server's CA.
Run curl(const Server& server, std::vector<std::string> args) {
  args.insert(args.begin(),
              {TRAP_TEST_CURL, "-sS", "--max-time", "20", "--cacert", server.ca_file().string()});
  return run(std::move(args));
}

// What curl exits with when the next response has this fault.
Run curl_with(Server& server, Fault fault) {
  Response r = Response::text(200, std::string(1000, 'x'));
  r.fault = fault;
  server.enqueue(r);
  return curl(server, {server.url() + "/f"});
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string port_of(const Server& server) { return std::to_string(server.port()); }

}  // namespace

BOOST_AUTO_TEST_CASE(urls_and_the_ca) {
  Server server = Server::tls();
  BOOST_TEST(server.url() == "https://127.0.0.1:" + port_of(server));
  BOOST_TEST(server.url6() == "https://[::1]:" + std::to_string(server.port6()));
  BOOST_TEST(server.ca_pem().rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0u);
  BOOST_TEST(read_file(server.ca_file()) == server.ca_pem());
  BOOST_TEST(server.shutdown().clean());

  Server plain;
  BOOST_TEST(plain.url().rfind("http://", 0) == 0u);
  try {
    (void)plain.ca_pem();
    BOOST_FAIL("no UsageError");
  } catch (const trap::UsageError& e) {
    BOOST_TEST(std::string(e.what()) == "trap::http::Server: ca_pem(): not a TLS server");
  }
  BOOST_CHECK_THROW((void)plain.ca_file(), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(curl_with_the_ca_on_every_address) {
  ServerOptions options;
  options.handler = [](const trap::http::Request& r) {
    return Response::text(200, "at " + r.path);
  };
  options.tls = true;
  Server server(options);
  auto v4 = curl(server, {server.url() + "/v4"});
  BOOST_TEST(v4.exit == 0, v4.err);
  BOOST_TEST(v4.out == "at /v4");
  auto name = curl(server, {"https://localhost:" + port_of(server) + "/name"});
  BOOST_TEST(name.exit == 0, name.err);
  BOOST_TEST(name.out == "at /name");
  auto v6 = curl(server, {server.url6() + "/v6"});
  BOOST_TEST(v6.exit == 0, v6.err);
  BOOST_TEST(v6.out == "at /v6");
  BOOST_TEST(server.request_count() == 3u);
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
}

BOOST_AUTO_TEST_CASE(curl_without_the_ca_exits_60_and_the_refusal_is_logged) {
  Server server = Server::tls();
  auto r = run({TRAP_TEST_CURL, "-sS", "--max-time", "20", server.url() + "/x"});
  BOOST_TEST(r.exit == 60, r.err);
  BOOST_TEST(server.request_count() == 0u);
  auto report = server.shutdown();
  BOOST_REQUIRE(report.unmatched.size() == 1u);
  // curl's alert, as OpenSSL names it on the server's side.
  BOOST_TEST(report.unmatched[0].why.rfind("tls handshake: ", 0) == 0u, report.unmatched[0].why);
  BOOST_TEST(report.unmatched[0].why.find("unknown ca") != std::string::npos,
             report.unmatched[0].why);
  BOOST_TEST(report.unmatched[0].request.peeraddr == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(keep_alive_and_a_chunked_response_over_tls) {
  Server server = Server::tls();
  server.enqueue(Response::text(200, "first;"));
  Response chunked = Response::text(200, "second, in chunks");
  chunked.chunked = true;
  chunked.chunk_size = 4;
  server.enqueue(chunked);
  auto r = curl(server, {server.url() + "/a", server.url() + "/b"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "first;second, in chunks");
  auto log = server.requests();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[0].connection == log[1].connection);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(python_urllib_trusting_the_ca_file) {
  Server server = Server::tls();
  server.enqueue(Response::text(200, "from python"));
  Response chunked = Response::text(200, "chunked from python");
  chunked.chunked = true;
  chunked.chunk_size = 3;
  server.enqueue(chunked);
  const std::string script = R"(
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
for path in ("/one", "/two"):
    with urllib.request.urlopen(sys.argv[1] + path, context=ctx, timeout=20) as r:
        print(r.status, r.read().decode())
)";
  auto r = run({TRAP_TEST_PYTHON3, "-c", script, server.url(), server.ca_file().string()});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "200 from python\n200 chunked from python\n");
  BOOST_TEST(server.request_count() == 2u);
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
}

// Go's TLS server (net/http, server.go) answers plain HTTP on its port so,
// unencrypted, and closes; here it is also logged as a failed handshake,
// which the shutdown report names.
BOOST_AUTO_TEST_CASE(plain_http_to_the_tls_port_gets_go_s_400_and_is_logged) {
  Server server = Server::tls();
  const std::string answer =
      "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
  // OpenSSL finds GET itself; OPTIONS and DELETE it would answer with an alert.
  for (const std::string method : {"GET", "OPTIONS", "DELETE"}) {
    BOOST_TEST_CONTEXT(method) {
      Client c("127.0.0.1", server.port());
      c.send(method + " /plain HTTP/1.1\r\nHost: t\r\n\r\n");  // HTTP where TLS was expected
      BOOST_TEST(c.read_bytes(answer.size() + 1) == answer);
      BOOST_TEST(c.closed_by_server());
    }
  }
  server.enqueue(Response::text(200, "still here"));
  auto r = curl(server, {server.url()});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "still here");
  auto report = server.shutdown();
  BOOST_REQUIRE(report.unmatched.size() == 3u);
  BOOST_TEST(report.unmatched[0].why ==
             "tls handshake: the client sent plain HTTP to an HTTPS server; answered 400");
  BOOST_TEST(report.describe().find("unmatched request: no request line from 127.0.0.1:") == 0u,
             report.describe());
  BOOST_TEST(report.open.empty(), report.describe());
}

// Bytes that are neither TLS nor HTTP: the handshake fails, logged, closed.
BOOST_AUTO_TEST_CASE(garbage_instead_of_a_client_hello_is_logged_and_closed) {
  Server server = Server::tls();
  {
    Client c("127.0.0.1", server.port());
    c.send(std::string("\x01\x02\x03garbage\r\n\r\n"));
    BOOST_TEST(c.closed_by_server());
  }
  auto report = server.shutdown();
  BOOST_REQUIRE(report.unmatched.size() == 1u);
  BOOST_TEST(report.unmatched[0].why.rfind("tls handshake: ", 0) == 0u, report.unmatched[0].why);
  BOOST_TEST(report.open.empty());
}

BOOST_AUTO_TEST_CASE(a_client_that_never_shakes_hands_is_closed_after_header_timeout) {
  ServerOptions options;
  options.tls = true;
  options.header_timeout = 200ms;
  Server server(options);
  const auto start = std::chrono::steady_clock::now();
  Client c("127.0.0.1", server.port());
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 200ms));
  auto report = server.shutdown();
  BOOST_REQUIRE(report.unmatched.size() == 1u);
  BOOST_TEST(report.unmatched[0].why == "tls handshake: none in 200 ms");
  BOOST_TEST(report.open.empty());
}

namespace {

// Sends @p bytes over TLS with Python's ssl, for which a bare TCP close is
// an error (SSLEOFError), and reads to the end: prints the answer's status
// line, then "close_notify" if the connection ended with one.
Run send_and_read_over_tls(const Server& server, const std::string& bytes) {
  const std::string script = R"(
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF  # a bare TCP close is an error
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s = ctx.wrap_socket(raw, server_hostname="127.0.0.1", suppress_ragged_eofs=False)
s.sendall(sys.argv[3].encode())
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n")[0].decode())
print("close_notify")
)";
  return run({TRAP_TEST_PYTHON3, "-c", script, port_of(server), server.ca_file().string(), bytes});
}

}  // namespace

// The 408 comes whole and the connection ends with a close_notify, not a
// bare TCP close.
BOOST_AUTO_TEST_CASE(a_slow_header_gets_408_and_a_close_notify) {
  ServerOptions options;
  options.tls = true;
  options.header_timeout = 200ms;
  Server server(options);
  auto r = send_and_read_over_tls(server, "GET /slow HTTP/1.1\r\nHost: t\r\n");
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "HTTP/1.1 408 Request Timeout\nclose_notify\n");
  auto report = server.shutdown();
  BOOST_REQUIRE(report.unmatched.size() == 1u);
  BOOST_TEST(report.unmatched[0].why.rfind("408 request timeout", 0) == 0u);
}

// So does a body that stops coming, its read cancelled under TLS.
BOOST_AUTO_TEST_CASE(a_body_that_stops_gets_408_and_a_close_notify) {
  ServerOptions options;
  options.tls = true;
  options.header_timeout = 200ms;
  Server server(options);
  auto r = send_and_read_over_tls(
      server, "POST /short HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "HTTP/1.1 408 Request Timeout\nclose_notify\n");
  auto report = server.shutdown();
  BOOST_REQUIRE(report.unmatched.size() == 1u);
  BOOST_TEST(report.unmatched[0].why == "408 request timeout: no byte of the body in 200 ms");
  BOOST_TEST(report.unmatched[0].request.path == "/short");
}

BOOST_AUTO_TEST_CASE(a_client_that_connects_and_leaves_is_not_logged) {
  Server server = Server::tls();
  Client silent("127.0.0.1", server.port());
  // Accepted in order: once curl is answered, `silent` is accepted too.
  server.enqueue(Response::text(200, "ok"));
  BOOST_TEST(curl(server, {server.url()}).exit == 0);
  silent.close();
  // shutdown() waits for the connection, which is not idle, to close.
  auto report = server.shutdown();
  BOOST_TEST(report.clean(), report.describe());
}

// Faults keep their meaning over TLS; the codes are curl 7.88's.
BOOST_AUTO_TEST_CASE(faults_over_tls_as_curl_reports_them) {
  Server server = Server::tls();
  auto at_start = curl_with(server, Fault::close_at_start);
  BOOST_TEST(at_start.exit == 52, at_start.err);  // after the handshake: an empty reply
  BOOST_TEST(curl_with(server, Fault::close_after_request).exit == 52);
  auto reset = curl_with(server, Fault::reset);
  BOOST_TEST(reset.exit == 56, reset.err);
  auto mid_body = curl_with(server, Fault::close_mid_body);
  BOOST_TEST(mid_body.exit == 18, mid_body.err);
  BOOST_TEST(mid_body.out == std::string(500, 'x'));
  Response never = Response::text(200, "never");
  never.fault = Fault::no_response;
  server.enqueue(never);
  auto timed_out = curl(server, {"--max-time", "0.5", server.url()});
  BOOST_TEST(timed_out.exit == 28, timed_out.err);
  BOOST_TEST(server.request_count() == 4u);  // close_at_start read none
  auto report = server.shutdown(0ms);        // the no_response connection is still open
  BOOST_TEST(report.unmatched.empty());
}

BOOST_AUTO_TEST_CASE(tls_start_shutdown_cycles_leave_no_descriptor_thread_or_ca_file) {
  const int fds = test_support::count_fds();
  const int tasks = test_support::count_threads();
  std::vector<std::filesystem::path> files;
  for (int i = 0; i < 100; ++i) {
    Server server = Server::tls();
    files.push_back(server.ca_file());
    BOOST_REQUIRE(std::filesystem::exists(files.back()));
    if (i % 10 == 0) {
      server.enqueue(Response::text(200, "ok"));
      auto r = curl(server, {server.url()});
      BOOST_REQUIRE_MESSAGE(r.exit == 0, r.err);
    }
    if (i % 2 == 1) continue;  // the destructor shuts it down
    auto report = server.shutdown();
    BOOST_TEST_REQUIRE(report.clean(), report.describe());
  }
  for (const auto& f : files) BOOST_TEST(!std::filesystem::exists(f), f);
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(tasks) == tasks);
}

BOOST_AUTO_TEST_CASE(the_layer_with_tls_exports_the_ca) {
  std::string out, ca;
  auto r = trap::trap(":http_server(tls)", [&](trap::Trap& t) {
    trap::http::server(t).enqueue(Response::text(200, "secure"));
    ca = std::getenv("TRAP_HTTP_CA") ? std::getenv("TRAP_HTTP_CA") : "";
    out = trap::run({"sh", "-c",
                     TRAP_TEST_CURL " -sS --cacert \"$TRAP_HTTP_CA\" \"$TRAP_HTTP_URL/layer\""})
              .out();
  });
  BOOST_TEST(r.leaveby() == "return", r.die());
  BOOST_TEST(out == "secure");
  BOOST_TEST(ca.find("trap-ca-") != std::string::npos, ca);
  r.test("teardown_is", "");
  BOOST_TEST(std::getenv("TRAP_HTTP_CA") == nullptr);  // only while the trap runs
  BOOST_TEST(std::getenv("TRAP_HTTP_URL") == nullptr);
}

BOOST_AUTO_TEST_CASE(the_layer_takes_tls_as_a_flag) {
  BOOST_CHECK_THROW(trap::trap(":http_server(tls=yes)", [](trap::Trap&) {}), trap::UsageError);
}
