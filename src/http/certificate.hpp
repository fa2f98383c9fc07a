// SPDX-License-Identifier: BSL-1.0
// The test PKI of an HTTPS server: a CA made for one server alone, a
// certificate it signs for 127.0.0.1, ::1 and localhost, and the CA in a
// file a client such as curl can be pointed at. Nothing here is secret or
// kept: a new CA is made every time (OpenSSL 3).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace trap::http {

/// A CA certificate and a server certificate it signed, with the server's
/// key, all in PEM.
struct TestPki {
  std::string ca_pem;    ///< the CA's certificate, what a client trusts
  std::string cert_pem;  ///< the server's certificate
  std::string key_pem;   ///< the server's private key (PKCS#8, unencrypted)
};

/// Makes a new test PKI, ECDSA P-256 keys signed with SHA-256:
/// - a CA "CN=trap test CA <random hex>", basicConstraints CA:TRUE
///   (critical), keyUsage keyCertSign and cRLSign (critical);
/// - a server certificate it signs, "CN=localhost", subjectAltName
///   IP:127.0.0.1, IP:::1 and DNS:localhost, extendedKeyUsage serverAuth;
/// both valid from an hour ago to a day from now, with random serials.
/// The CA's key is dropped once it has signed: nothing else can be signed
/// by it.
/// @throws trap::TrapError naming the OpenSSL call that failed and
/// OpenSSL's error string.
TestPki make_test_pki();

/// A CA certificate in a private temp file (mode 0600), for clients that
/// read the CA they trust from a file (curl --cacert); the file is removed
/// when its CaFile is destroyed.
class CaFile {
 public:
  /// Writes @p pem to a new file "trap-ca-XXXXXX.pem" in @p dir.
  /// @throws std::system_error when the file cannot be made or written (no
  /// file is left behind then).
  CaFile(std::string_view pem, const std::string& dir);
  /// The same in the temp directory: $TEST_TMPDIR, $TMPDIR, or /tmp.
  explicit CaFile(std::string_view pem);
  /// Removes the file (errors ignored: it may be gone already).
  ~CaFile();
  /// Takes the other's file; the moved-from one removes nothing.
  CaFile(CaFile&& other) noexcept;
  /// Removes this one's file, then takes the other's.
  CaFile& operator=(CaFile&& other) noexcept;
  CaFile(const CaFile&) = delete;
  CaFile& operator=(const CaFile&) = delete;

  /// Where the file is (empty for a moved-from CaFile).
  const std::filesystem::path& path() const { return path_; }

 private:
  void remove() noexcept;
  std::filesystem::path path_;
};

}  // namespace trap::http
