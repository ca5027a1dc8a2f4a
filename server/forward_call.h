// One in-flight forward request, as a task for the batch scheduler, whatever
// front end it came from (brainserve.v1 Forward, the Open Inference
// Protocol's ModelInfer over gRPC, or its HTTP/REST form).
//
// A ForwardCall is the front-end-neutral part: batch rows, masks, deadline,
// the RpcRecorder timing it, and exactly-once completion. What is specific
// to a front end (where the input floats are read from, how the output is
// written into its response, how the call is finished and whether the
// client cancelled) lives behind ForwardIo, so forward_batch.h runs every
// kind of call through the same code.
//
// Created by a handler after validation; from then on whoever owns the
// ForwardCall (the executor, the scheduler, a batch) must complete it exactly
// once with Finish(). Finish() records the call's metrics and then finishes
// the front end's call (ForwardIo::Finish), after which the front end may
// free its request and response, so Finish() must be the last use of them.
// Destroying an unfinished call finishes it with INTERNAL, so a call is never
// left hanging.
//
// Thread safety: size(), deadline() and IsCancelled() may be called from any
// thread (the scheduler calls them under its lock; they are cheap). The rest
// is used by one owner thread at a time.
#ifndef BRAINSERVE_SERVER_FORWARD_CALL_H_
#define BRAINSERVE_SERVER_FORWARD_CALL_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "brainserve/v1/model_service.pb.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/batching/batch_task.h"
#include "server/request_validation.h"
#include "server/rpc_recorder.h"

namespace brainserve::server {

// The front end's side of a ForwardCall. Implementations hold the request
// and response they were made for; they are used by one thread at a time,
// except IsCancelled(), which must be thread-safe.
class ForwardIo {
 public:
  virtual ~ForwardIo() = default;
  // Copies the validated input, batch_rows * input_sample_size floats, into
  // `dst`.
  virtual void CopyInput(float* dst) const = 0;
  // The validated input in place, if the request holds it as host floats
  // (values, or raw bytes on a little-endian host at a float-aligned
  // address): a batch of this call alone computes on it without a copy.
  // nullptr otherwise. Valid until Finish().
  virtual const float* InputInPlace() const { return nullptr; }
  // Writes the call's output ([batch_rows, *output_shape]) and the parameter
  // version that computed it into the response. Called at most once, before
  // Finish(OK).
  virtual void SetOutput(absl::Span<const int64_t> shape,
                         absl::Span<const float> data, uint64_t version) = 0;
  // Completes the front end's call; the last use of the request/response.
  // `grpc_status` is `status` converted by the one mapping (status_util.h).
  virtual void Finish(const absl::Status& status,
                      const grpc::Status& grpc_status) = 0;
  // Whether the client gave up (gRPC cancellation); false if unknowable.
  virtual bool IsCancelled() const { return false; }
};

// ForwardIo of a brainserve.v1 Forward RPC: reads `request.input`, writes
// `response` in the request's tensor encoding, finishes the gRPC reactor.
class GrpcForwardIo final : public ForwardIo {
 public:
  // All pointers belong to gRPC and stay valid until Finish().
  GrpcForwardIo(grpc::CallbackServerContext* context,
                const v1::ForwardRequest* request,
                v1::ForwardResponse* response,
                grpc::ServerUnaryReactor* reactor,
                engine::TensorEncoding encoding);

  void CopyInput(float* dst) const override;
  const float* InputInPlace() const override;
  void SetOutput(absl::Span<const int64_t> shape, absl::Span<const float> data,
                 uint64_t version) override;
  void Finish(const absl::Status& status,
              const grpc::Status& grpc_status) override;
  bool IsCancelled() const override { return context_->IsCancelled(); }

 private:
  grpc::CallbackServerContext* const context_;
  const v1::ForwardRequest* const request_;
  v1::ForwardResponse* const response_;
  grpc::ServerUnaryReactor* const reactor_;
  const engine::TensorEncoding encoding_;
};

// The client's deadline of a gRPC call (InfiniteFuture when it has none).
absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

class ForwardCall : public batching::BatchTask {
 public:
  // `io` is the front end's side; `recorder` times the call since its
  // handler started; `deadline` is the client's (InfiniteFuture for none).
  ForwardCall(std::unique_ptr<ForwardIo> io, int64_t batch_rows,
              engine::CheckedMasks masks, absl::Time deadline,
              RpcRecorder recorder);
  ~ForwardCall() override;

  ForwardCall(const ForwardCall&) = delete;
  ForwardCall& operator=(const ForwardCall&) = delete;

  // BatchTask: rows, the client's deadline, and client cancellation.
  int64_t size() const override { return batch_rows_; }
  absl::Time deadline() const override { return deadline_; }
  bool IsCancelled() const override { return io_->IsCancelled(); }

  const engine::CheckedMasks& masks() const { return masks_; }
  ForwardIo& io() { return *io_; }
  RpcRecorder& recorder() { return recorder_; }

  // Completes the call with `status` (SetOutput must have been called when
  // OK). Later calls are ignored.
  void Finish(const absl::Status& status);
  bool finished() const { return finished_; }

 private:
  const std::unique_ptr<ForwardIo> io_;
  const int64_t batch_rows_;
  const engine::CheckedMasks masks_;
  const absl::Time deadline_;
  RpcRecorder recorder_;
  bool finished_ = false;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_FORWARD_CALL_H_
