// SPDX-License-Identifier: BSL-1.0
// How a session under TLS ends, as a TLS client sees it: the server's last
// reply (QUIT's 221, an idle timeout's 421, shutdown()'s 421) comes in a
// record, then TLS's close_notify, so the client reads a clean end of the
// stream (asio::error::eof), not a truncated one (stream_truncated), as it
// would from a peer that vanished.
#define BOOST_TEST_MODULE smtp_server_tls_close
#include <chrono>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/smtp.hpp>

#include "smtp/raw_smtp.hpp"

using namespace std::chrono_literals;
using trap::smtp::Server;
using trap::smtp::ServerOptions;

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

/// A client of @p server that has said EHLO, STARTTLS (trusting the
/// server's CA only) and EHLO again, and now talks over TLS.
class TlsClient {
 public:
  explicit TlsClient(const Server& server) : context_(ssl::context::tls_client) {
    context_.add_certificate_authority(asio::buffer(server.ca_pem()));
    context_.set_verify_mode(ssl::verify_peer);
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    BOOST_TEST_REQUIRE(plain_reply().substr(0, 3) == "220");
    plain_command("EHLO client\r\n");
    BOOST_TEST_REQUIRE(plain_command("STARTTLS\r\n").substr(0, 3) == "220");
    stream_.handshake(ssl::stream_base::client);
    BOOST_TEST_REQUIRE(command("EHLO client\r\n").substr(0, 3) == "250");
  }

  /// Sends @p line over TLS; returns the whole reply (every line).
  std::string command(const std::string& line) {
    asio::write(stream_, asio::buffer(line));
    return reply();
  }

  /// The next reply over TLS, all of its lines.
  std::string reply() { return reply_from(stream_); }

  /// How the stream ends after the last reply: what a read then says.
  error_code end() {
    error_code ec;
    char c;
    const std::size_t n = stream_.read_some(asio::buffer(&c, 1), ec);
    BOOST_TEST(n == 0u, "nothing after the last reply");
    return ec;
  }

 private:
  // A reply's lines ("250-..." until "250 ...") from @p stream.
  template <class Stream>
  std::string reply_from(Stream& stream) {
    std::string text;
    for (;;) {
      const std::size_t n = asio::read_until(stream, asio::dynamic_buffer(buffer_), "\r\n");
      const std::string line = buffer_.substr(0, n);
      buffer_.erase(0, n);
      text += line;
      if (line.size() < 4 || line[3] != '-') return text;
    }
  }
  std::string plain_reply() { return reply_from(socket_); }
  std::string plain_command(const std::string& line) {
    asio::write(socket_, asio::buffer(line));
    return plain_reply();
  }

  asio::io_context io_;
  ssl::context context_;
  tcp::socket socket_{io_};
  ssl::stream<tcp::socket&> stream_{socket_, context_};
  std::string buffer_;
};

ServerOptions with_tls() {
  ServerOptions o;
  o.starttls = true;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(quit_ends_with_221_then_close_notify) {
  Server server(with_tls());
  TlsClient client(server);
  BOOST_TEST(client.command("QUIT\r\n").substr(0, 3) == "221");
  const error_code end = client.end();
  BOOST_TEST(end == asio::error::eof, end.message());
  BOOST_TEST(server.shutdown(5s).clean());
}

BOOST_AUTO_TEST_CASE(shutdown_says_421_then_close_notify_to_a_tls_session_left_open) {
  Server server(with_tls());
  TlsClient client(server);
  const auto report = server.shutdown(0ms);
  BOOST_TEST(report.open.size() == 1u);
  const std::string goodbye = client.reply();
  BOOST_TEST(goodbye.substr(0, 4) == "421 ", goodbye);
  const error_code end = client.end();
  BOOST_TEST(end == asio::error::eof, end.message());
}

BOOST_AUTO_TEST_CASE(an_idle_timeout_under_tls_ends_with_421_then_close_notify) {
  ServerOptions o = with_tls();
  o.idle_timeout = 200ms;
  Server server(o);
  TlsClient client(server);
  const std::string goodbye = client.reply();  // comes after idle_timeout
  BOOST_TEST(goodbye.substr(0, 4) == "421 ", goodbye);
  const error_code end = client.end();
  BOOST_TEST(end == asio::error::eof, end.message());
  server.shutdown(5s);
}

BOOST_AUTO_TEST_CASE(shutdown_in_the_middle_of_a_handshake_closes_without_a_word) {
  // After STARTTLS's 220 the server waits for the client's hello: a 421
  // there, plain or in a record, would be garbage to the client's TLS.
  Server server(with_tls());
  auto c = test_smtp::open_session(server.port());
  BOOST_TEST_REQUIRE(test_smtp::command(c, "EHLO client") == 250);
  BOOST_TEST_REQUIRE(test_smtp::command(c, "STARTTLS") == 220);
  const auto report = server.shutdown(0ms);
  BOOST_TEST(report.open.size() == 1u);
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST(c.read_bytes(1, 0ms).empty(), "nothing before the end of file");
}
