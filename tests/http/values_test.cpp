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

BOOST_AUTO_TEST_CASE(open_connections_print_their_peers) {
  ShutdownReport report;
  report.open = {ConnectionInfo{1, "127.0.0.1", 40001}, ConnectionInfo{2, "::1", 40002}};
  BOOST_TEST(report.describe() ==
             "connection 1 still open from 127.0.0.1:40001\n"
             "connection 2 still open from [::1]:40002");
  BOOST_TEST(printed(report) == report.describe());
}
