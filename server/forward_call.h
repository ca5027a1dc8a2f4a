// One in-flight Forward RPC, as a task for the batch scheduler.
//
// Created by the Forward handler after validation; from then on whoever owns
// the ForwardCall (the executor, the scheduler, a batch) must complete it
// exactly once with Finish(). Finish() records the RPC's metrics and finishes
// the gRPC reactor, after which gRPC may free the request and response, so
// Finish() must be the last use of them. Destroying an unfinished call
// finishes it with INTERNAL, so a call is never left hanging.
//
// Thread safety: size(), deadline() and IsCancelled() may be called from any
// thread (the scheduler calls them under its lock; they are cheap). The rest
// is used by one owner thread at a time.
#ifndef BRAINSERVE_SERVER_FORWARD_CALL_H_
#define BRAINSERVE_SERVER_FORWARD_CALL_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brainserve/v1/model_service.pb.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/batching/batch_task.h"
#include "server/request_validation.h"
#include "server/rpc_recorder.h"

namespace brainserve::server {

class ForwardCall : public batching::BatchTask {
 public:
  // `context`, `request`, `response` and `reactor` belong to gRPC and stay
  // valid until Finish(). `recorder` times the RPC since the handler started.
  ForwardCall(grpc::CallbackServerContext* context,
              const v1::ForwardRequest* request, v1::ForwardResponse* response,
              grpc::ServerUnaryReactor* reactor, ValidatedForward validated,
              RpcRecorder recorder);
  ~ForwardCall() override;

  ForwardCall(const ForwardCall&) = delete;
  ForwardCall& operator=(const ForwardCall&) = delete;

  // BatchTask: rows, the client's deadline, and client cancellation.
  int64_t size() const override { return validated_.batch_rows; }
  absl::Time deadline() const override { return deadline_; }
  bool IsCancelled() const override { return context_->IsCancelled(); }

  const v1::ForwardRequest& request() const { return *request_; }
  v1::ForwardResponse* response() { return response_; }
  const engine::MaskMap& masks() const { return validated_.masks; }
  TensorEncoding encoding() const { return validated_.encoding; }
  RpcRecorder& recorder() { return recorder_; }

  // Completes the RPC with `status` (the response must be filled when OK).
  // Later calls are ignored.
  void Finish(const absl::Status& status);
  bool finished() const { return finished_; }

 private:
  grpc::CallbackServerContext* const context_;
  const v1::ForwardRequest* const request_;
  v1::ForwardResponse* const response_;
  grpc::ServerUnaryReactor* const reactor_;
  const ValidatedForward validated_;
  const absl::Time deadline_;
  RpcRecorder recorder_;
  bool finished_ = false;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_FORWARD_CALL_H_
