// SPDX-License-Identifier: BSL-1.0
// trap::http::Server with a Boost.Beast client in C++, as a user's HTTP
// client library would talk to it: keep-alive, a chunked response read by
// Beast's parser, a chunked upload, faults the client sees as Beast's
// errors, and HTTPS trusting the server's CA alone. Every operation is
// bounded by the socket's timeout.
#define BOOST_TEST_MODULE http_beast_client
#include <chrono>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using trap::http::Fault;
using trap::http::Response;
using trap::http::Server;

namespace {

// One client connection to 127.0.0.1:port, every read and write bounded.
struct BeastClient {
  explicit BeastClient(std::uint16_t port) : stream(ctx) {
    stream.expires_after(std::chrono::seconds(5));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  bhttp::response<bhttp::string_body> exchange(bhttp::request<bhttp::string_body> req) {
    req.set(bhttp::field::host, "127.0.0.1");
    if (!req.chunked()) req.prepare_payload();  // it would replace chunked by a length
    stream.expires_after(std::chrono::seconds(5));
    bhttp::write(stream, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    return res;
  }
  asio::io_context ctx;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

bhttp::request<bhttp::string_body> get(const std::string& target) {
  return {bhttp::verb::get, target, 11};
}

}  // namespace

BOOST_AUTO_TEST_CASE(keep_alive_with_a_beast_client) {
  Server server;
  server.enqueue(Response::text(200, "one"));
  server.enqueue(Response::json(201, R"({"two": 2})"));
  BeastClient client(server.port());
  auto first = client.exchange(get("/a"));
  auto second = client.exchange(get("/b?x=1"));
  BOOST_TEST(first.result_int() == 200);
  BOOST_TEST(first.body() == "one");
  BOOST_TEST(first.keep_alive());
  BOOST_TEST(second.result_int() == 201);
  BOOST_TEST(second[bhttp::field::content_type] == "application/json");
  auto a = server.take_request(), b = server.take_request();
  BOOST_REQUIRE((a && b));
  BOOST_TEST(a->connection == b->connection);  // one connection for both
  BOOST_TEST(b->query_param("x").value_or("") == "1");
}

BOOST_AUTO_TEST_CASE(a_chunked_response_and_a_chunked_upload) {
  Server server;
  Response chunked = Response::text(200, std::string(10'000, 'c'));
  chunked.chunked = true;
  chunked.chunk_size = 1000;
  server.enqueue(chunked);
  server.enqueue(Response::text(200, "got it"));
  BeastClient client(server.port());
  auto res = client.exchange(get("/big"));
  BOOST_TEST(res.chunked());
  BOOST_TEST(res.body() == std::string(10'000, 'c'));
  bhttp::request<bhttp::string_body> post{bhttp::verb::post, "/upload", 11};
  post.body() = "a body sent in chunks";
  post.chunked(true);
  auto answer = client.exchange(std::move(post));
  BOOST_TEST(answer.body() == "got it");
  server.take_request();
  auto upload = server.take_request();
  BOOST_REQUIRE(upload);
  BOOST_TEST(upload->chunked);
  BOOST_TEST(upload->body == "a body sent in chunks");
}

BOOST_AUTO_TEST_CASE(a_body_cut_short_is_beasts_partial_message) {
  Server server;
  Response cut = Response::text(200, std::string(1000, 'x'));
  cut.fault = Fault::close_mid_body;
  server.enqueue(cut);
  BeastClient client(server.port());
  BOOST_CHECK_EXCEPTION(client.exchange(get("/cut")), boost::system::system_error,
                        [](const boost::system::system_error& e) {
                          return e.code() == bhttp::error::partial_message;
                        });
}

BOOST_AUTO_TEST_CASE(a_reset_is_a_connection_reset) {
  Server server;
  Response reset = Response::text(200, "never");
  reset.fault = Fault::reset;
  server.enqueue(reset);
  BeastClient client(server.port());
  BOOST_CHECK_EXCEPTION(client.exchange(get("/reset")), boost::system::system_error,
                        [](const boost::system::system_error& e) {
                          return e.code() == asio::error::connection_reset;
                        });
}

BOOST_AUTO_TEST_CASE(https_trusting_the_servers_ca_alone) {
  Server server = Server::tls();
  server.enqueue(Response::text(200, "secret"));
  server.enqueue(Response::text(200, "again"));
  asio::io_context ctx;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.add_certificate_authority(asio::buffer(server.ca_pem()));
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ctx, tls);
  stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  beast::get_lowest_layer(stream).connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  stream.handshake(asio::ssl::stream_base::client);
  beast::flat_buffer buffer;
  for (const char* expected : {"secret", "again"}) {  // keep-alive over TLS
    auto req = get("/vault");
    req.set(bhttp::field::host, "localhost");
    bhttp::write(stream, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    BOOST_TEST(res.body() == expected);
  }
  boost::system::error_code ignored;
  stream.shutdown(ignored);  // close_notify both ways
  auto a = server.take_request(), b = server.take_request();
  BOOST_REQUIRE((a && b));
  BOOST_TEST(a->connection == b->connection);
}

BOOST_AUTO_TEST_CASE(https_refused_by_a_client_that_trusts_another_ca) {
  Server server = Server::tls(), other = Server::tls();
  asio::io_context ctx;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.add_certificate_authority(asio::buffer(other.ca_pem()));  // not this server's
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ctx, tls);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  beast::get_lowest_layer(stream).connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  boost::system::error_code ec;
  stream.handshake(asio::ssl::stream_base::client, ec);
  BOOST_TEST((ec.category() == asio::error::get_ssl_category()));
  BOOST_TEST(ec.message().find("certificate verify failed") != std::string::npos, ec.message());
}
