#include "engine/shape.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace brainserve::engine {

int64_t NumElements(absl::Span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<int64_t> CheckedNumElements(absl::Span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative dimension in shape ", ShapeToString(shape)));
    }
    if (d != 0 && n > kMaxTensorElements / d) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape ", ShapeToString(shape), " has more than ",
                       kMaxTensorElements, " elements"));
    }
    n *= d;
  }
  return n;
}

std::string ShapeToString(absl::Span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

bool BroadcastsTo(absl::Span<const int64_t> from,
                  absl::Span<const int64_t> to) {
  if (from.size() > to.size()) return false;
  const size_t offset = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 1 && from[i] != to[offset + i]) return false;
  }
  return true;
}

bool BroadcastCompatible(absl::Span<const int64_t> a,
                         absl::Span<const int64_t> b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 1; i <= n; ++i) {
    const int64_t x = a[a.size() - i];
    const int64_t y = b[b.size() - i];
    if (x != y && x != 1 && y != 1) return false;
  }
  return true;
}

std::vector<int64_t> BroadcastStrides(absl::Span<const int64_t> from,
                                      absl::Span<const int64_t> to) {
  std::vector<int64_t> strides(to.size(), 0);
  const size_t offset = to.size() - from.size();
  int64_t stride = 1;
  for (size_t i = from.size(); i-- > 0;) {
    strides[offset + i] = from[i] == 1 ? 0 : stride;
    stride *= from[i];
  }
  return strides;
}

std::vector<float> BroadcastValues(const DenseTensor& from,
                                   absl::Span<const int64_t> to) {
  const std::vector<int64_t> strides = BroadcastStrides(from.shape, to);
  const int64_t total = NumElements(to);
  std::vector<float> out(static_cast<size_t>(total));
  std::vector<int64_t> index(to.size(), 0);
  int64_t src = 0;
  for (int64_t i = 0; i < total; ++i) {
    out[i] = from.data[src];
    // Odometer increment over `to`, tracking the source offset.
    for (size_t d = to.size(); d-- > 0;) {
      ++index[d];
      src += strides[d];
      if (index[d] < to[d]) break;
      src -= strides[d] * to[d];
      index[d] = 0;
    }
  }
  return out;
}

int64_t CanonicalAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return -1;
  return axis < 0 ? axis + rank : axis;
}

}  // namespace brainserve::engine
