// SPDX-License-Identifier: BSL-1.0
#include "http/tls.hpp"

#include <climits>
#include <string_view>

#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <trap/errors.hpp>

#include "http/tls_openssl.hpp"

namespace trap::http {
namespace {

constexpr OpenSslCheck must{"cannot set up TLS"};

// Never asks for a password (the default would read one from the
// terminal): an encrypted key is an error.
int no_password(char*, int, int, void*) { return 0; }

BioPtr memory_bio(std::string_view pem) {
  if (pem.size() > INT_MAX) throw UsageError("trap::http: a PEM of more than 2 GiB");
  return BioPtr(must(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), "BIO_new_mem_buf"));
}

// The first certificate of @p pem is the server's, those after it its chain.
void use_certificate_chain(SSL_CTX* ctx, std::string_view pem) {
  const BioPtr bio = memory_bio(pem);
  const X509Ptr cert(
      must(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr), "PEM_read_bio_X509"));
  must(SSL_CTX_use_certificate(ctx, cert.get()), "SSL_CTX_use_certificate");
  must(SSL_CTX_clear_chain_certs(ctx), "SSL_CTX_clear_chain_certs");
  while (const X509Ptr next{PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr)})
    must(SSL_CTX_add1_chain_cert(ctx, next.get()), "SSL_CTX_add1_chain_cert");
  ERR_clear_error();  // the read that found no more certificates left an error
}

void use_private_key(SSL_CTX* ctx, std::string_view pem) {
  const BioPtr bio = memory_bio(pem);
  const KeyPtr key(must(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr),
                        "PEM_read_bio_PrivateKey"));
  must(SSL_CTX_use_PrivateKey(ctx, key.get()), "SSL_CTX_use_PrivateKey");
}

}  // namespace

void configure_server_context(boost::asio::ssl::context& context, std::string_view cert_pem,
                              std::string_view key_pem) {
  SSL_CTX* ctx = context.native_handle();
  ERR_clear_error();  // so that an error reported is this call's own
  must(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION), "SSL_CTX_set_min_proto_version");
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  use_certificate_chain(ctx, cert_pem);
  use_private_key(ctx, key_pem);
  must(SSL_CTX_check_private_key(ctx), "SSL_CTX_check_private_key");
}

const std::string_view kPlainHttpAnswer =
    "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

bool looks_like_plain_http(std::string_view first) {
  std::size_t letters = 0;
  while (letters < first.size() && first[letters] >= 'A' && first[letters] <= 'Z') ++letters;
  return letters > 0 && (letters == first.size() || first[letters] == ' ');
}

bool is_plain_http_error(const boost::system::error_code& error) {
  if (error.category() != boost::asio::error::get_ssl_category()) return false;
  const int reason = ERR_GET_REASON(static_cast<unsigned long>(error.value()));
  return reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST;
}

boost::asio::ssl::context make_server_context(std::string_view cert_pem, std::string_view key_pem) {
  boost::asio::ssl::context context(boost::asio::ssl::context::tls_server);
  configure_server_context(context, cert_pem, key_pem);
  return context;
}

ServerTls::ServerTls()
    : pki_(make_test_pki()),
      context_(make_server_context(pki_.cert_pem, pki_.key_pem)),
      ca_file_(pki_.ca_pem) {}

}  // namespace trap::http
