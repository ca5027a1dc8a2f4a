// HostTensor: a dense row-major float32 array held by value on the client, and
// its conversion to and from the brainserve.v1.Tensor wire message through
// the one tensor codec (engine/tensor_codec.h, little-endian `raw` on every
// host), with the client's own error messages.
//
// Every file format the CLI and the load generator read (.npy, JSON) converts
// to a HostTensor first, so format code never touches protobuf and proto code
// never touches files.
#ifndef BRAINSERVE_CLIENT_HOST_TENSOR_H_
#define BRAINSERVE_CLIENT_HOST_TENSOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "brainserve/v1/tensor.pb.h"
#include "engine/tensor_codec.h"

namespace brainserve::client {

struct HostTensor {
  std::vector<int64_t> shape;  // row-major (C order); empty = scalar
  std::vector<float> values;   // size == NumElements(shape)
};

// How a Tensor message carries its data (see api.md "Tensors"): kRaw
// (little-endian float32 bytes) or kValues (packed repeated float).
using TensorEncoding = engine::TensorEncoding;

// Parses "raw" / "values" (the CLI's --encoding flag).
absl::StatusOr<TensorEncoding> ParseTensorEncoding(const std::string& text);

// Product of `shape` as the codec counts it (engine::WireElementCount: a zero
// dim means none, whatever the others); InvalidArgument for a negative
// dimension or more than engine::kMaxWireTensorElements elements. An empty
// shape has one element (a scalar).
absl::StatusOr<int64_t> NumElements(const std::vector<int64_t>& shape);

// Checks that `tensor.values` matches `tensor.shape`.
absl::Status ValidateHostTensor(const HostTensor& tensor);

// Encodes `tensor` (which must be valid) into a Tensor message. A tensor with
// zero elements carries neither field, as the contract requires.
brainserve::v1::Tensor ToProto(const HostTensor& tensor,
                               TensorEncoding encoding);

// Decodes a Tensor message; accepts exactly what engine::DecodeTensor
// accepts, with the same values. InvalidArgument, naming the problem, when
// both `values` and `raw` are set, when `raw` is not a whole number of
// float32s, or when the element count does not match the shape.
absl::StatusOr<HostTensor> FromProto(const brainserve::v1::Tensor& tensor);

// Rewrites a Tensor message that uses `raw` to use `values` (no-op otherwise).
// Used to print responses as readable JSON. Returns the FromProto error.
absl::Status ConvertRawToValues(brainserve::v1::Tensor* tensor);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_HOST_TENSOR_H_
