// POST /v2/models/{name}/infer in-process: an HTTP body through the Open
// Inference Protocol's JSON parser (with the binary tensor data extension),
// then the same path as ModelInfer (request_path.h).
//
// Input: the body as is, except that a first byte 'B' means "binary
// extension": the next two bytes are the Inference-Header-Content-Length
// (little-endian) and the rest is the body. The model is "mlp" unless the
// body names "conv" first (the URL's model name is not fuzzed).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "server/http/v2_json.h"
#include "tests/fuzz/request_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view body(reinterpret_cast<const char*>(data), size);
  std::optional<size_t> json_length;
  if (!body.empty() && body[0] == 'B') {
    if (body.size() < 3) return -1;
    json_length = static_cast<size_t>(data[1]) | static_cast<size_t>(data[2]) << 8;
    body.remove_prefix(3);
  }
  const absl::string_view model =
      body.substr(0, 16).find("conv") != absl::string_view::npos ? "conv"
                                                                  : "mlp";
  absl::StatusOr<brainserve::server::http::HttpInferRequest> parsed =
      brainserve::server::http::ParseInferRequest(model, body, json_length);
  if (!parsed.ok()) return 0;
  brainserve::fuzz::RunModelInfer(parsed->request).IgnoreError();
  return 0;
}
