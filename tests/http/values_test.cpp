// SPDX-License-Identifier: BSL-1.0
// How trap::http's values print: a request's body quoted (every byte that
// does not print as \xNN), and a shutdown report's open connections with
// their peers, IPv4 and IPv6.
#define BOOST_TEST_MODULE http_values
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/http.hpp>

#include "support/test_support.hpp"

using test_support::printed;
using trap::http::ConnectionInfo;
using trap::http::Request;
using trap::http::ShutdownReport;

BOOST_AUTO_TEST_CASE(a_request_body_is_quoted_with_hex_escapes) {
  Request r;
  r.method = "POST";
  r.target = "/x?a=1";
  r.connection = 2;
  r.sequence = 5;
  BOOST_TEST(printed(r) == "POST /x?a=1 (connection 2, #5)");
  r.body = std::string("say \"hi\"\\\n\r\t\x01\x7f\xff\0end", 19);
  BOOST_TEST(
      printed(r) ==
      R"(POST /x?a=1 body "say \"hi\"\\\x0a\x0d\x09\x01\x7f\xff\x00end" (connection 2, #5))");
}

BOOST_AUTO_TEST_CASE(a_long_body_is_cut_at_80_bytes) {
  Request r;
  r.method = "PUT";
  r.target = "/";
  r.body = std::string(100, 'a');
  BOOST_TEST(printed(r) ==
             "PUT / body \"" + std::string(80, 'a') + "\"... (100 bytes) (connection 0, #0)");
}

// A request whose request line never came (unmatched(): a bad start line,
// a failed handshake) names its client rather than an empty method and
// target, in a shutdown report too.
BOOST_AUTO_TEST_CASE(a_request_without_a_request_line_names_its_client) {
  Request r;
  r.peeraddr = "::1";
  r.peerport = 40003;
  r.connection = 3;
  BOOST_TEST(printed(r) == "no request line from [::1]:40003 (connection 3, #0)");
  ShutdownReport report;
  report.unmatched = {trap::http::Unmatched{r, "400 bad request: bad method"}};
  BOOST_TEST(report.describe() ==
             "unmatched request: no request line from [::1]:40003 (connection 3, #0): 400 bad "
             "request: bad method");
}

BOOST_AUTO_TEST_CASE(open_connections_print_their_peers) {
  ShutdownReport report;
  report.open = {ConnectionInfo{1, "127.0.0.1", 40001}, ConnectionInfo{2, "::1", 40002}};
  BOOST_TEST(report.describe() ==
             "connection 1 still open from 127.0.0.1:40001\n"
             "connection 2 still open from [::1]:40002");
  BOOST_TEST(printed(report) == report.describe());
}
