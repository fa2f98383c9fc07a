// SPDX-License-Identifier: BSL-1.0
// HTTPS with the test PKI (http/tls.hpp, http/certificate.hpp): a server
// context made from PEM in memory, handshakes with an Asio client that
// trusts the CA alone and with curl --cacert, what a bad certificate or
// key says, and no descriptor left over. The server is the tests' own
// (tls_peers.hpp), not trap::http::Server.
#define BOOST_TEST_MODULE http_tls
#include "http/tls.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <trap/errors.hpp>
#include <trap/process.hpp>

#include "http/certificate.hpp"
#include "http/tls_peers.hpp"
#include "support/test_support.hpp"

using test_tls::https_get;
using test_tls::TinyHttpsServer;
using trap::http::make_test_pki;
using trap::http::TestPki;

namespace {

const TestPki& shared_pki() {
  static const TestPki pki = make_test_pki();
  return pki;
}

const char* const kReply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

// Runs curl (no ~/.curlrc, no CA from the environment) on @p url with
// @p options in front of it.
trap::Trap run_curl(std::vector<std::string> options, const std::string& url) {
  std::vector<std::string> argv{TRAP_TEST_CURL, "-q",         "--silent",
                                "--show-error", "--max-time", "60"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(url);
  return trap::run(argv,
                   {.unset_environment = {"CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"}});
}

// What configure_server_context() throws for this certificate and key.
std::string setup_error(const std::string& cert_pem, const std::string& key_pem) {
  boost::asio::ssl::context context(boost::asio::ssl::context::tls_server);
  try {
    trap::http::configure_server_context(context, cert_pem, key_pem);
  } catch (const trap::TrapError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(context)

BOOST_AUTO_TEST_CASE(offers_tls_1_2_and_newer_only) {
  auto context = trap::http::make_server_context(shared_pki().cert_pem, shared_pki().key_pem);
  BOOST_TEST(SSL_CTX_get_min_proto_version(context.native_handle()) == TLS1_2_VERSION);
}

BOOST_AUTO_TEST_CASE(certificates_after_the_first_are_its_chain) {
  const TestPki& pki = shared_pki();
  auto context = trap::http::make_server_context(pki.cert_pem + pki.ca_pem, pki.key_pem);
  STACK_OF(X509)* chain = nullptr;
  BOOST_REQUIRE(SSL_CTX_get0_chain_certs(context.native_handle(), &chain) == 1);
  BOOST_TEST(sk_X509_num(chain) == 1);
}

BOOST_AUTO_TEST_CASE(a_bad_certificate_or_key_is_an_error_naming_the_call) {
  const TestPki& pki = shared_pki();
  const std::string bad_cert = setup_error("not a certificate", pki.key_pem);
  BOOST_TEST(bad_cert.rfind("cannot set up TLS: PEM_read_bio_X509 failed: error:", 0) == 0u,
             bad_cert);
  BOOST_TEST(bad_cert.find("no start line") != std::string::npos, bad_cert);
  const std::string bad_key = setup_error(pki.cert_pem, "");
  BOOST_TEST(bad_key.rfind("cannot set up TLS: PEM_read_bio_PrivateKey failed: error:", 0) == 0u,
             bad_key);
  const std::string other_key = setup_error(pki.cert_pem, make_test_pki().key_pem);
  BOOST_TEST(other_key.rfind("cannot set up TLS: SSL_CTX_use_PrivateKey failed: error:", 0) == 0u,
             other_key);
  BOOST_TEST(other_key.find("key values mismatch") != std::string::npos, other_key);
  // A failure leaves nothing in OpenSSL's error queue for the next caller.
  BOOST_TEST(ERR_peek_error() == 0u);
}

BOOST_AUTO_TEST_CASE(server_tls_holds_a_new_ca_its_context_and_its_file) {
  std::filesystem::path path;
  {
    trap::http::ServerTls tls;
    path = tls.ca_file();
    std::ifstream in(path);
    const std::string file_text{std::istreambuf_iterator<char>(in), {}};
    BOOST_TEST(file_text == tls.ca_pem());
    BOOST_TEST(tls.ca_pem() != trap::http::ServerTls().ca_pem());
    TinyHttpsServer server(tls.context());
    const auto exchange = https_get(server.port(), tls.ca_pem(), "localhost");
    BOOST_TEST(!exchange.handshake, exchange.handshake.message());
    BOOST_TEST(exchange.response == kReply);
    auto r = run_curl({"--cacert", path.string()},
                      "https://localhost:" + std::to_string(server.port()) + "/");
    BOOST_TEST(r.exit_code() == 0, r.err());
    BOOST_TEST(r.out() == "ok");
  }
  BOOST_TEST(!std::filesystem::exists(path));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(asio_client)

BOOST_AUTO_TEST_CASE(trusting_the_ca_alone_it_verifies_localhost_and_both_loopbacks) {
  const TestPki& pki = shared_pki();
  TinyHttpsServer server(pki);
  for (const char* host : {"localhost", "127.0.0.1"}) {
    BOOST_TEST_INFO(host);
    const auto exchange = https_get(server.port(), pki.ca_pem, host);
    BOOST_TEST(!exchange.handshake, exchange.handshake.message());
    BOOST_TEST(exchange.response == kReply);
  }
  TinyHttpsServer server6(pki, "::1");
  const auto exchange = https_get(server6.port(), pki.ca_pem, "::1", "::1");
  BOOST_TEST(!exchange.handshake, exchange.handshake.message());
  BOOST_TEST(exchange.response == kReply);
  BOOST_TEST(server.handshakes_ok() == 2);
  BOOST_TEST(server6.handshakes_ok() == 1);
}

BOOST_AUTO_TEST_CASE(another_name_or_another_ca_fails_the_handshake) {
  const TestPki& pki = shared_pki();
  TinyHttpsServer server(pki);
  const auto wrong_host = https_get(server.port(), pki.ca_pem, "example.com");
  BOOST_TEST(wrong_host.handshake.message().find("certificate verify failed") != std::string::npos,
             wrong_host.handshake.message());
  BOOST_TEST(wrong_host.response.empty());
  const auto wrong_ca = https_get(server.port(), make_test_pki().ca_pem, "localhost");
  BOOST_TEST(wrong_ca.handshake.message().find("certificate verify failed") != std::string::npos,
             wrong_ca.handshake.message());
  BOOST_REQUIRE(server.wait_closed(2));
  BOOST_TEST(server.handshakes_failed() == 2);
  BOOST_TEST(server.handshakes_ok() == 0);
}

BOOST_AUTO_TEST_CASE(fifty_handshakes_leave_no_descriptor) {
  const TestPki& pki = shared_pki();
  const TestPki other = make_test_pki();
  TinyHttpsServer server(pki);
  BOOST_REQUIRE(!https_get(server.port(), pki.ca_pem, "localhost").handshake);  // warm up
  BOOST_REQUIRE(server.wait_closed(1));
  const int before = test_support::count_fds();
  for (int i = 0; i < 50; ++i) {
    // Every fifth one fails: the error paths leak nothing either.
    const bool fails = i % 5 == 4;
    const auto exchange = https_get(server.port(), fails ? other.ca_pem : pki.ca_pem, "localhost");
    BOOST_REQUIRE(bool(exchange.handshake) == fails);
  }
  BOOST_REQUIRE(server.wait_closed(51));
  BOOST_TEST(server.handshakes_ok() == 41);
  BOOST_TEST(server.handshakes_failed() == 10);
  BOOST_TEST(test_support::settled_fd_count(before) == before);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(curl)

BOOST_AUTO_TEST_CASE(with_the_ca_file_it_fetches_by_address_and_by_name) {
  const TestPki& pki = shared_pki();
  const trap::http::CaFile ca(pki.ca_pem);
  TinyHttpsServer server(pki);
  const std::string port = std::to_string(server.port());
  for (const std::string& url :
       {"https://127.0.0.1:" + port + "/", "https://localhost:" + port + "/"}) {
    BOOST_TEST_INFO(url);
    auto r = run_curl({"--cacert", ca.path().string()}, url);
    BOOST_TEST(r.exit_code() == 0, r.err());
    BOOST_TEST(r.out() == "ok");
  }
  TinyHttpsServer server6(pki, "::1");
  auto r = run_curl({"--cacert", ca.path().string()},
                    "https://[::1]:" + std::to_string(server6.port()) + "/");
  BOOST_TEST(r.exit_code() == 0, r.err());
  BOOST_TEST(r.out() == "ok");
}

BOOST_AUTO_TEST_CASE(without_it_curl_refuses_the_certificate) {
  const TestPki& pki = shared_pki();
  TinyHttpsServer server(pki);
  auto r = run_curl({}, "https://127.0.0.1:" + std::to_string(server.port()) + "/");
  BOOST_TEST(r.exit_code() == 60, r.err());  // CURLE_PEER_FAILED_VERIFICATION
  BOOST_TEST(r.out() == "");
  // Nor does another server's CA do.
  const trap::http::CaFile other(make_test_pki().ca_pem);
  auto with_other = run_curl({"--cacert", other.path().string()},
                             "https://localhost:" + std::to_string(server.port()) + "/");
  BOOST_TEST(with_other.exit_code() == 60, with_other.err());
  BOOST_REQUIRE(server.wait_closed(2));
  BOOST_TEST(server.handshakes_failed() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
