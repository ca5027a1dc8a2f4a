// Input tensors for the load generator: the Forward request pool, from a
// .npy or JSON file (read with the client library's parsers, client/npy.h and
// client/json_tensor.h) or from random inputs, and its gRPC framing.
//
// Thread safety: stateless functions.
#ifndef BRAINSERVE_CLIENT_LOADGEN_INPUT_DATA_H_
#define BRAINSERVE_CLIENT_LOADGEN_INPUT_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "brainserve/v1/model_service.pb.h"

namespace brainserve::loadgen {

// How to build the Forward inputs.
struct InputOptions {
  // Rows per request (the leading batch dimension B >= 1).
  int64_t batch_rows = 1;
  // Optional .npy or JSON file (.npy recognized by its magic bytes). Its
  // shape is either `input_shape` (one sample, repeated `batch_rows` times)
  // or [B, *input_shape] (used as-is).
  std::string input_file;
  // true: Tensor.raw; false: Tensor.values.
  bool raw_encoding = true;
  // Seed for the uniform [-1, 1) random inputs.
  uint64_t seed = 1;
  // Number of distinct random requests cycled through.
  int pool_size = 16;
};

// Builds the request pool for `model` whose per-sample input shape is
// `input_shape` (from GetModel). NOT_FOUND if the file cannot be opened;
// INVALID_ARGUMENT if it does not parse or its shape fits neither accepted
// form.
absl::StatusOr<std::vector<brainserve::v1::ForwardRequest>>
BuildForwardRequests(const std::string& model,
                     const std::vector<int64_t>& input_shape,
                     const InputOptions& options);

// The gRPC length-prefixed message framing of `serialized`: one zero
// (uncompressed) flag byte, a 4-byte big-endian length, then the bytes. This
// is the HTTP/2 DATA payload of a unary gRPC request (used with h2load).
std::string GrpcFrame(absl::string_view serialized);

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_INPUT_DATA_H_
