// GRPCInferenceService.ModelInfer in-process: a binary-serialized
// inference.ModelInferRequest through the Open Inference Protocol's checks,
// admission, the engine and the response encoding (request_path.h).
#include <cstddef>
#include <cstdint>

#include "inference/grpc_predict_v2.pb.h"
#include "tests/fuzz/request_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return -1;
  brainserve::fuzz::RunModelInfer(request).IgnoreError();
  return 0;
}
