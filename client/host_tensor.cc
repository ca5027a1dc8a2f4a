#include "client/host_tensor.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/shape.h"

namespace brainserve::client {

using engine::ShapeToString;

absl::StatusOr<TensorEncoding> ParseTensorEncoding(const std::string& text) {
  if (text == "raw") return TensorEncoding::kRaw;
  if (text == "values") return TensorEncoding::kValues;
  return absl::InvalidArgumentError(
      absl::StrCat("encoding must be 'raw' or 'values', got '", text, "'"));
}

absl::StatusOr<int64_t> NumElements(const std::vector<int64_t>& shape) {
  absl::StatusOr<int64_t> count = engine::WireElementCount(shape, "shape");
  if (count.ok()) return count;
  // The client words its errors without a field name.
  const auto negative = std::find_if(shape.begin(), shape.end(),
                                     [](int64_t dim) { return dim < 0; });
  if (negative != shape.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("shape ", ShapeToString(shape), ": dimension ",
                     negative - shape.begin(), " is negative"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "shape ", ShapeToString(shape), ": element count overflows the limit of ",
      engine::kMaxWireTensorElements));
}

absl::Status ValidateHostTensor(const HostTensor& tensor) {
  absl::StatusOr<int64_t> count = NumElements(tensor.shape);
  if (!count.ok()) return count.status();
  if (static_cast<uint64_t>(*count) != tensor.values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("shape ", ShapeToString(tensor.shape), " needs ", *count,
                     " elements but ", tensor.values.size(), " were given"));
  }
  return absl::OkStatus();
}

brainserve::v1::Tensor ToProto(const HostTensor& tensor,
                               TensorEncoding encoding) {
  brainserve::v1::Tensor proto;
  engine::EncodeTensor(tensor.shape, tensor.values, encoding, &proto);
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
  if (tensor.raw().size() % sizeof(float) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor 'raw' has ", tensor.raw().size(),
                     " bytes, not a multiple of 4 (float32)"));
  }
  const int64_t carried =
      tensor.raw().empty()
          ? tensor.values_size()
          : static_cast<int64_t>(tensor.raw().size() / sizeof(float));
  if (carried != *count) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor of shape ", ShapeToString(host.shape), " needs ",
                     *count, " elements but carries ", carried));
  }
  host.values.resize(static_cast<size_t>(*count));
  engine::CopyTensorData(tensor, host.values.data());
  return host;
}

absl::Status ConvertRawToValues(brainserve::v1::Tensor* tensor) {
  if (tensor->raw().empty()) return absl::OkStatus();
  absl::StatusOr<HostTensor> host = FromProto(*tensor);
  if (!host.ok()) return host.status();
  *tensor = ToProto(*host, TensorEncoding::kValues);
  return absl::OkStatus();
}

}  // namespace brainserve::client
