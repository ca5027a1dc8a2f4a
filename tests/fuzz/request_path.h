// The server's request path for one Forward or ModelInfer request, run
// in-process against the fixed models of fuzz_models.h: the same checks, in
// the same order, as the gRPC handlers and the batcher (model name, request
// validation, admission by cost, input copy, engine Forward, response
// encoding), without the network, the queue or the metrics.
//
// Besides the crashes the sanitizers catch, it checks the invariants the
// server relies on and aborts when one breaks:
//   * an admitted, validated request computes without error;
//   * a batch of the request twice over (inputs concatenated, masks
//     expanded and concatenated as RunForwardBatch does) gives the same rows
//     bitwise (batch invariance);
//   * the encoded response decodes back to the same values.
#ifndef BRAINSERVE_TESTS_FUZZ_REQUEST_PATH_H_
#define BRAINSERVE_TESTS_FUZZ_REQUEST_PATH_H_

#include "absl/status/status.h"
#include "brainserve/v1/model_service.pb.h"
#include "inference/grpc_predict_v2.pb.h"

namespace brainserve::fuzz {

// What ModelService.Forward answers (the status only).
absl::Status RunForward(const v1::ForwardRequest& request);

// What GRPCInferenceService.ModelInfer answers (the status only).
absl::Status RunModelInfer(const inference::ModelInferRequest& request);

}  // namespace brainserve::fuzz

#endif  // BRAINSERVE_TESTS_FUZZ_REQUEST_PATH_H_
