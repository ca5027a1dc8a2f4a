// The audit trail: one JSON line per change (CreateModel, DeleteModel,
// UpdateParameters), whatever its outcome, including calls refused for
// want of a token or a role. Written by this one component; RpcRecorder
// calls Write() once per audited call when the call completes.
//
// A line (keys always in this order; absent values are null):
//   {"time":"2026-11-21T21:20:00.123456Z","type":"audit",
//    "operation":"UpdateParameters","outcome":"OK","message":"",
//    "token_id":"trainer-1","role":"writer","peer":"ipv4:10.0.0.7:51234",
//    "tls_subject":"CN=trainer,O=example","model":"mlp",
//    "old_version":1,"new_version":2,"expected_version":1,"mode":"ADD",
//    "parameters":[{"layer":"fc2","name":"bias","mode":"ADD"}]}
// `outcome` is the canonical status code name; `message` its message (capped
// at 512 bytes). `token_id` is null when authentication is off or the token
// was unknown: the token itself is never written. `mode` is REPLACE, ADD, or
// MIXED when one request does both; parameter values are never written.
//
// Thread safety: Write() may be called concurrently; each line is one
// write(2) on a file opened O_APPEND, so lines never interleave, even with
// other processes appending to the same file.
#ifndef BRAINSERVE_SERVER_AUTH_AUDIT_LOG_H_
#define BRAINSERVE_SERVER_AUTH_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace brainserve::auth {

struct AuditEvent {
  absl::Time time;
  // The RPC, e.g. "UpdateParameters".
  std::string operation;
  absl::Status outcome;
  // From the authorization check (null in JSON when empty).
  std::string token_id;
  std::string role;
  // The transport's peer, e.g. "ipv4:127.0.0.1:5000", and the verified TLS
  // client certificate's subject ("" without mutual TLS).
  std::string peer;
  std::string tls_subject;
  std::string model;
  std::optional<uint64_t> old_version;
  std::optional<uint64_t> new_version;
  std::optional<uint64_t> expected_version;
  std::string mode;
  struct Parameter {
    std::string layer;
    std::string name;
    std::string mode;
  };
  std::vector<Parameter> parameters;
};

// The JSON line for `event` (with a trailing '\n').
std::string AuditJson(const AuditEvent& event);

class AuditLog {
 public:
  // `path` "" = standard error; otherwise the file is created (mode 0600) or
  // appended to. UNAVAILABLE naming --audit_log_file if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& path);
  ~AuditLog();

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends the event's line. A failed write is reported on standard error
  // (never silently dropped) and counted in write_failures().
  void Write(const AuditEvent& event);

  int64_t write_failures() const;

 private:
  AuditLog(int fd, bool owned, std::string path);

  const int fd_;
  const bool owned_;
  const std::string path_;
  std::atomic<int64_t> write_failures_{0};
};

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_AUDIT_LOG_H_
