#include "server/security.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace brainserve::server {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot open '", path, "'"));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read '", path, "'"));
  }
  return contents.str();
}

void Log(const std::string& line) {
  std::fprintf(stderr, "brainserve-server: %s\n", line.c_str());
}

}  // namespace

ServerSecurity::ServerSecurity(const ServerOptions& options)
    : options_(options),
      poller_(absl::Milliseconds(options.credentials_poll_interval_ms)) {
  tls_files_.cert_file = options.tls_cert_file;
  tls_files_.key_file = options.tls_key_file;
  tls_files_.client_ca_file = options.tls_client_ca_file;
  tls_files_.reload_interval_seconds =
      static_cast<unsigned int>(options.tls_reload_interval_seconds);
}

ServerSecurity::~ServerSecurity() { Shutdown(); }

absl::StatusOr<std::unique_ptr<ServerSecurity>> ServerSecurity::Create(
    const ServerOptions& options) {
  std::unique_ptr<ServerSecurity> security(new ServerSecurity(options));
  absl::StatusOr<auth::TlsSummary> tls =
      auth::CheckTlsFiles(security->tls_files_);
  if (!tls.ok()) return tls.status();
  if (!options.auth_tokens_file.empty()) {
    // Watch before the first read, so that no change is missed.
    security->poller_.Watch(options.auth_tokens_file, [s = security.get()] {
      s->LoadTokens().IgnoreError();
    });
    absl::Status status = security->LoadTokens();
    if (!status.ok()) return status;
  }
  if (!options.metrics_basic_auth_file.empty()) {
    security->poller_.Watch(
        options.metrics_basic_auth_file,
        [s = security.get()] { s->LoadMetricsUsers().IgnoreError(); });
    absl::Status status = security->LoadMetricsUsers();
    if (!status.ok()) return status;
  }
  absl::StatusOr<std::unique_ptr<auth::AuditLog>> audit =
      auth::AuditLog::Open(options.audit_log_file);
  if (!audit.ok()) return audit.status();
  security->audit_log_ = *std::move(audit);
  security->LogStartup(*tls);
  return security;
}

absl::Status ServerSecurity::LoadTokens() {
  const std::string& path = options_.auth_tokens_file;
  absl::StatusOr<std::string> text = ReadFile(path, "auth_tokens_file");
  absl::StatusOr<auth::TokenTable> table =
      text.ok() ? auth::TokenTable::Parse(
                      *text, absl::StrCat("--auth_tokens_file '", path, "'"))
                : absl::StatusOr<auth::TokenTable>(text.status());
  if (!table.ok()) {
    if (tokens_ != nullptr) {
      Log(absl::StrCat("auth: ERROR: ", table.status().message(),
                       "; keeping the previous ", tokens_->table()->Summary()));
    }
    return table.status();
  }
  const std::string summary = table->Summary();
  if (tokens_ == nullptr) {
    tokens_ = std::make_unique<auth::TokenAuthenticator>(*std::move(table));
    Log(absl::StrCat("auth: bearer tokens from '", path, "': ", summary));
  } else {
    tokens_->Replace(*std::move(table));
    Log(absl::StrCat("auth: reloaded '", path, "': ", summary));
  }
  return absl::OkStatus();
}

absl::Status ServerSecurity::LoadMetricsUsers() {
  const std::string& path = options_.metrics_basic_auth_file;
  absl::StatusOr<std::string> text = ReadFile(path, "metrics_basic_auth_file");
  absl::StatusOr<std::vector<auth::BasicAuthUser>> users =
      text.ok()
          ? auth::ParseBasicAuthUsers(
                *text, absl::StrCat("--metrics_basic_auth_file '", path, "'"))
          : absl::StatusOr<std::vector<auth::BasicAuthUser>>(text.status());
  if (!users.ok()) {
    if (metrics_users_ != nullptr) {
      Log(absl::StrCat("metrics: ERROR: ", users.status().message(),
                       "; keeping the previous users"));
    }
    return users.status();
  }
  const size_t count = users->size();
  if (metrics_users_ == nullptr) {
    metrics_users_ =
        std::make_shared<auth::BasicAuthChecker>(*std::move(users));
  } else {
    metrics_users_->Replace(*std::move(users));
  }
  Log(absl::StrCat("metrics: basic auth from '", path, "': ", count,
                   " user(s)"));
  return absl::OkStatus();
}

void ServerSecurity::LogStartup(const auth::TlsSummary& tls) const {
  if (tls_files_.enabled()) {
    Log(absl::StrCat(
        "TLS on ", options_.listen_address, ": certificate '", tls.subject,
        "', valid until ", tls.not_after,
        tls_files_.mutual()
            ? absl::StrCat("; client certificates required (mutual TLS, ",
                           tls.client_ca_certificates, " CA certificate(s))")
            : std::string("; no client certificates")));
    if (tls.expired) {
      Log("WARNING: the TLS certificate has expired; clients will refuse it");
    }
  }
  if (tokens_ == nullptr) {
    Log("WARNING: no --auth_tokens_file: every client that reaches the gRPC "
        "port may read, change and delete models");
  } else if (!tls_files_.enabled()) {
    Log("WARNING: bearer tokens travel in plaintext: set --tls_cert_file "
        "and --tls_key_file (or terminate TLS in front of the server)");
  }
  Log(absl::StrCat("audit: writing to ", options_.audit_log_file.empty()
                                             ? std::string("stderr")
                                             : options_.audit_log_file));
}

std::function<bool(const std::string&, const std::string&)>
ServerSecurity::MetricsBasicAuth() const {
  if (metrics_users_ == nullptr) return nullptr;
  return [users = metrics_users_](const std::string& user,
                                  const std::string& password) {
    return users->Check(user, password);
  };
}

void ServerSecurity::Start(metrics::Reporter* reporter) {
  authorizer_ = std::make_unique<auth::GrpcAuthorizer>(tokens_.get(), reporter);
  poller_.Start();
}

std::shared_ptr<grpc::ServerCredentials> ServerSecurity::ListenerCredentials()
    const {
  return auth::ServerCredentialsFor(tls_files_);
}

void ServerSecurity::Reload() { poller_.ReloadNow(); }

void ServerSecurity::Shutdown() { poller_.Shutdown(); }

}  // namespace brainserve::server
