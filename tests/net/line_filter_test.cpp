// SPDX-License-Identifier: BSL-1.0
// trap::net::LineFilter takes POE::Filter::Line's options (literal,
// input_literal, output_literal) and, by default, ends a line at a CR, an
// LF, a CRLF or an LFCR as POE's does (what perl -MPOE::Filter::Line gives
// is written beside each case); unlike POE, how the reads were cut does
// not change the lines. Reachable from the tcp_server layer's argument.
#define BOOST_TEST_MODULE line_filter
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/net.hpp>

#include "support/client.hpp"

using test_net::Client;
using trap::net::LineFilter;
using trap::net::LineFilterOptions;
using Lines = std::vector<std::string>;

namespace {

// The lines @p f cuts from @p reads, one get() per read.
Lines cut(trap::net::Filter& f, const std::vector<std::string>& reads) {
  Lines out;
  for (auto& r : reads)
    for (auto& line : f.get(r)) out.push_back(line);
  return out;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const trap::UsageError& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(by_default_cr_lf_crlf_and_lfcr_end_a_line) {
  LineFilter f;
  // perl: <a>|<b>|<c>|<d>|<e>|<>|<f>|<>
  BOOST_TEST(cut(f, {"a\rb\nc\r\nd\n\re\n\nf\r\r"}) ==
             (Lines{"a", "b", "c", "d", "e", "", "f", ""}));
  BOOST_TEST(f.put("out") == "out\n");  // trap's default end of line out
}

BOOST_AUTO_TEST_CASE(where_reads_are_cut_does_not_matter) {
  // POE gives <x>|<>|<y> for these reads (a CRLF cut in two); trap gives
  // what the bytes give together.
  LineFilter f;
  BOOST_TEST(cut(f, {"x\r", "\ny\n"}) == (Lines{"x", "y"}));
  LineFilter g;
  std::string all = "a\r\nb\n\rc\rd\n";
  Lines bytewise;
  for (char c : all)
    for (auto& line : g.get(std::string(1, c))) bytewise.push_back(line);
  BOOST_TEST(bytewise == (Lines{"a", "b", "c", "d"}));
  // A line comes as soon as its end does: nothing waits for the next read.
  LineFilter h;
  BOOST_TEST(h.get("now\r") == Lines{"now"});
}

BOOST_AUTO_TEST_CASE(literal_serves_both_directions) {
  LineFilter f({.literal = "\r\n"});
  BOOST_TEST(cut(f, {"USER a\r", "\nPASS b\r\nlone\nlf\r\n"}) ==
             (Lines{"USER a", "PASS b", "lone\nlf"}));
  BOOST_TEST(f.put("+OK") == "+OK\r\n");
  LineFilter nul({.literal = std::string(1, '\0')});
  BOOST_TEST(cut(nul, {std::string("c\0str", 5), std::string("\0", 1)}) == (Lines{"c", "str"}));
}

BOOST_AUTO_TEST_CASE(input_and_output_literals_apart) {
  LineFilter smtp({.output_literal = "\r\n"});  // any end of line in, CRLF out
  BOOST_TEST(cut(smtp, {"HELO x\nMAIL\r\n"}) == (Lines{"HELO x", "MAIL"}));
  BOOST_TEST(smtp.put("250 ok") == "250 ok\r\n");
  LineFilter in({.input_literal = "<>"});
  BOOST_TEST(cut(in, {"a\nb<", ">c<>"}) == (Lines{"a\nb", "c"}));
  BOOST_TEST(in.put("z") == "z\n");
  LineFilter bare({.output_literal = ""});  // POE allows it: nothing appended
  BOOST_TEST(bare.put("z") == "z");
}

BOOST_AUTO_TEST_CASE(an_empty_input_literal_detects_the_first_end_of_line) {
  // perl: InputLiteral => "" on "a\r\nb\nc\r\n" gives a|b\nc
  LineFilter f({.input_literal = ""});
  BOOST_TEST(cut(f, {"a\r\nb\nc\r\n"}) == (Lines{"a", "b\nc"}));
  LineFilter cut_between({.input_literal = ""});
  BOOST_TEST(cut(cut_between, {"a\r", "\nb\nc\r\n"}) == (Lines{"a", "b\nc"}));
  LineFilter lf({.input_literal = ""});
  BOOST_TEST(cut(lf, {"a\n", "b\r\nc\n"}) == (Lines{"a", "b\r", "c"}));
  // A clone detects anew.
  auto fresh = f.clone();
  BOOST_TEST(cut(*fresh, {"x\ny\r\n"}) == (Lines{"x", "y\r"}));
}

BOOST_AUTO_TEST_CASE(bad_literals_are_refused_with_poes_messages) {
  BOOST_TEST(message_of([] { LineFilter({.literal = ""}); }) ==
             "trap::net::LineFilter: a defined literal must have a nonzero length");
  BOOST_TEST(message_of([] { LineFilter({.literal = "\n", .output_literal = "\r\n"}); }) ==
             "trap::net::LineFilter cannot have literal with any other parameter");
  BOOST_TEST(message_of([] { LineFilter({.literal = "\n", .input_literal = ""}); }) ==
             "trap::net::LineFilter cannot have literal with any other parameter");
}

BOOST_AUTO_TEST_CASE(a_long_line_is_refused_whatever_its_end) {
  LineFilter f({.literal = "\r\n", .max_line = 4});
  BOOST_TEST(f.get("abcd\r") == Lines{});  // its end may be coming
  BOOST_TEST(f.get("\n") == Lines{"abcd"});
  BOOST_CHECK_THROW(f.get("abcde"), trap::net::FilterError);
  LineFilter g({.max_line = 4});
  BOOST_CHECK_THROW(g.get("abcde"), trap::net::FilterError);
}

BOOST_AUTO_TEST_CASE(a_server_speaks_crlf_with_a_line_filter_object) {
  trap::net::TcpServer server({.filter = LineFilter({.output_literal = "\r\n"})});
  Client client("127.0.0.1", server.port());
  client.send("USER me\r\nQUIT\r");
  auto user = server.wait_for_input();
  auto quit = server.wait_for_input();
  BOOST_REQUIRE(user && quit);
  BOOST_TEST(user->input == "USER me");
  BOOST_TEST(quit->input == "QUIT");
  server.send_to_client(user->client, "+OK bye");
  BOOST_TEST(client.read_bytes(9) == "+OK bye\r\n");
}

BOOST_AUTO_TEST_CASE(the_layer_takes_the_literals) {
  auto r = trap::trap(":tcp_server(output_literal=\\r\\n,input_literal=\\x00)", [](trap::Trap& t) {
    auto& server = trap::net::server(t);
    Client client("127.0.0.1", server.port());
    client.send(std::string("one\0", 4));
    auto in = server.wait_for_input();
    server.send_to_client(in->client, "two");
    BOOST_TEST(client.read_bytes(5) == "two\r\n");
    client.close();
    server.wait_for_disconnection();
  });
  r.test("received_is_deeply", trap::Array{"one"});
}

BOOST_AUTO_TEST_CASE(the_layer_refuses_bad_literals) {
  auto refused = [](const char* spec) {
    return message_of([spec] { trap::trap(spec, [](trap::Trap&) {}); });
  };
  BOOST_TEST(refused(":tcp_server(literal=)") ==
             "trap::net::LineFilter: a defined literal must have a nonzero length");
  BOOST_TEST(refused(":tcp_server(filter=raw,literal=\\n)") ==
             "tcp_server: literal, input_literal and output_literal are the line filter's, not "
             "the raw filter's");
  BOOST_TEST(refused(":tcp_server(literal=\\q)") ==
             "tcp_server: literal has a bad escape in \"\\q\" (the escapes are \\r \\n \\t \\0 "
             "\\\\ \\xHH)");
}
