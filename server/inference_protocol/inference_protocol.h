// The Open Inference Protocol's operations on brainserve's models, shared by
// the gRPC service (inference_service.h) and the HTTP/REST front end
// (server/http/), so both behave identically.
//
//   Live          always true while the server runs;
//   Ready         true from the end of Server::Start() until draining;
//   ModelReady    true iff the model is served (and, with a version, has
//                 reached it); an unknown model is "not ready", not an error;
//   ModelMetadata one input `input`, one output `output`, FP32, shapes
//                 [-1, *per_sample_shape]; versions = [current version];
//   Infer         validation (infer_validation.h), then the model's
//                 ForwardExecutor: the same batching, queue limits, deadlines
//                 and metrics as Forward (method label ModelInfer).
//
// `version` / `model_version` in requests: empty = the current version; a
// decimal N asks for at least version N (the answer's model_version says
// which one served). Infer follows the read-your-writes rule of
// brainserve.v1's min_version (model_reader.h): it waits until the model has
// applied N (at most --max_min_version_wait_ms, then UNAVAILABLE) and finds
// models another replica created. ModelMetadata and ModelReady do not wait:
// FAILED_PRECONDITION / not ready until N is applied.
//
// Thread-safe. Borrowed pointers must outlive the object.
#ifndef BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFERENCE_PROTOCOL_H_
#define BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFERENCE_PROTOCOL_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "inference/grpc_predict_v2.pb.h"
#include "server/inference_protocol/model_infer_io.h"
#include "server/metrics/reporter.h"
#include "server/model_reader.h"
#include "server/model_registry.h"

namespace brainserve::server::inference_protocol {

struct InferenceProtocolOptions {
  // ServerMetadata's name and version.
  std::string server_name = "brainserve";
  std::string server_version = "0.1.0";
  // The protocol extensions the front ends implement (ServerMetadata).
  std::vector<std::string> extensions;
};

class InferenceProtocol {
 public:
  InferenceProtocol(const InferenceProtocolOptions& options,
                    ModelRegistry* registry, const ModelReader* reader,
                    metrics::Reporter* reporter);

  InferenceProtocol(const InferenceProtocol&) = delete;
  InferenceProtocol& operator=(const InferenceProtocol&) = delete;

  // Readiness, set by the Server (see the file comment).
  void SetReady(bool ready) { ready_.store(ready, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }

  void FillServerMetadata(inference::ServerMetadataResponse* response) const;

  // INVALID_ARGUMENT for a malformed name or version; otherwise OK with the
  // readiness.
  absl::StatusOr<bool> ModelReady(absl::string_view name,
                                  absl::string_view version) const;

  // OK if `name` is served; INVALID_ARGUMENT naming `field` for a malformed
  // name, NOT_FOUND for an unknown model. (The HTTP front end checks the
  // model of a request's path before reading its body.)
  absl::Status CheckModel(absl::string_view name,
                          absl::string_view field) const;

  // INVALID_ARGUMENT (name, version), NOT_FOUND (model),
  // FAILED_PRECONDITION (version not reached).
  absl::Status ModelMetadata(const inference::ModelMetadataRequest& request,
                             inference::ModelMetadataResponse* response) const;

  // `admitted` is the front end's authorization of the call: a refusal is
  // recorded (method ModelInfer) and answered like any other error.
  // Otherwise validates `request` and submits it to the model's executor. `done` runs
  // exactly once: on this thread when the request is refused, else on a
  // batch worker. `request` and `response` must stay valid until then;
  // `context` (null for HTTP) supplies the deadline and cancellation.
  // `deadline` applies when `context` is null.
  void Infer(const absl::Status& admitted,
             const inference::ModelInferRequest* request,
             inference::ModelInferResponse* response,
             const grpc::CallbackServerContext* context, absl::Time deadline,
             InferDone done) const;

 private:
  const InferenceProtocolOptions options_;
  ModelRegistry* const registry_;
  const ModelReader* const reader_;
  metrics::Reporter* const reporter_;
  std::atomic<bool> ready_{false};
};

}  // namespace brainserve::server::inference_protocol

#endif  // BRAINSERVE_SERVER_INFERENCE_PROTOCOL_INFERENCE_PROTOCOL_H_
