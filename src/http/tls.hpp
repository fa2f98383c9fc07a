// SPDX-License-Identifier: BSL-1.0
// The server side of HTTPS: an asio ssl::context made from a certificate
// and key held in memory. Private to trap::http (Boost.Asio stays out of
// <trap/http.hpp>).
#pragma once

#include <string_view>

#include <boost/asio/ssl/context.hpp>

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

}  // namespace trap::http
