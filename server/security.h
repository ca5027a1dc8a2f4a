// The server's security module (parts in server/auth/): TLS credentials for
// the gRPC listener, the token table behind the authorizer every handler
// calls, the audit log, the metrics endpoint's basic-auth credentials, and
// the poller that re-reads the token file and metrics credentials when they
// change (TLS files are re-read by gRPC's own watcher).
//
// Lifecycle: Create() (checks and loads every file, so a bad file fails
// start-up naming its flag) -> Start(reporter) (builds the authorizer,
// starts polling) -> Shutdown() (stops polling; idempotent, also run by the
// destructor). Reload() re-reads now (SIGHUP). A file that turns bad later
// is reported on stderr and the previous contents stay in force.
//
// Thread safety: accessors and Reload() may be called from any thread after
// Start(). Borrowed pointers stay valid until destruction.
#ifndef BRAINSERVE_SERVER_SECURITY_H_
#define BRAINSERVE_SERVER_SECURITY_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/auth/audit_log.h"
#include "server/auth/basic_auth.h"
#include "server/auth/file_poller.h"
#include "server/auth/grpc_authorizer.h"
#include "server/auth/tls_credentials.h"
#include "server/auth/token_authenticator.h"
#include "server/metrics/reporter.h"
#include "server/server_options.h"

namespace brainserve::server {

class ServerSecurity {
 public:
  static absl::StatusOr<std::unique_ptr<ServerSecurity>> Create(
      const ServerOptions& options);
  ~ServerSecurity();

  ServerSecurity(const ServerSecurity&) = delete;
  ServerSecurity& operator=(const ServerSecurity&) = delete;

  // The check for PrometheusReporterOptions::basic_auth; an empty function
  // without --metrics_basic_auth_file.
  std::function<bool(const std::string&, const std::string&)> MetricsBasicAuth()
      const;

  // `reporter` (borrowed) counts refused calls.
  void Start(metrics::Reporter* reporter);

  // Credentials for --listen: TLS / mutual TLS, or plaintext.
  std::shared_ptr<grpc::ServerCredentials> ListenerCredentials() const;

  // Valid after Start().
  const auth::GrpcAuthorizer* authorizer() const { return authorizer_.get(); }
  auth::AuditLog* audit_log() const { return audit_log_.get(); }

  // Re-reads the token file and the metrics credentials now.
  void Reload();

  void Shutdown();

 private:
  explicit ServerSecurity(const ServerOptions& options);

  absl::Status LoadTokens();
  absl::Status LoadMetricsUsers();
  void LogStartup(const auth::TlsSummary& tls) const;

  const ServerOptions options_;
  auth::TlsFiles tls_files_;
  // Null when --auth_tokens_file is not set.
  std::unique_ptr<auth::TokenAuthenticator> tokens_;
  // Null when --metrics_basic_auth_file is not set. Shared with the
  // exporter's threads through MetricsBasicAuth().
  std::shared_ptr<auth::BasicAuthChecker> metrics_users_;
  std::unique_ptr<auth::AuditLog> audit_log_;
  std::unique_ptr<auth::GrpcAuthorizer> authorizer_;
  auth::FilePoller poller_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_SECURITY_H_
