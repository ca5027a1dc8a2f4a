// TLS and mutual TLS for the gRPC listener.
//
// --tls_cert_file and --tls_key_file (PEM; the certificate file may hold the
// chain) turn TLS on; --tls_client_ca_file additionally requires every
// client to present a certificate that this CA bundle verifies (mutual
// TLS). gRPC's FileWatcherCertificateProvider re-reads all three files every
// `reload_interval_seconds`, so rotated certificates are served to new
// connections without a restart; connections already open keep their
// session and in-flight calls are not dropped. A rotation that leaves
// unreadable or mismatched files is ignored (the previous credentials stay).
// TLS 1.2 and 1.3 only (gRPC's defaults).
#ifndef BRAINSERVE_SERVER_AUTH_TLS_CREDENTIALS_H_
#define BRAINSERVE_SERVER_AUTH_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace brainserve::auth {

struct TlsFiles {
  // PEM certificate chain (leaf first) and private key; both or neither.
  std::string cert_file;
  std::string key_file;
  // PEM CA bundle that verifies client certificates; "" = no client
  // certificates asked for.
  std::string client_ca_file;
  // How often the files are re-read, in seconds (gRPC's minimum is 1).
  unsigned int reload_interval_seconds = 1;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

// What the files hold, for the start-up log.
struct TlsSummary {
  std::string subject;    // the leaf certificate's subject (RFC 2253)
  std::string not_after;  // its expiry, e.g. "Nov 21 21:20:00 2027 GMT"
  bool expired = false;
  int client_ca_certificates = 0;
};

// Reads and checks the files now: both of cert and key given, PEM that
// parses, the key belongs to the leaf certificate, the CA bundle holds at
// least one certificate. INVALID_ARGUMENT naming the flag otherwise.
absl::StatusOr<TlsSummary> CheckTlsFiles(const TlsFiles& files);

// Listener credentials: InsecureServerCredentials() when !files.enabled(),
// else TLS (and mutual TLS) backed by a FileWatcherCertificateProvider.
// Call CheckTlsFiles() first: this cannot report bad files.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const TlsFiles& files);

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_TLS_CREDENTIALS_H_
