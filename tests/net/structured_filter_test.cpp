// SPDX-License-Identifier: BSL-1.0
// Structured messages (POE filters that return array refs): a filter cuts
// input into lists and puts lists out; the string filters and
// ServerEvent::input work as before. One filter object serves both
// directions (POE's `Filter`), cloned per client; input_filter and
// output_filter still override it.
#define BOOST_TEST_MODULE structured_filter
#include <atomic>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/net.hpp>

#include "support/client.hpp"

using test_net::Client;
using trap::net::Parts;
using trap::net::TcpServer;

namespace {

// The header's example: lines of words. "GET /a HTTP/1.0\n" arrives as
// {"GET", "/a", "HTTP/1.0"}. "FAIL" in input or output throws, for the
// bad paths.
struct Words : trap::net::StructuredFilter {
  trap::net::LineFilter lines;
  std::vector<Parts> get_parts(std::string_view bytes) override {
    std::vector<Parts> out;
    for (auto& line : lines.get(bytes)) {
      if (line == "FAIL") throw std::runtime_error("no words for FAIL");
      if (line == "FAIL 42") throw 42;
      Parts words;
      std::istringstream in(line);
      for (std::string w; in >> w;) words.push_back(w);
      out.push_back(std::move(words));
    }
    return out;
  }
  std::string put_parts(const Parts& parts) override {
    std::string line;
    for (auto& p : parts) {
      if (p == "FAIL") throw trap::net::FilterError("cannot put FAIL");
      line += (line.empty() ? "" : " ") + p;
    }
    return lines.put(line);
  }
  std::unique_ptr<trap::net::Filter> clone() const override { return std::make_unique<Words>(); }
};

// Counts its clones: one per client and direction.
struct Counted : trap::net::Filter {
  explicit Counted(std::shared_ptr<std::atomic<int>> n) : clones(std::move(n)) {}
  std::vector<std::string> get(std::string_view bytes) override {
    return {"<" + std::string(bytes) + ">"};
  }
  std::string put(std::string_view m) override { return "[" + std::string(m) + "]"; }
  std::unique_ptr<Filter> clone() const override {
    ++*clones;
    return std::make_unique<Counted>(clones);
  }
  std::shared_ptr<std::atomic<int>> clones;
};

// Cloned while *refuse is false; then its clone() throws.
struct Refusing : Counted {
  Refusing(std::shared_ptr<std::atomic<int>> n, std::shared_ptr<std::atomic<bool>> r)
      : Counted(std::move(n)), refuse(std::move(r)) {}
  std::unique_ptr<Filter> clone() const override {
    if (*refuse) throw trap::net::FilterError("no clone today");
    return Counted::clone();
  }
  std::shared_ptr<std::atomic<bool>> refuse;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_word_filter_gives_each_message_as_a_list) {
  TcpServer server({.filter = Words{}});
  Client client("127.0.0.1", server.port());
  client.send("GET  /a HTTP/1.0\r\n\n");
  auto get = server.wait_for_input();
  auto empty = server.wait_for_input();
  BOOST_REQUIRE(get && empty);
  BOOST_TEST(get->parts == (Parts{"GET", "/a", "HTTP/1.0"}));
  BOOST_TEST(get->input == "GET /a HTTP/1.0");  // the parts joined by a space
  BOOST_TEST(empty->parts.empty());
  BOOST_TEST(empty->input.empty());
  BOOST_TEST(server.send_parts_to_client(get->client, {"200", "OK"}));
  BOOST_TEST(client.read_line().value_or("(none)") == "200 OK");
  BOOST_TEST(server.send_to_client(get->client, "one part"));  // StructuredFilter::put
  BOOST_TEST(client.read_line().value_or("(none)") == "one part");
  BOOST_TEST(server.send_parts_to_all_clients({"bye", "now"}) == 1u);
  BOOST_TEST(client.read_line().value_or("(none)") == "bye now");
}

BOOST_AUTO_TEST_CASE(string_filters_keep_input_and_put_parts_one_message_each) {
  TcpServer server;  // "line"
  Client client("127.0.0.1", server.port());
  client.send("a b\n");
  auto in = server.wait_for_input();
  BOOST_REQUIRE(in);
  BOOST_TEST(in->input == "a b");
  BOOST_TEST(in->parts.empty());
  server.send_parts_to_client(in->client, {"x", "y"});  // Filter::put_parts: each a line
  BOOST_TEST(client.read_line().value_or("(none)") == "x");
  BOOST_TEST(client.read_line().value_or("(none)") == "y");
  auto raw = trap::net::raw_filter();
  BOOST_TEST(raw->get_parts("abc") == std::vector<Parts>{Parts{"abc"}});
  BOOST_TEST(raw->put_parts({"a", "b"}) == "ab");
}

BOOST_AUTO_TEST_CASE(a_filter_that_throws_on_get_drops_its_client) {
  TcpServer server({.filter = Words{}});
  Client client("127.0.0.1", server.port());
  client.send("fine words\nFAIL\nnever\n");
  auto err = server.wait_for("client_error");
  BOOST_REQUIRE(err);
  BOOST_TEST(err->operation == "read");
  BOOST_TEST(err->message == "no words for FAIL");
  BOOST_TEST(server.wait_for_disconnection(err->client).has_value());
  BOOST_TEST(client.closed_by_server());
  for (auto& e : server.log()) BOOST_TEST(e.kind != "client_input");  // the read threw whole
}

BOOST_AUTO_TEST_CASE(a_filter_that_throws_something_else_on_get_drops_its_client_too) {
  // Not a std::exception: still this client's error, not the program's end.
  TcpServer server({.filter = Words{}});
  Client client("127.0.0.1", server.port());
  client.send("FAIL 42\n");
  auto err = server.wait_for("client_error");
  BOOST_REQUIRE(err);
  BOOST_TEST(err->operation == "read");
  BOOST_TEST(err->message == "an exception that is not a std::exception");
  BOOST_TEST(server.wait_for_disconnection(err->client).has_value());
  BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_filter_that_throws_on_put_sends_nothing_and_says_why) {
  TcpServer server({.filter = Words{}});
  Client client("127.0.0.1", server.port());
  auto c = server.wait_for_connection().value();
  BOOST_CHECK_THROW(server.send_parts_to_client(c.client, {"ok", "FAIL"}), trap::net::FilterError);
  BOOST_CHECK_THROW(server.send_parts_to_all_clients({"FAIL"}), trap::net::FilterError);
  // The connection is unharmed and nothing half-sent came before this.
  server.send_parts_to_client(c.client, {"still", "here"});
  BOOST_TEST(client.read_line().value_or("(none)") == "still here");
}

BOOST_AUTO_TEST_CASE(one_filter_object_serves_both_directions_cloned_per_client) {
  auto clones = std::make_shared<std::atomic<int>>(0);
  trap::net::TcpServerOptions o;
  o.filter = Counted(clones);
  TcpServer server(std::move(o));
  Client a("127.0.0.1", server.port());
  Client b("127.0.0.1", server.port());
  a.send("x");
  auto in = server.wait_for_input();
  BOOST_REQUIRE(in);
  BOOST_TEST(in->input == "<x>");
  server.send_to_client(in->client, "y");
  BOOST_TEST(a.read_bytes(3) == "[y]");
  server.wait_for_connection();
  server.wait_for_connection();
  BOOST_TEST(clones->load() == 4);  // two clients, two directions
}

BOOST_AUTO_TEST_CASE(a_filter_whose_clone_throws_turns_away_only_that_client) {
  // The clone is made on the server's thread as a client is accepted: what
  // it throws turns that connection away, with a client_error, and never
  // reaches the thread's top (where it would end the program).
  auto refuse = std::make_shared<std::atomic<bool>>(false);
  trap::net::TcpServerOptions o;
  o.filter = Refusing(std::make_shared<std::atomic<int>>(0), refuse);
  TcpServer server(std::move(o));
  Client first("127.0.0.1", server.port());
  auto served = server.wait_for_connection();
  BOOST_REQUIRE(served);
  *refuse = true;
  Client turned_away("127.0.0.1", server.port());
  auto err = server.wait_for("client_error");
  BOOST_REQUIRE(err);
  BOOST_TEST(err->operation == "accept");
  BOOST_TEST(err->message == "its filter could not be made: no clone today");
  BOOST_TEST(err->info.peerport == turned_away.local_port());
  BOOST_TEST(turned_away.closed_by_server());
  BOOST_TEST(
      !server.wait_for_connection(std::chrono::milliseconds(0)).has_value());  // it never connected
  first.send("x");
  BOOST_TEST(server.wait_for_input().value_or(trap::net::ServerEvent{}).input == "<x>");
  BOOST_TEST(server.shutdown(std::chrono::milliseconds(0)).unclosed.size() ==
             1u);  // the first only
}

BOOST_AUTO_TEST_CASE(input_and_output_filters_override_the_object) {
  trap::net::TcpServerOptions o;
  o.filter = Words{};
  o.output_filter = trap::net::raw_filter();
  TcpServer server(std::move(o));
  Client client("127.0.0.1", server.port());
  client.send("two words\n");
  auto in = server.wait_for_input().value();
  BOOST_TEST(in.parts == (Parts{"two", "words"}));
  server.send_to_client(in.client, "raw");
  BOOST_TEST(client.read_bytes(3) == "raw");
}

BOOST_AUTO_TEST_CASE(a_filter_choice_is_a_name_or_an_object) {
  trap::net::FilterChoice by_name = "raw";
  BOOST_TEST(by_name == "raw");
  BOOST_TEST(!by_name.object());
  trap::net::FilterChoice object = trap::net::block_filter();
  BOOST_TEST(!(object == "block"));
  BOOST_TEST(object.name().empty());
  trap::net::FilterChoice null = std::shared_ptr<const trap::net::Filter>();
  BOOST_TEST(null == "line");
  BOOST_CHECK_THROW(TcpServer({.filter = std::string("morse")}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(the_layer_records_structured_messages_as_lists) {
  // The layer takes names only: the structured filter comes per client.
  auto r = trap::trap(":tcp_server", [](trap::Trap& t) {
    auto& server = trap::net::server(t);
    Client client("127.0.0.1", server.port());
    auto c = server.wait_for_connection().value();
    server.set_client_filter(c.client, std::make_unique<Words>());
    client.send("a b\n");
    server.wait_for_input();
    client.close();
    server.wait_for_disconnection();
  });
  // The element spelled as a Value: `Array{Array{...}}` is a copy under
  // clang (a braced list of one element of the same type), a nesting
  // under GCC.
  r.test("received_is_deeply", trap::Array{trap::Value(trap::Array{"a", "b"})});
}
