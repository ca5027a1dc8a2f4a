// Conversion between brainserve.v1.Tensor (the wire form) and DenseTensor,
// enforcing the Tensor rules of the API contract: non-negative dimensions,
// exactly one of `values` / `raw` carrying the data (neither for a tensor with
// zero elements), an element count equal to the product of `shape`, and `raw`
// holding 4 little-endian bytes per element. Thread-safe pure functions.
#ifndef BRAINSERVE_ENGINE_TENSOR_PROTO_H_
#define BRAINSERVE_ENGINE_TENSOR_PROTO_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "brainserve/v1/tensor.pb.h"
#include "engine/dense_tensor.h"

namespace brainserve::engine {

// Decodes `tensor`. Errors are INVALID_ARGUMENT and start with `field`
// (e.g. "layers[0] (\"fc\"): linear.w_mask").
absl::StatusOr<DenseTensor> DenseTensorFromProto(
    const brainserve::v1::Tensor& tensor, absl::string_view field);

// Encodes `tensor` into `out` (cleared first), as little-endian `raw` bytes
// when `raw` is true, otherwise as packed `values`.
void DenseTensorToProto(const DenseTensor& tensor, bool raw,
                        brainserve::v1::Tensor* out);

// INVALID_ARGUMENT naming `field` and the first offending index if any
// element of `data` is NaN or infinite.
absl::Status CheckAllFinite(const DenseTensor& tensor, absl::string_view field);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_TENSOR_PROTO_H_
