// Throwaway certificates for the TLS tests, generated with the `openssl`
// command at test time (EC P-256, valid for 2 days) into a fresh temp dir:
//
//   ca / other_ca          two unrelated CAs
//   server                 CN=localhost, SAN DNS:localhost IP:127.0.0.1, by ca
//   rotated_server         the same names, by other_ca (rotation tests)
//   client                 CN=trainer,O=brainserve test, by ca
//   other_client           CN=intruder, by other_ca
//
// Thread safety: Create() may run concurrently; a TestPki is immutable.
#ifndef BRAINSERVE_TESTS_TESTING_TEST_PKI_H_
#define BRAINSERVE_TESTS_TESTING_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace brainserve::testing {

struct CertKey {
  std::string cert_file;  // PEM
  std::string key_file;   // PEM, unencrypted
  std::string cert_pem() const;
  std::string key_pem() const;
};

struct TestPki {
  std::string dir;
  CertKey ca;
  CertKey other_ca;
  CertKey server;
  CertKey rotated_server;
  CertKey client;
  CertKey other_client;

  // Generates everything; errors carry openssl's output.
  static absl::StatusOr<TestPki> Create();
};

// The whole file (empty if unreadable).
std::string ReadFileOrEmpty(const std::string& path);
// Writes `contents` to `path` atomically (temp file + rename), the way
// Kubernetes and most deploy tools replace a file.
void ReplaceFile(const std::string& path, const std::string& contents);

}  // namespace brainserve::testing

#endif  // BRAINSERVE_TESTS_TESTING_TEST_PKI_H_
