// Admission by cost: the one place that decides, before anything is
// allocated, whether a request's memory and response fit the server's
// limits. Protocol-free (no gRPC): every front end (ModelService.Forward,
// the Open Inference Protocol, HTTP) calls the same checks with the model
// and the batch size, and the batcher uses MaxBatchRows() to cut batches by
// bytes as well as rows.
//
// Every refusal is RESOURCE_EXHAUSTED and names the limit (by its flag) and
// the request's cost in bytes.
//
// Pure functions over immutable inputs; thread-safe.
#ifndef BRAINSERVE_SERVER_ADMISSION_ADMISSION_H_
#define BRAINSERVE_SERVER_ADMISSION_ADMISSION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/model.h"
#include "server/admission/forward_cost.h"

namespace brainserve::server::admission {

struct AdmissionLimits {
  // Most bytes one Forward, or one batch of Forwards, may allocate: the
  // concatenated input, the output and its encoded and serialized copies,
  // activations, kernel buffers and masks (forward_cost.h).
  // --max_request_memory_bytes.
  int64_t max_request_memory_bytes = int64_t{256} << 20;
  // The largest message the server sends (gRPC's max send message size,
  // --max_message_bytes): a response larger than this is refused before it
  // is computed or built.
  int64_t max_response_bytes = int64_t{64} << 20;
  // Most layers in one model's spec. --max_layers.
  int64_t max_layers = 1000;
  // Largest received request, per method: Forward and ModelInfer
  // (--max_forward_message_bytes), UpdateParameters
  // (--max_update_message_bytes); every other method is capped by
  // max_response_bytes (--max_message_bytes).
  int64_t max_forward_message_bytes = int64_t{16} << 20;
  int64_t max_update_message_bytes = int64_t{64} << 20;
};

// Which per-method receive cap a request falls under.
enum class RequestKind { kForward, kUpdate, kOther };

// The receive cap gRPC enforces for the whole server (it has no per-method
// cap): the largest of the per-method caps. A message over it is refused by
// gRPC itself (RESOURCE_EXHAUSTED); one under it is checked per method by
// AdmitRequestSize() as soon as the handler sees it.
int64_t MaxReceiveMessageBytes(const AdmissionLimits& limits);

// OK if a received request of `request_bytes` bytes (its serialized size,
// or an HTTP body's length) fits the cap of its kind; RESOURCE_EXHAUSTED
// naming `method`, the size and the flag otherwise.
absl::Status AdmitRequestSize(const AdmissionLimits& limits, RequestKind kind,
                              absl::string_view method, int64_t request_bytes);

// OK if a Forward of `rows` rows with masks on `mask_layers` layers fits
// both the memory budget and the largest sent message.
absl::Status AdmitForward(const AdmissionLimits& limits,
                          absl::string_view model_name,
                          const engine::Model& model, int64_t rows,
                          int64_t mask_layers = 0);

// The most rows, <= max_batch_size (and >= 1), whose Forward fits the memory
// budget: the batcher's effective batch size for the model. A single
// admitted request larger than this still runs, alone.
int64_t MaxBatchRows(const AdmissionLimits& limits, const engine::Model& model,
                     int64_t max_batch_size);

// CreateModel, before the engine model is built: at most max_layers layers.
absl::Status AdmitModelSpec(const AdmissionLimits& limits,
                            absl::string_view model_name,
                            const v1::ModelSpec& spec);

// CreateModel, before warm-up: a batch of `warmup_rows` rows (what warm-up
// runs, and what the batcher will form) fits the memory budget.
absl::Status AdmitModelWarmup(const AdmissionLimits& limits,
                              absl::string_view model_name,
                              const engine::Model& model,
                              int64_t warmup_rows);

// GetParameters, before the response is built: `response_bytes` (the
// serialized response's size) fits the largest sent message.
absl::Status AdmitParametersResponse(const AdmissionLimits& limits,
                                     absl::string_view model_name,
                                     int64_t response_bytes);

}  // namespace brainserve::server::admission

#endif  // BRAINSERVE_SERVER_ADMISSION_ADMISSION_H_
