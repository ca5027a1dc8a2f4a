#include "client/tensor_format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"

namespace brainserve::client {
namespace {

constexpr int kMaxDecimals = 4;

// How every element of one tensor is printed.
struct ElementFormat {
  bool scientific = false;
  int decimals = 0;  // fixed point: digits after the point
};

// Digits after the point that `value` needs at kMaxDecimals precision.
int DecimalsNeeded(float value) {
  int64_t scaled = std::llround(std::fabs(value) * 1e4);
  int decimals = kMaxDecimals;
  while (decimals > 0 && scaled % 10 == 0) {
    scaled /= 10;
    --decimals;
  }
  return decimals;
}

ElementFormat ChooseFormat(const std::vector<float>& values) {
  ElementFormat format;
  for (float value : values) {
    if (!std::isfinite(value)) continue;
    const float magnitude = std::fabs(value);
    if (magnitude >= 1e6f || (magnitude != 0 && magnitude < 1e-4f)) {
      return ElementFormat{/*scientific=*/true, kMaxDecimals};
    }
    format.decimals = std::max(format.decimals, DecimalsNeeded(value));
  }
  return format;
}

std::string FormatElement(float value, const ElementFormat& format) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), format.scientific ? "%.*e" : "%.*f",
                format.decimals, static_cast<double>(value));
  return buffer;
}

class Formatter {
 public:
  Formatter(const HostTensor& tensor, const TensorFormatOptions& options)
      : tensor_(tensor), options_(options) {
    strides_.assign(tensor.shape.size(), 1);
    for (int d = static_cast<int>(tensor.shape.size()) - 2; d >= 0; --d) {
      strides_[d] = strides_[d + 1] * tensor.shape[d + 1];
    }
    summarize_ = static_cast<int64_t>(tensor.values.size()) >
                 options.summarize_above_elements;
    format_ = ChooseFormat(tensor.values);
  }

  std::string Format() {
    if (tensor_.shape.empty()) {
      return FormatElement(tensor_.values[0], format_);
    }
    // First pass measures the widest element that will be shown.
    measuring_ = true;
    std::string ignored;
    Emit(0, 0, &ignored);
    measuring_ = false;
    std::string out;
    Emit(0, 0, &out);
    return out;
  }

 private:
  // Indices of dimension `dim` to show; -1 marks the "..." gap.
  std::vector<int64_t> ShownIndices(size_t dim) const {
    const int64_t size = tensor_.shape[dim];
    const int64_t edge = options_.edge_items;
    std::vector<int64_t> indices;
    if (summarize_ && size > 2 * edge) {
      for (int64_t i = 0; i < edge; ++i) indices.push_back(i);
      indices.push_back(-1);
      for (int64_t i = size - edge; i < size; ++i) indices.push_back(i);
    } else {
      for (int64_t i = 0; i < size; ++i) indices.push_back(i);
    }
    return indices;
  }

  void Emit(size_t dim, int64_t offset, std::string* out) {
    const std::string indent(dim + 1, ' ');
    out->push_back('[');
    const std::vector<int64_t> indices = ShownIndices(dim);
    const bool last_dim = dim + 1 == tensor_.shape.size();
    size_t line_length = dim + 1;
    for (size_t k = 0; k < indices.size(); ++k) {
      std::string item;
      if (last_dim) {
        item =
            indices[k] < 0
                ? "..."
                : FormatElement(tensor_.values[offset + indices[k]], format_);
        if (measuring_) {
          width_ = std::max(width_, item.size());
          continue;
        }
        item.insert(0, width_ > item.size() ? width_ - item.size() : 0, ' ');
        if (k > 0) {
          // ", " + item + room for the closing brackets.
          if (line_length + 2 + item.size() + tensor_.shape.size() >
              static_cast<size_t>(options_.line_width)) {
            absl::StrAppend(out, ",\n", indent);
            line_length = indent.size();
          } else {
            out->append(", ");
            line_length += 2;
          }
        }
        out->append(item);
        line_length += item.size();
      } else {
        if (k > 0) {
          absl::StrAppend(out, ",",
                          std::string(tensor_.shape.size() - dim - 1, '\n'),
                          indent);
        }
        if (indices[k] < 0) {
          out->append("...");
        } else {
          Emit(dim + 1, offset + indices[k] * strides_[dim], out);
        }
      }
    }
    out->push_back(']');
  }

  const HostTensor& tensor_;
  const TensorFormatOptions& options_;
  std::vector<int64_t> strides_;
  bool summarize_ = false;
  ElementFormat format_;
  bool measuring_ = false;
  size_t width_ = 0;
};

}  // namespace

std::string FormatTensor(const HostTensor& tensor,
                         const TensorFormatOptions& options) {
  return Formatter(tensor, options).Format();
}

}  // namespace brainserve::client
