// The Open Inference Protocol's HTTP/REST JSON, converted to and from the
// protocol's gRPC messages, so the HTTP front end runs requests through the
// same InferenceProtocol as gRPC.
//
// Requests: {"id", "parameters", "inputs": [{"name", "shape", "datatype",
// "parameters", "data"}], "outputs": [{"name", "parameters"}]}. `data` is
// the row-major elements, flat or nested. The binary tensor data extension is
// supported: with an Inference-Header-Content-Length header the body is that
// many bytes of JSON followed by the inputs' raw bytes, an input with
// parameters.binary_data_size takes its data from there (raw form), and
// parameters.binary_data (per output) or binary_data_output (per request)
// asks for binary output.
//
// All functions are pure and thread-safe. Parse errors are INVALID_ARGUMENT
// naming the JSON field; checks against the model are InferenceProtocol's.
#ifndef BRAINSERVE_SERVER_HTTP_V2_JSON_H_
#define BRAINSERVE_SERVER_HTTP_V2_JSON_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "inference/grpc_predict_v2.pb.h"

namespace brainserve::server::http {

// The protocol's header for the length of the JSON part of a body.
inline constexpr char kInferenceHeaderContentLength[] =
    "Inference-Header-Content-Length";

struct HttpInferRequest {
  inference::ModelInferRequest request;
  // Answer the output as binary tensor data rather than JSON `data`.
  bool binary_output = false;
};

// `body` is the whole request body; `json_length` is the
// Inference-Header-Content-Length value (nullopt: the body is all JSON).
absl::StatusOr<HttpInferRequest> ParseInferRequest(
    absl::string_view model_name, absl::string_view body,
    std::optional<size_t> json_length);

// An HTTP response body; `json_length` is set for binary tensor data (send
// it as Inference-Header-Content-Length, content type
// application/octet-stream).
struct HttpBody {
  std::string body;
  std::optional<size_t> json_length;
};

// The response's outputs come from contents.fp32_contents or
// raw_output_contents; floats are written in their shortest form that reads
// back to the same float32.
HttpBody RenderInferResponse(const inference::ModelInferResponse& response,
                             bool binary_output);

std::string RenderServerMetadata(
    const inference::ServerMetadataResponse& response);
std::string RenderModelMetadata(
    const inference::ModelMetadataResponse& response);

// {"error": message}, the protocol's error body.
std::string ErrorJson(absl::string_view message);

}  // namespace brainserve::server::http

#endif  // BRAINSERVE_SERVER_HTTP_V2_JSON_H_
