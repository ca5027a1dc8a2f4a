#include "client/host_tensor.h"

#include <cstring>
#include <limits>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace brainserve::client {
namespace {

static_assert(sizeof(float) == 4, "float must be IEEE-754 binary32");

#ifndef ABSL_IS_LITTLE_ENDIAN
uint32_t ByteSwap32(uint32_t v) {
  return ((v & 0xffu) << 24) | ((v & 0xff00u) << 8) | ((v >> 8) & 0xff00u) |
         (v >> 24);
}
#endif

// Copies `count` float32 values to little-endian bytes.
void FloatsToLittleEndian(const float* src, size_t count, char* dst) {
#ifdef ABSL_IS_LITTLE_ENDIAN
  std::memcpy(dst, src, count * sizeof(float));
#else
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &src[i], 4);
    bits = ByteSwap32(bits);
    std::memcpy(dst + 4 * i, &bits, 4);
  }
#endif
}

void LittleEndianToFloats(const char* src, size_t count, float* dst) {
#ifdef ABSL_IS_LITTLE_ENDIAN
  std::memcpy(dst, src, count * sizeof(float));
#else
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, src + 4 * i, 4);
    bits = ByteSwap32(bits);
    std::memcpy(&dst[i], &bits, 4);
  }
#endif
}

}  // namespace

absl::StatusOr<TensorEncoding> ParseTensorEncoding(const std::string& text) {
  if (text == "raw") return TensorEncoding::kRaw;
  if (text == "values") return TensorEncoding::kValues;
  return absl::InvalidArgumentError(
      absl::StrCat("encoding must be 'raw' or 'values', got '", text, "'"));
}

absl::StatusOr<int64_t> NumElements(const std::vector<int64_t>& shape) {
  bool has_zero_dim = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shape ", FormatShape(shape), ": dimension ", i, " is negative"));
    }
    has_zero_dim = has_zero_dim || shape[i] == 0;
  }
  // A zero dim anywhere makes the product 0, however large the dims before
  // it (found by tensor_decode_fuzzer: [huge, ..., 0] "overflowed").
  if (has_zero_dim) return 0;
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t dim = shape[i];
    if (count > std::numeric_limits<int64_t>::max() / dim) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shape ", FormatShape(shape), ": element count overflows int64"));
    }
    count *= dim;
  }
  return count;
}

absl::Status ValidateHostTensor(const HostTensor& tensor) {
  absl::StatusOr<int64_t> count = NumElements(tensor.shape);
  if (!count.ok()) return count.status();
  if (static_cast<uint64_t>(*count) != tensor.values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("shape ", FormatShape(tensor.shape), " needs ", *count,
                     " elements but ", tensor.values.size(), " were given"));
  }
  return absl::OkStatus();
}

brainserve::v1::Tensor ToProto(const HostTensor& tensor,
                               TensorEncoding encoding) {
  brainserve::v1::Tensor proto;
  proto.mutable_shape()->Add(tensor.shape.begin(), tensor.shape.end());
  if (tensor.values.empty()) return proto;
  if (encoding == TensorEncoding::kValues) {
    proto.mutable_values()->Add(tensor.values.begin(), tensor.values.end());
  } else {
    std::string* raw = proto.mutable_raw();
    raw->resize(tensor.values.size() * sizeof(float));
    FloatsToLittleEndian(tensor.values.data(), tensor.values.size(),
                         raw->data());
  }
  return proto;
}

absl::StatusOr<HostTensor> FromProto(const brainserve::v1::Tensor& tensor) {
  HostTensor host;
  host.shape.assign(tensor.shape().begin(), tensor.shape().end());
  absl::StatusOr<int64_t> count = NumElements(host.shape);
  if (!count.ok()) return count.status();
  if (tensor.values_size() > 0 && !tensor.raw().empty()) {
    return absl::InvalidArgumentError(
        "tensor sets both 'values' and 'raw'; exactly one may carry data");
  }
  if (!tensor.raw().empty()) {
    if (tensor.raw().size() % sizeof(float) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor 'raw' has ", tensor.raw().size(),
                       " bytes, not a multiple of 4 (float32)"));
    }
    host.values.resize(tensor.raw().size() / sizeof(float));
    LittleEndianToFloats(tensor.raw().data(), host.values.size(),
                         host.values.data());
  } else {
    host.values.assign(tensor.values().begin(), tensor.values().end());
  }
  if (static_cast<uint64_t>(*count) != host.values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor of shape ", FormatShape(host.shape), " needs ",
                     *count, " elements but carries ", host.values.size()));
  }
  return host;
}

absl::Status ConvertRawToValues(brainserve::v1::Tensor* tensor) {
  if (tensor->raw().empty()) return absl::OkStatus();
  absl::StatusOr<HostTensor> host = FromProto(*tensor);
  if (!host.ok()) return host.status();
  *tensor = ToProto(*host, TensorEncoding::kValues);
  return absl::OkStatus();
}

std::string FormatShape(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

}  // namespace brainserve::client
