// SPDX-License-Identifier: BSL-1.0
// The test PKI, with OpenSSL 3's EVP API. Every OpenSSL object is owned by
// a unique_ptr from the moment it is made, so that every path frees it.
#include "http/certificate.hpp"

#include <cstdlib>
#include <system_error>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <trap/errors.hpp>

#include "http/tls_openssl.hpp"
#include "posix/fd.hpp"

namespace trap::http {
namespace {

constexpr OpenSslCheck must{"cannot make the test certificate"};
constexpr long kValidBefore = 60L * 60;      // an hour: clocks a little behind still accept it
constexpr long kValidAfter = 24L * 60 * 60;  // a day: longer than any test

KeyPtr make_key() {
  return KeyPtr(must(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), "EVP_PKEY_Q_keygen"));
}

// 16 hex digits, to tell one CA from another.
std::string random_hex() {
  unsigned char bytes[8];
  must(RAND_bytes(bytes, sizeof bytes), "RAND_bytes");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const unsigned char byte : bytes) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xf];
  }
  return hex;
}

void set_random_serial(X509* cert) {
  unsigned char bytes[16];
  must(RAND_bytes(bytes, sizeof bytes), "RAND_bytes");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);  // positive, 16 bytes long
  BignumPtr serial(must(BN_bin2bn(bytes, sizeof bytes, nullptr), "BN_bin2bn"));
  must(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)), "BN_to_ASN1_INTEGER");
}

// A certificate for @p key named CN=@p common_name, issued by @p issuer
// (itself when null), not yet signed.
X509Ptr new_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer) {
  X509Ptr cert(must(X509_new(), "X509_new"));
  must(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");
  set_random_serial(cert.get());
  must(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kValidBefore), "X509_gmtime_adj");
  must(X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidAfter), "X509_gmtime_adj");
  must(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
  X509_NAME* subject = X509_get_subject_name(cert.get());  // owned by cert
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  must(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0),
       "X509_NAME_add_entry_by_txt");
  must(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject),
       "X509_set_issuer_name");
  return cert;
}

// Adds extension @p nid, written as in openssl.cnf ("critical,CA:TRUE").
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr extension(
      must(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value), "X509V3_EXT_nconf_nid"));
  must(X509_add_ext(cert, extension.get(), -1), "X509_add_ext");
}

template <class Write>
std::string pem_of(Write write, const char* call) {
  BioPtr bio(must(BIO_new(BIO_s_mem()), "BIO_new"));
  must(write(bio.get()), call);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string certificate_pem(X509* cert) {
  return pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert); }, "PEM_write_bio_X509");
}

std::string key_pem(EVP_PKEY* key) {
  return pem_of(
      [&](BIO* bio) {
        return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
      },
      "PEM_write_bio_PrivateKey");
}

X509Ptr make_ca(EVP_PKEY* ca_key) {
  X509Ptr ca = new_certificate(ca_key, "trap test CA " + random_hex(), nullptr);
  add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  must(X509_sign(ca.get(), ca_key, EVP_sha256()), "X509_sign");
  return ca;
}

X509Ptr make_server_certificate(EVP_PKEY* key, X509* ca, EVP_PKEY* ca_key) {
  X509Ptr cert = new_certificate(key, "localhost", ca);
  add_extension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
  add_extension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  must(X509_sign(cert.get(), ca_key, EVP_sha256()), "X509_sign");
  return cert;
}

}  // namespace

void throw_openssl_error(std::string_view what, std::string_view call) {
  std::string reason = "no OpenSSL error queued";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  throw TrapError(std::string(what) + ": " + std::string(call) + " failed: " + reason);
}

TestPki make_test_pki() {
  const KeyPtr ca_key = make_key();
  const X509Ptr ca = make_ca(ca_key.get());
  const KeyPtr key = make_key();
  const X509Ptr cert = make_server_certificate(key.get(), ca.get(), ca_key.get());
  return {certificate_pem(ca.get()), certificate_pem(cert.get()), key_pem(key.get())};
}

CaFile::CaFile(std::string_view pem, const std::string& dir) {
  posix::NamedFile file = posix::named_temp_file(dir, "trap-ca-", ".pem");
  try {
    posix::write_all(file.fd.get(), pem.data(), pem.size());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(file.path, ignored);
    throw;
  }
  path_ = std::move(file.path);
}

CaFile::CaFile(std::string_view pem) : CaFile(pem, posix::temp_dir()) {}

CaFile::~CaFile() { remove(); }

CaFile::CaFile(CaFile&& other) noexcept : path_(std::exchange(other.path_, {})) {}

CaFile& CaFile::operator=(CaFile&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void CaFile::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  path_.clear();
}

}  // namespace trap::http
