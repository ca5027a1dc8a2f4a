// Conversion between the wire Tensor (brainserve.v1.Tensor) and the engine's
// dense float32 tensors, with the checks the API contract requires.
//
// A valid wire tensor has non-negative dims and carries its data in exactly
// one of `values` / `raw` (neither when it has zero elements). The element
// count equals the product of the shape; `raw` holds 4 bytes per element,
// little-endian float32. Every error is INVALID_ARGUMENT and names the field
// it concerns, e.g. "input.raw: 12 bytes, expected 16".
//
// All functions are pure and thread-safe.
#ifndef BRAINSERVE_SERVER_TENSOR_CODEC_H_
#define BRAINSERVE_SERVER_TENSOR_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brainserve/v1/tensor.pb.h"
#include "engine/dense_tensor.h"

namespace brainserve::server {

// How a tensor's data travels on the wire.
enum class TensorEncoding { kValues, kRaw };

// Largest element count accepted in one tensor (guards shape overflow).
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;

// The encoding `tensor` uses: kRaw iff `raw` is non-empty.
TensorEncoding EncodingOf(const v1::Tensor& tensor);

// Checks `tensor` (see the file comment) and returns its element count.
// `field` names it in error messages ("input", "masks[\"norm\"]", ...).
absl::StatusOr<int64_t> ValidateTensor(const v1::Tensor& tensor,
                                       absl::string_view field);

// Copies the data of a tensor that passed ValidateTensor() into `dst`, which
// must have room for its element count.
void CopyTensorData(const v1::Tensor& tensor, float* dst);

// ValidateTensor() and then copy into a DenseTensor.
absl::StatusOr<engine::DenseTensor> DecodeTensor(const v1::Tensor& tensor,
                                                 absl::string_view field);

// Writes `shape` and `data` into `out` using `encoding` (clears `out` first).
void EncodeTensor(absl::Span<const int64_t> shape, absl::Span<const float> data,
                  TensorEncoding encoding, v1::Tensor* out);

// "[2, 3, 4]" for error messages.
std::string ShapeToString(absl::Span<const int64_t> shape);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_TENSOR_CODEC_H_
