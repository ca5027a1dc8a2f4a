// Input tensors for the load generator: reading NumPy .npy and JSON
// nested-list files, random inputs, and building the Forward requests.
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

// A dense row-major float32 tensor in client memory.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// Parses a .npy file (format 1.0-3.0, C order, little-endian <f4, <f8, <i4
// or <i8; converted to float32).
absl::StatusOr<HostTensor> ParseNpy(absl::string_view bytes);

// Parses a JSON number or (nested, rectangular) array of numbers.
absl::StatusOr<HostTensor> ParseJsonTensor(absl::string_view json);

// Reads `path`, choosing the parser by extension (.npy, else JSON).
absl::StatusOr<HostTensor> ReadTensorFile(const std::string& path);

// Copies `tensor` into `out` using the raw (little-endian bytes) or the
// repeated `values` encoding.
void ToProto(const HostTensor& tensor, bool raw_encoding,
             brainserve::v1::Tensor* out);

// How to build the Forward inputs.
struct InputOptions {
  // Rows per request (the leading batch dimension B >= 1).
  int64_t batch_rows = 1;
  // Optional .npy or .json file. Its shape is either `input_shape` (one
  // sample, repeated `batch_rows` times) or [B, *input_shape] (used as-is).
  std::string input_file;
  // true: Tensor.raw; false: Tensor.values.
  bool raw_encoding = true;
  // Seed for the uniform [-1, 1) random inputs.
  uint64_t seed = 1;
  // Number of distinct random requests cycled through.
  int pool_size = 16;
};

// Builds the request pool for `model` whose per-sample input shape is
// `input_shape` (from GetModel). INVALID_ARGUMENT if the file's shape fits
// neither accepted form.
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
