#include "server/forward_call.h"

#include <chrono>
#include <utility>

namespace brainserve::server {
namespace {

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

}  // namespace

ForwardCall::ForwardCall(grpc::CallbackServerContext* context,
                         const v1::ForwardRequest* request,
                         v1::ForwardResponse* response,
                         grpc::ServerUnaryReactor* reactor,
                         ValidatedForward validated, RpcRecorder recorder)
    : context_(context),
      request_(request),
      response_(response),
      reactor_(reactor),
      validated_(std::move(validated)),
      deadline_(DeadlineOf(*context)),
      recorder_(std::move(recorder)) {}

ForwardCall::~ForwardCall() {
  if (!finished_) {
    Finish(absl::InternalError("forward call dropped without completion"));
  }
}

void ForwardCall::Finish(const absl::Status& status) {
  if (finished_) return;
  finished_ = true;
  reactor_->Finish(recorder_.Complete(status));
}

}  // namespace brainserve::server
