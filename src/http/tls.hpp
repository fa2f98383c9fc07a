// SPDX-License-Identifier: BSL-1.0
// The server side of HTTPS: an asio ssl::context made from a certificate
// and key held in memory. Private to trap::http (Boost.Asio stays out of
// <trap/http.hpp>).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "http/certificate.hpp"

namespace trap::http {

/// Sets up @p context, a server-side context, to offer TLS 1.2 and newer
/// only, with the certificate (and any CA certificates after it, sent as
/// its chain) of @p cert_pem and the private key of @p key_pem, both PEM
/// held in memory: no file is read. Compression and renegotiation are off.
/// @throws trap::TrapError naming the OpenSSL call that failed: a PEM that
/// does not parse ("PEM_read_bio_X509", "PEM_read_bio_PrivateKey"), a key
/// that is not the certificate's ("SSL_CTX_use_PrivateKey").
void configure_server_context(boost::asio::ssl::context& context, std::string_view cert_pem,
                              std::string_view key_pem);

/// What Go's TLS server answers a client that sends plain HTTP, then
/// closes: "HTTP/1.0 400 Bad Request", an empty line, "Client sent an HTTP
/// request to an HTTPS server." and a newline.
extern const std::string_view kPlainHttpAnswer;

/// Whether @p first, the first bytes a client sent where a ClientHello was
/// due, begin a plain HTTP request line: a method of capital letters, then
/// a space or the end of @p first ("GET /", "OPTIO"; Go's net/http looks
/// at five bytes so). A TLS record never begins with a letter.
bool looks_like_plain_http(std::string_view first);

/// Whether @p error, a failed server handshake, is OpenSSL finding an HTTP
/// request ("GET ", "POST ", "HEAD ", "PUT ") or a proxy's CONNECT where a
/// TLS record was due (no alert sent: the connection is still clean).
bool is_plain_http_error(const boost::system::error_code& error);

/// A new server-side context set up by configure_server_context().
boost::asio::ssl::context make_server_context(std::string_view cert_pem, std::string_view key_pem);

/// Everything an HTTPS test server holds, made when it starts: a new test
/// PKI (make_test_pki()), the server context for its certificate, and its
/// CA in a file (CaFile, removed with this object).
class ServerTls {
 public:
  /// Makes all three (about 1.5 ms).
  /// @throws trap::TrapError when OpenSSL fails; std::system_error when the
  /// CA file cannot be written.
  ServerTls();
  /// The context to make the server's TLS streams with.
  boost::asio::ssl::context& context() { return context_; }
  /// The CA certificate in PEM, what a client must trust.
  const std::string& ca_pem() const { return pki_.ca_pem; }
  /// The file holding ca_pem() (curl --cacert).
  const std::filesystem::path& ca_file() const { return ca_file_.path(); }

 private:
  TestPki pki_;
  boost::asio::ssl::context context_;
  CaFile ca_file_;
};

}  // namespace trap::http
