// SPDX-License-Identifier: BSL-1.0
// The server side of HTTPS: an asio ssl::context made from a certificate
// and key held in memory. Private to trap::http (Boost.Asio stays out of
// <trap/http.hpp>).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

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
