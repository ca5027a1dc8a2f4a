#include "server/tensor_codec.h"

#include <cstring>

#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace brainserve::server {
namespace {

#ifndef ABSL_IS_LITTLE_ENDIAN
#error "brainserve's raw tensor encoding assumes a little-endian host"
#endif

// Product of `shape`, or an error naming `field` if a dim is negative or the
// product exceeds kMaxTensorElements.
absl::StatusOr<int64_t> ElementCount(const v1::Tensor& tensor,
                                     absl::string_view field) {
  bool has_zero_dim = false;
  for (int i = 0; i < tensor.shape_size(); ++i) {
    const int64_t dim = tensor.shape(i);
    if (dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".shape[", i, "]: ", dim, " is negative"));
    }
    has_zero_dim = has_zero_dim || dim == 0;
  }
  // A zero dim anywhere means no elements, whatever the other dims (the
  // verdict must not depend on where the zero is; engine/tensor_proto.cc
  // follows the same rule).
  if (has_zero_dim) return 0;
  int64_t count = 1;
  for (int i = 0; i < tensor.shape_size(); ++i) {
    const int64_t dim = tensor.shape(i);
    if (count > kMaxTensorElements / dim) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".shape: ", ShapeToString(tensor.shape()),
                       " has more than ", kMaxTensorElements, " elements"));
    }
    count *= dim;
  }
  return count;
}

}  // namespace

TensorEncoding EncodingOf(const v1::Tensor& tensor) {
  return tensor.raw().empty() ? TensorEncoding::kValues : TensorEncoding::kRaw;
}

std::string ShapeToString(absl::Span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::StatusOr<int64_t> ValidateTensor(const v1::Tensor& tensor,
                                       absl::string_view field) {
  absl::StatusOr<int64_t> count = ElementCount(tensor, field);
  if (!count.ok()) return count.status();
  const bool has_values = tensor.values_size() > 0;
  const bool has_raw = !tensor.raw().empty();
  if (has_values && has_raw) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": both values and raw are set; exactly one may carry data"));
  }
  if (has_raw) {
    const int64_t want_bytes = *count * static_cast<int64_t>(sizeof(float));
    if (static_cast<int64_t>(tensor.raw().size()) != want_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".raw: ", tensor.raw().size(), " bytes, expected ", want_bytes,
          " (shape ", ShapeToString(tensor.shape()), " of float32)"));
    }
    return count;
  }
  if (tensor.values_size() != *count) {
    if (*count > 0 && !has_values) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": neither values nor raw is set, expected ", *count,
          " elements for shape ", ShapeToString(tensor.shape())));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".values: ", tensor.values_size(), " elements, expected ",
        *count, " (product of shape ", ShapeToString(tensor.shape()), ")"));
  }
  return count;
}

void CopyTensorData(const v1::Tensor& tensor, float* dst) {
  if (!tensor.raw().empty()) {
    std::memcpy(dst, tensor.raw().data(), tensor.raw().size());
  } else if (tensor.values_size() > 0) {
    std::memcpy(dst, tensor.values().data(),
                sizeof(float) * static_cast<size_t>(tensor.values_size()));
  }
}

absl::StatusOr<engine::DenseTensor> DecodeTensor(const v1::Tensor& tensor,
                                                 absl::string_view field) {
  absl::StatusOr<int64_t> count = ValidateTensor(tensor, field);
  if (!count.ok()) return count.status();
  engine::DenseTensor out;
  out.shape.assign(tensor.shape().begin(), tensor.shape().end());
  out.data.resize(static_cast<size_t>(*count));
  CopyTensorData(tensor, out.data.data());
  return out;
}

void EncodeTensor(absl::Span<const int64_t> shape, absl::Span<const float> data,
                  TensorEncoding encoding, v1::Tensor* out) {
  out->Clear();
  out->mutable_shape()->Add(shape.begin(), shape.end());
  if (data.empty()) return;
  if (encoding == TensorEncoding::kRaw) {
    out->mutable_raw()->assign(reinterpret_cast<const char*>(data.data()),
                               data.size() * sizeof(float));
  } else {
    out->mutable_values()->Add(data.begin(), data.end());
  }
}

}  // namespace brainserve::server
