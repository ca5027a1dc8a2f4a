// The loadgen's ForwardRequests in the Open Inference Protocol's forms: a
// gRPC ModelInferRequest (raw -> raw_input_contents, values ->
// fp32_contents) and an HTTP/REST infer body (binary tensor data for raw,
// JSON `data` for values), each asking for its output in the same form.
// Masks are not part of the protocol; the loadgen's requests carry none.
#ifndef BRAINSERVE_CLIENT_LOADGEN_PROTOCOL_REQUESTS_H_
#define BRAINSERVE_CLIENT_LOADGEN_PROTOCOL_REQUESTS_H_

#include <cstddef>
#include <string>

#include "brainserve/v1/model_service.pb.h"
#include "inference/grpc_predict_v2.pb.h"

namespace brainserve::loadgen {

inference::ModelInferRequest ToModelInferRequest(
    const brainserve::v1::ForwardRequest& request);

struct HttpInferBody {
  std::string body;
  // Inference-Header-Content-Length; 0 when the body is all JSON.
  size_t json_length = 0;
};

HttpInferBody ToHttpInferBody(const brainserve::v1::ForwardRequest& request);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_PROTOCOL_REQUESTS_H_
