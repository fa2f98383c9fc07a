// SPDX-License-Identifier: BSL-1.0
// The test PKI of trap::http's HTTPS server (http/certificate.hpp): the
// chain verifies with OpenSSL for 127.0.0.1, ::1 and localhost and for
// nothing else, every call makes a new CA, and the CA file is private and
// removed.
#define BOOST_TEST_MODULE http_certificate
#include "http/certificate.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include <boost/test/unit_test.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <trap/errors.hpp>

#include "http/tls_openssl.hpp"
#include "posix/fd.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using trap::http::CaFile;
using trap::http::make_test_pki;
using trap::http::TestPki;
using trap::http::X509Ptr;

namespace {

using StorePtr = std::unique_ptr<X509_STORE, trap::http::OpenSslFree<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, trap::http::OpenSslFree<X509_STORE_CTX_free>>;

X509Ptr parse_certificate(const std::string& pem) {
  trap::http::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  BOOST_REQUIRE(cert);
  return cert;
}

trap::http::KeyPtr parse_key(const std::string& pem) {
  trap::http::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  trap::http::KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  BOOST_REQUIRE(key);
  return key;
}

// X509_verify_cert on @p cert_pem, trusting @p ca_pem alone, as a TLS
// server's certificate for @p name (an IP address or a host name):
// X509_V_OK, or the error it found.
int verify(const std::string& cert_pem, const std::string& ca_pem, const std::string& name) {
  const X509Ptr cert = parse_certificate(cert_pem);
  const X509Ptr ca = parse_certificate(ca_pem);
  const StorePtr store(X509_STORE_new());
  BOOST_REQUIRE(X509_STORE_add_cert(store.get(), ca.get()) == 1);
  const StoreCtxPtr ctx(X509_STORE_CTX_new());
  BOOST_REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) == 1);
  BOOST_REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) == 1);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // As curl and browsers do: a host name is looked for in subjectAltName
  // only, never in the subject's CN.
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1)
    BOOST_REQUIRE(X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0) == 1);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

std::string subject_of(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A new empty directory, removed with everything in it at the end.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "trap-ca-test-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

// Sets an environment variable for a scope (nullptr: unsets it).
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  const char* name_;
  std::optional<std::string> old_;
};

const TestPki& shared_pki() {
  static const TestPki pki = make_test_pki();
  return pki;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chain)

BOOST_AUTO_TEST_CASE(verifies_for_the_loopback_addresses_and_localhost) {
  const TestPki& pki = shared_pki();
  for (const char* name : {"127.0.0.1", "::1", "localhost"}) {
    BOOST_TEST_INFO(name);
    BOOST_TEST(verify(pki.cert_pem, pki.ca_pem, name) == X509_V_OK);
  }
}

BOOST_AUTO_TEST_CASE(fails_for_any_other_name) {
  const TestPki& pki = shared_pki();
  BOOST_TEST(verify(pki.cert_pem, pki.ca_pem, "example.com") == X509_V_ERR_HOSTNAME_MISMATCH);
  BOOST_TEST(verify(pki.cert_pem, pki.ca_pem, "localhost.localdomain") ==
             X509_V_ERR_HOSTNAME_MISMATCH);
  BOOST_TEST(verify(pki.cert_pem, pki.ca_pem, "127.0.0.2") == X509_V_ERR_IP_ADDRESS_MISMATCH);
  BOOST_TEST(verify(pki.cert_pem, pki.ca_pem, "::2") == X509_V_ERR_IP_ADDRESS_MISMATCH);
}

BOOST_AUTO_TEST_CASE(the_ca_certifies_itself_and_nothing_but_signing) {
  const X509Ptr ca = parse_certificate(shared_pki().ca_pem);
  BOOST_TEST(X509_get_version(ca.get()) == X509_VERSION_3);
  BOOST_TEST(X509_check_issued(ca.get(), ca.get()) == X509_V_OK);
  BOOST_TEST(X509_check_ca(ca.get()) == 1);
  const int at = X509_get_ext_by_NID(ca.get(), NID_basic_constraints, -1);
  BOOST_REQUIRE(at >= 0);
  BOOST_TEST(X509_EXTENSION_get_critical(X509_get_ext(ca.get(), at)) == 1);
  BOOST_TEST(X509_get_key_usage(ca.get()) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  const std::string subject = subject_of(ca.get());
  BOOST_TEST(subject.rfind("/CN=trap test CA ", 0) == 0u, subject);
  BOOST_TEST(subject.size() == std::string("/CN=trap test CA ").size() + 16, subject);
}

BOOST_AUTO_TEST_CASE(the_server_certificate_is_for_serving_and_signed_by_the_ca) {
  const TestPki& pki = shared_pki();
  const X509Ptr cert = parse_certificate(pki.cert_pem);
  const X509Ptr ca = parse_certificate(pki.ca_pem);
  BOOST_TEST(X509_check_issued(ca.get(), cert.get()) == X509_V_OK);
  BOOST_TEST(X509_verify(cert.get(), X509_get0_pubkey(ca.get())) == 1);
  BOOST_TEST(X509_check_ca(cert.get()) == 0);
  BOOST_TEST(X509_get_extended_key_usage(cert.get()) == XKU_SSL_SERVER);
  BOOST_TEST(X509_get_key_usage(cert.get()) == KU_DIGITAL_SIGNATURE);
  BOOST_TEST(subject_of(cert.get()) == "/CN=localhost");
}

BOOST_AUTO_TEST_CASE(valid_from_an_hour_ago_for_a_day) {
  for (const std::string& pem : {shared_pki().ca_pem, shared_pki().cert_pem}) {
    const X509Ptr cert = parse_certificate(pem);
    std::time_t soon_after_start = std::time(nullptr) - 3500;
    std::time_t a_day_less_a_minute = std::time(nullptr) + 24 * 3600 - 60;
    std::time_t two_days = std::time(nullptr) + 48 * 3600;
    BOOST_TEST(X509_cmp_time(X509_get0_notBefore(cert.get()), &soon_after_start) == -1);
    BOOST_TEST(X509_cmp_time(X509_get0_notAfter(cert.get()), &a_day_less_a_minute) == 1);
    BOOST_TEST(X509_cmp_time(X509_get0_notAfter(cert.get()), &two_days) == -1);
  }
}

BOOST_AUTO_TEST_CASE(keys_are_unencrypted_p256_and_the_server_key_fits_its_certificate) {
  const TestPki& pki = shared_pki();
  BOOST_TEST(pki.key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0u);
  const trap::http::KeyPtr key = parse_key(pki.key_pem);
  BOOST_TEST(EVP_PKEY_is_a(key.get(), "EC") == 1);
  char group[64] = {};
  BOOST_REQUIRE(EVP_PKEY_get_group_name(key.get(), group, sizeof group, nullptr) == 1);
  BOOST_TEST(std::string(group) == "prime256v1");
  BOOST_TEST(X509_check_private_key(parse_certificate(pki.cert_pem).get(), key.get()) == 1);
  BOOST_TEST(X509_check_private_key(parse_certificate(pki.ca_pem).get(), key.get()) == 0);
}

BOOST_AUTO_TEST_CASE(every_call_makes_a_new_ca_and_serials) {
  const TestPki& a = shared_pki();
  const TestPki b = make_test_pki();
  BOOST_TEST(a.ca_pem != b.ca_pem);
  BOOST_TEST(a.key_pem != b.key_pem);
  const X509Ptr ca_a = parse_certificate(a.ca_pem), ca_b = parse_certificate(b.ca_pem);
  BOOST_TEST(subject_of(ca_a.get()) != subject_of(ca_b.get()));
  BOOST_TEST(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca_a.get()),
                              X509_get0_serialNumber(ca_b.get())) != 0);
  // One server's certificate is worth nothing to a client trusting another's CA.
  BOOST_TEST(verify(a.cert_pem, b.ca_pem, "localhost") ==
             X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  BOOST_TEST(verify(b.cert_pem, a.ca_pem, "127.0.0.1") ==
             X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(openssl_errors_name_the_call_and_the_first_error_and_are_cleared) {
  auto message = [] {
    try {
      trap::http::throw_openssl_error("cannot do it", "SSL_do_it");
    } catch (const trap::TrapError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ERR_clear_error();
  ERR_raise(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH);
  ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
  const std::string first = message();
  BOOST_TEST(first.rfind("cannot do it: SSL_do_it failed: error:", 0) == 0u, first);
  BOOST_TEST(first.find("key values mismatch") != std::string::npos, first);
  BOOST_TEST(ERR_peek_error() == 0u);
  BOOST_TEST(message() == "cannot do it: SSL_do_it failed: no OpenSSL error queued");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ca_file)

BOOST_AUTO_TEST_CASE(holds_the_pem_privately_until_destroyed) {
  TempDir dir;
  fs::path path;
  {
    const CaFile file(shared_pki().ca_pem, dir.path.string());
    path = file.path();
    BOOST_TEST(path.parent_path() == dir.path);
    BOOST_TEST(path.filename().string().rfind("trap-ca-", 0) == 0u);
    BOOST_TEST(path.extension() == ".pem");
    BOOST_TEST(read_file(path) == shared_pki().ca_pem);
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
  }
  BOOST_TEST(!fs::exists(path));
  BOOST_TEST(test_support::count_entries(dir.path.string()) == 0);
}

BOOST_AUTO_TEST_CASE(goes_to_test_tmpdir_or_tmpdir_or_else_tmp) {
  TempDir dir, bazel;
  const ScopedEnv no_test_tmpdir("TEST_TMPDIR", nullptr);
  {
    const ScopedEnv tmpdir("TMPDIR", dir.path.c_str());
    const CaFile file("pem");
    BOOST_TEST(file.path().parent_path() == dir.path);
    // Bazel's private directory comes first, as for capture files.
    const ScopedEnv test_tmpdir("TEST_TMPDIR", bazel.path.c_str());
    const CaFile in_bazel("pem");
    BOOST_TEST(in_bazel.path().parent_path() == bazel.path);
  }
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    const ScopedEnv tmpdir("TMPDIR", unset);
    const ScopedEnv test_tmpdir("TEST_TMPDIR", unset);
    const CaFile file("pem");
    BOOST_TEST(file.path().parent_path() == fs::path("/tmp"));
  }
}

BOOST_AUTO_TEST_CASE(a_moved_file_is_removed_once_by_its_last_owner) {
  TempDir dir;
  CaFile first("one", dir.path.string());
  const fs::path one = first.path();
  CaFile second(std::move(first));
  BOOST_TEST(first.path().empty());
  BOOST_TEST(second.path() == one);
  CaFile third("three", dir.path.string());
  const fs::path three = third.path();
  third = std::move(second);  // three's file goes, one's stays
  BOOST_TEST(!fs::exists(three));
  BOOST_TEST(read_file(one) == "one");
  { const CaFile gone(std::move(third)); }
  BOOST_TEST(!fs::exists(one));
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_made_is_an_error_naming_the_directory) {
  try {
    const CaFile file("pem", "/nonexistent/trap");
    BOOST_FAIL("no error");
  } catch (const std::system_error& e) {
    BOOST_TEST(e.code().value() == ENOENT);
    BOOST_TEST(std::string(e.what()).find("cannot create temp file in \"/nonexistent/trap\"") !=
                   std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_failed_write_leaves_no_file) {
  TempDir dir;
  trap::posix::inject_fault("write", 1, ENOSPC);
  BOOST_CHECK_EXCEPTION(
      CaFile(shared_pki().ca_pem, dir.path.string()), std::system_error,
      [](const std::system_error& e) { return e.code() == std::errc::no_space_on_device; });
  BOOST_TEST(trap::posix::pending_faults() == 0);
  BOOST_TEST(test_support::count_entries(dir.path.string()) == 0);
}

BOOST_AUTO_TEST_CASE(a_failed_create_leaves_no_file) {
  TempDir dir;
  trap::posix::inject_fault("mkstemp", 1, EMFILE);
  BOOST_CHECK_THROW(CaFile("pem", dir.path.string()), std::system_error);
  BOOST_TEST(trap::posix::pending_faults() == 0);
  BOOST_TEST(test_support::count_entries(dir.path.string()) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
