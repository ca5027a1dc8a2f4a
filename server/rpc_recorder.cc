#include "server/rpc_recorder.h"

#include <utility>

#include "server/status_util.h"

namespace brainserve::server {

RpcRecorder::RpcRecorder(metrics::Reporter* reporter, metrics::Method method)
    : reporter_(reporter), method_(method), start_(absl::Now()) {
  reporter_->IncInflight();
}

RpcRecorder::RpcRecorder(RpcRecorder&& other) noexcept
    : reporter_(std::exchange(other.reporter_, nullptr)),
      method_(other.method_),
      start_(other.start_),
      model_(std::move(other.model_)),
      audit_log_(other.audit_log_),
      audit_(std::move(other.audit_)),
      done_(std::exchange(other.done_, true)) {}

RpcRecorder::~RpcRecorder() {
  // A call dropped without Complete() (never expected) still leaves the
  // in-flight gauge balanced and its audit line written.
  if (reporter_ != nullptr && !done_) {
    reporter_->DecInflight();
    WriteAudit(absl::InternalError("call dropped before it completed"));
  }
}

void RpcRecorder::Audit(auth::AuditLog* log, auth::AuditEvent event) {
  audit_log_ = log;
  audit_ = std::make_unique<auth::AuditEvent>(std::move(event));
}

void RpcRecorder::WriteAudit(const absl::Status& status) {
  if (audit_ == nullptr || audit_log_ == nullptr) return;
  audit_->time = absl::Now();
  audit_->outcome = status;
  audit_log_->Write(*audit_);
  audit_.reset();
}

grpc::Status RpcRecorder::Complete(const absl::Status& status) {
  if (reporter_ != nullptr && !done_) {
    done_ = true;
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    if (model_ != nullptr) {
      model_->RecordRequest(method_, status.code(), seconds);
    } else {
      reporter_->RecordRequest(method_, status.code(), seconds);
    }
    reporter_->DecInflight();
    WriteAudit(status);
  }
  return ToGrpcStatus(status);
}

}  // namespace brainserve::server
