// ModelService.Forward in-process: a binary-serialized v1.ForwardRequest
// through name check, validation, admission, the engine and the response
// encoding of the fixed models "mlp" and "conv" (request_path.h).
#include <cstddef>
#include <cstdint>

#include "brainserve/v1/model_service.pb.h"
#include "tests/fuzz/request_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  brainserve::v1::ForwardRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return -1;
  brainserve::fuzz::RunForward(request).IgnoreError();
  return 0;
}
