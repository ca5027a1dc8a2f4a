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
      done_(std::exchange(other.done_, true)) {}

RpcRecorder::~RpcRecorder() {
  // A call dropped without Complete() (never expected) still leaves the
  // in-flight gauge balanced.
  if (reporter_ != nullptr && !done_) reporter_->DecInflight();
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
  }
  return ToGrpcStatus(status);
}

}  // namespace brainserve::server
