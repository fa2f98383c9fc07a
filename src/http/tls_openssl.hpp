// SPDX-License-Identifier: BSL-1.0
// OpenSSL objects owned by std::unique_ptr, and OpenSSL's errors as
// trap::TrapError: shared by certificate.cpp and tls.cpp.
#pragma once

#include <memory>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace trap::http {

/// Frees an OpenSSL object with its own free function.
template <auto Free>
struct OpenSslFree {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;

/// Throws trap::TrapError "<what>: <call> failed: <OpenSSL's first queued
/// error>" and empties this thread's OpenSSL error queue.
[[noreturn]] void throw_openssl_error(std::string_view what, std::string_view call);

/// Checks OpenSSL calls' results, throwing throw_openssl_error(what, call)
/// for a null pointer or a number below 1 (OpenSSL's failures):
/// `constexpr OpenSslCheck must{"cannot set up TLS"};`, then
/// `X509Ptr cert(must(X509_new(), "X509_new"));`.
struct OpenSslCheck {
  std::string_view what;  ///< what could not be done, first in the message
  /// @p result, unless it is null.
  template <class T>
  T* operator()(T* result, std::string_view call) const {
    if (!result) throw_openssl_error(what, call);
    return result;
  }
  /// Nothing, unless @p result is below 1.
  void operator()(long result, std::string_view call) const {
    if (result <= 0) throw_openssl_error(what, call);
  }
};

}  // namespace trap::http
