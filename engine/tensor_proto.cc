#include "engine/tensor_proto.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/shape.h"

namespace brainserve::engine {

absl::StatusOr<DenseTensor> DenseTensorFromProto(
    const brainserve::v1::Tensor& tensor, absl::string_view field) {
  DenseTensor out;
  out.shape.assign(tensor.shape().begin(), tensor.shape().end());
  // A zero dim anywhere means no elements, whatever the other dims, so the
  // verdict does not depend on where the zero is and matches the server's
  // wire tensor checks (server/tensor_codec.cc); CheckedNumElements alone
  // refused [2^31, 0] but accepted [0, 2^31] (found by tensor_decode_fuzzer).
  const bool has_zero_dim =
      std::find(out.shape.begin(), out.shape.end(), 0) != out.shape.end();
  absl::StatusOr<int64_t> count =
      has_zero_dim && std::none_of(out.shape.begin(), out.shape.end(),
                                   [](int64_t d) { return d < 0; })
          ? absl::StatusOr<int64_t>(0)
          : CheckedNumElements(out.shape);
  if (!count.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape: ", count.status().message()));
  }
  const bool has_values = tensor.values_size() > 0;
  const bool has_raw = !tensor.raw().empty();
  if (has_values && has_raw) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": both values and raw are set; exactly one carries the data"));
  }
  if (has_raw) {
    if (tensor.raw().size() != static_cast<size_t>(*count) * sizeof(float)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".raw: ", tensor.raw().size(), " bytes, but shape ",
          ShapeToString(out.shape), " needs ", *count * 4, " (float32)"));
    }
    out.data.resize(static_cast<size_t>(*count));
#if defined(ABSL_IS_BIG_ENDIAN)
    const auto* bytes =
        reinterpret_cast<const unsigned char*>(tensor.raw().data());
    for (int64_t i = 0; i < *count; ++i) {
      uint32_t bits = 0;
      for (int b = 3; b >= 0; --b) bits = (bits << 8) | bytes[4 * i + b];
      std::memcpy(&out.data[i], &bits, sizeof(float));
    }
#else
    std::memcpy(out.data.data(), tensor.raw().data(), tensor.raw().size());
#endif
    return out;
  }
  if (tensor.values_size() != *count) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".values: ", tensor.values_size(), " values, but shape ",
        ShapeToString(out.shape), " has ", *count, " elements"));
  }
  out.data.assign(tensor.values().begin(), tensor.values().end());
  return out;
}

void DenseTensorToProto(const DenseTensor& tensor, bool raw,
                        brainserve::v1::Tensor* out) {
  out->Clear();
  out->mutable_shape()->Add(tensor.shape.begin(), tensor.shape.end());
  if (tensor.data.empty()) return;
  if (raw) {
    std::string* bytes = out->mutable_raw();
    bytes->resize(tensor.data.size() * sizeof(float));
#if defined(ABSL_IS_BIG_ENDIAN)
    for (size_t i = 0; i < tensor.data.size(); ++i) {
      uint32_t bits;
      std::memcpy(&bits, &tensor.data[i], sizeof(float));
      for (int b = 0; b < 4; ++b)
        (*bytes)[4 * i + b] = static_cast<char>(bits >> (8 * b));
    }
#else
    std::memcpy(bytes->data(), tensor.data.data(), bytes->size());
#endif
  } else {
    out->mutable_values()->Add(tensor.data.begin(), tensor.data.end());
  }
}

absl::Status CheckAllFinite(const DenseTensor& tensor,
                            absl::string_view field) {
  for (size_t i = 0; i < tensor.data.size(); ++i) {
    if (!std::isfinite(tensor.data[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": element ", i, " is not finite (", tensor.data[i], ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace brainserve::engine
