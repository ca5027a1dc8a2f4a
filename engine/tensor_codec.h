// The one codec between the wire Tensor (brainserve.v1.Tensor) and dense
// float32 values with a shape, used by the engine (spec tensors), the server
// (requests and responses) and the clients.
//
// A valid wire tensor has non-negative dims and carries its data in exactly
// one of `values` / `raw` (neither when it has zero elements; a zero dim
// anywhere means zero elements, whatever the other dims). The element count
// equals the product of the shape and is at most kMaxWireTensorElements;
// `raw` holds 4 bytes per element, little-endian float32 on every host. Every
// error is INVALID_ARGUMENT and names the field it concerns, e.g.
// "input.raw: 12 bytes, expected 16 (shape [4] of float32)".
//
// All functions are pure and thread-safe.
#ifndef BRAINSERVE_ENGINE_TENSOR_CODEC_H_
#define BRAINSERVE_ENGINE_TENSOR_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brainserve/v1/tensor.pb.h"
#include "engine/dense_tensor.h"

namespace brainserve::engine {

// How a tensor's data travels on the wire.
enum class TensorEncoding {
  kValues,  // `values`: packed repeated float
  kRaw,     // `raw`: little-endian float32 bytes
};

// Largest element count accepted in one wire tensor (guards shape overflow;
// a tensor that actually carries data is far smaller).
inline constexpr int64_t kMaxWireTensorElements = int64_t{1} << 40;

// The encoding `tensor` uses: kRaw iff `raw` is non-empty.
TensorEncoding EncodingOf(const brainserve::v1::Tensor& tensor);

// Product of `shape` (1 for a scalar, 0 if any dim is 0); INVALID_ARGUMENT
// naming `field` ("input.shape[1]: -2 is negative") for a negative dim, or a
// product over kMaxWireTensorElements.
absl::StatusOr<int64_t> WireElementCount(absl::Span<const int64_t> shape,
                                         absl::string_view field);

// Checks `tensor` (see the file comment) and returns its element count.
// `field` names it in error messages ("input", "masks[\"norm\"]", ...).
absl::StatusOr<int64_t> ValidateTensor(const brainserve::v1::Tensor& tensor,
                                       absl::string_view field);

// Copies the data of a tensor that passed ValidateTensor() into `dst`, which
// must have room for its element count (decoding `raw` as little-endian).
void CopyTensorData(const brainserve::v1::Tensor& tensor, float* dst);

// ValidateTensor() and then copy into a DenseTensor.
absl::StatusOr<DenseTensor> DecodeTensor(const brainserve::v1::Tensor& tensor,
                                         absl::string_view field);

// Writes `shape` and `data` into `out` using `encoding` (clears `out` first;
// `raw` is little-endian). A tensor with zero elements carries neither field.
void EncodeTensor(absl::Span<const int64_t> shape, absl::Span<const float> data,
                  TensorEncoding encoding, brainserve::v1::Tensor* out);

// The floats of a validated `tensor` where they already are, when that is
// possible without a conversion: `values`, or `raw` on a little-endian host
// when its bytes are float-aligned (a protobuf string's buffer comes from
// the allocator, so in practice always). nullptr otherwise (a big-endian
// host, misaligned bytes) or for an empty tensor; CopyTensorData() then.
const float* TensorFloatsInPlace(const brainserve::v1::Tensor& tensor);

// Little-endian float32 `bytes` read in place as host floats: `bytes`'
// address on a little-endian host when it is float-aligned, else nullptr.
const float* LittleEndianFloatsInPlace(absl::string_view bytes);

// `count` little-endian float32s at `src` (any alignment) to host floats.
void LittleEndianToFloats(const char* src, size_t count, float* dst);

// `data` as little-endian float32 bytes.
std::string LittleEndianBytes(absl::Span<const float> data);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_TENSOR_CODEC_H_
