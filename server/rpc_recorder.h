// Times one RPC and records it in the metrics when it completes; for a
// change (CreateModel, DeleteModel, UpdateParameters) it also carries the
// call's audit record and has the AuditLog write it, with the outcome, when
// the call completes. Every way a call ends goes through Complete(), so each
// audited call gets exactly one audit line, refusals and queue rejections
// included.
//
// Created when a handler starts (increments brainserve_inflight_requests);
// Complete() records brainserve_requests_total / _request_duration_seconds
// under the model it was attributed to (or model="" when none), decrements
// the in-flight gauge and returns the grpc::Status to finish the call with.
// Movable, so an asynchronous call (Forward, CreateModel, UpdateParameters)
// carries it to the thread that finishes the call.
//
// Thread safety: one instance is used by one thread at a time. The Reporter
// must outlive the recorder.
#ifndef BRAINSERVE_SERVER_RPC_RECORDER_H_
#define BRAINSERVE_SERVER_RPC_RECORDER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "server/auth/audit_log.h"
#include "server/metrics/reporter.h"

namespace brainserve::server {

class RpcRecorder {
 public:
  RpcRecorder(metrics::Reporter* reporter, metrics::Method method);
  ~RpcRecorder();

  RpcRecorder(RpcRecorder&& other) noexcept;
  RpcRecorder& operator=(RpcRecorder&&) = delete;
  RpcRecorder(const RpcRecorder&) = delete;
  RpcRecorder& operator=(const RpcRecorder&) = delete;

  // Records the request under this model's series.
  void Attribute(std::shared_ptr<metrics::ModelReporter> model) {
    model_ = std::move(model);
  }
  const std::shared_ptr<metrics::ModelReporter>& model() const {
    return model_;
  }
  absl::Time start_time() const { return start_; }

  // Audits this call: Complete() sets the event's time and outcome and
  // writes it to `log` (borrowed; must outlive the recorder).
  void Audit(auth::AuditLog* log, auth::AuditEvent event);
  // The audit record being filled (versions come from the result); null
  // when the call is not audited.
  auth::AuditEvent* audit() { return audit_.get(); }

  // Records the outcome once (later calls only convert the status).
  grpc::Status Complete(const absl::Status& status);

 private:
  void WriteAudit(const absl::Status& status);

  metrics::Reporter* reporter_;  // null after move
  metrics::Method method_;
  absl::Time start_;
  std::shared_ptr<metrics::ModelReporter> model_;
  auth::AuditLog* audit_log_ = nullptr;
  std::unique_ptr<auth::AuditEvent> audit_;
  bool done_ = false;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_RPC_RECORDER_H_
