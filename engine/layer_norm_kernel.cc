#include "engine/layer_norm_kernel.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "engine/layer_norm_group.h"

namespace brainserve::engine {
namespace {

// Passes of fewer elements run on the calling thread alone: W3's LayerNorm
// at B=1 (8,192 elements) measured 10% slower end to end when split over
// two threads than alone (docs/PERFORMANCE.md section 4), at B=8 (65,536)
// splitting pays.
constexpr int64_t kParallelMinElements = 16384;

using layer_norm::GroupFn;
using layer_norm::GroupParams;

// Group `g` of one row (x, m, y point at the row), then the activation.
void NormalizeOneGroup(GroupFn group_fn, const float* x, const float* m,
                       int64_t g, int64_t group_size, const GroupParams& p,
                       const float* scale, const float* bias,
                       const Activation* activation, float* y) {
  const int64_t off = g * group_size;
  group_fn(x + off, m != nullptr ? m + off : nullptr, group_size, p,
           scale != nullptr ? scale + off : nullptr,
           bias != nullptr ? bias + off : nullptr, y + off);
  if (activation != nullptr) activation->ApplyInPlace(y + off, group_size);
}

void NormalizeRow(GroupFn group_fn, const float* x, const float* m,
                  int64_t groups, int64_t group_size, const GroupParams& p,
                  const float* scale, const float* bias,
                  const Activation* activation, float* y) {
  for (int64_t g = 0; g < groups; ++g) {
    NormalizeOneGroup(group_fn, x, m, g, group_size, p, scale, bias, activation,
                      y);
  }
}

}  // namespace

LayerNormKernel::LayerNormKernel(const Shape& sample_shape,
                                 std::vector<int64_t> reduced_axes,
                                 float epsilon, bool fast_variance,
                                 Implementation implementation)
    : sample_size_(NumElements(sample_shape)),
      epsilon_(epsilon),
      fast_variance_(fast_variance),
      group_fn_(implementation == Implementation::kPortable
                    ? &layer_norm::NormalizeGroupPortable
                    : layer_norm::BestGroupFn()) {
  const int64_t rank = static_cast<int64_t>(sample_shape.size());
  std::sort(reduced_axes.begin(), reduced_axes.end());
  std::vector<bool> reduced(rank, false);
  for (int64_t a : reduced_axes) {
    reduced[a] = true;
    group_size_ *= sample_shape[a];
  }
  groups_ = sample_size_ / group_size_;
  const int64_t k = static_cast<int64_t>(reduced_axes.size());
  for (int64_t i = 0; i < k; ++i) {
    if (reduced_axes[i] != rank - k + i) contiguous_ = false;
  }
  if (contiguous_) return;
  // Row-major strides of the sample, then enumerate groups (non-reduced
  // axes, row-major) and their elements (reduced axes, row-major).
  std::vector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d) {
    strides[d] = strides[d + 1] * sample_shape[d + 1];
  }
  std::vector<int64_t> kept_axes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d]) kept_axes.push_back(d);
  }
  auto offsets = [&](const std::vector<int64_t>& axes) {
    std::vector<int64_t> result(1, 0);
    for (int64_t axis : axes) {
      std::vector<int64_t> next;
      next.reserve(result.size() * sample_shape[axis]);
      for (int64_t base : result) {
        for (int64_t i = 0; i < sample_shape[axis]; ++i) {
          next.push_back(base + i * strides[axis]);
        }
      }
      result.swap(next);
    }
    return result;
  };
  const std::vector<int64_t> group_base = offsets(kept_axes);
  const std::vector<int64_t> element = offsets(reduced_axes);
  order_.reserve(sample_size_);
  for (int64_t base : group_base) {
    for (int64_t e : element) order_.push_back(base + e);
  }
}

std::vector<float> LayerNormKernel::ToGroupOrder(
    const std::vector<float>& per_sample) const {
  if (contiguous_) return per_sample;
  std::vector<float> out(per_sample.size());
  for (int64_t i = 0; i < sample_size_; ++i) out[i] = per_sample[order_[i]];
  return out;
}

void LayerNormKernel::Run(const float* src, float* dst, const float* mask,
                          const float* scale, const float* bias,
                          const Activation* activation, int64_t rows,
                          Workspace& workspace) const {
  const GroupParams params{epsilon_, fast_variance_};
  if (activation != nullptr && activation->is_identity()) activation = nullptr;
  if (contiguous_) {
    const int64_t units = rows * groups_;  // (row, group) pairs
    const bool parallel = units > 1 &&
                          rows * sample_size_ >= kParallelMinElements &&
                          omp_get_max_threads() > 1;
    auto unit = [&](int64_t u) {
      const int64_t off = (u / groups_) * sample_size_;
      NormalizeOneGroup(
          group_fn_, src + off, mask != nullptr ? mask + off : nullptr,
          u % groups_, group_size_, params, scale, bias, activation, dst + off);
    };
    if (parallel) {
#pragma omp parallel for schedule(static)
      for (int64_t u = 0; u < units; ++u) unit(u);
    } else {
      for (int64_t u = 0; u < units; ++u) unit(u);
    }
    return;
  }
  // Gather each sample into group order, normalize, scatter back.
  float* gathered = workspace.Buffer(Workspace::kLayerNormGather,
                                     3 * static_cast<size_t>(sample_size_));
  float* gathered_mask = gathered + sample_size_;
  float* normalized = gathered_mask + sample_size_;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = src + r * sample_size_;
    const float* m = mask != nullptr ? mask + r * sample_size_ : nullptr;
    for (int64_t i = 0; i < sample_size_; ++i) gathered[i] = x[order_[i]];
    if (m != nullptr) {
      for (int64_t i = 0; i < sample_size_; ++i)
        gathered_mask[i] = m[order_[i]];
    }
    NormalizeRow(group_fn_, gathered, m != nullptr ? gathered_mask : nullptr,
                 groups_, group_size_, params, scale, bias, activation,
                 normalized);
    float* y = dst + r * sample_size_;
    for (int64_t i = 0; i < sample_size_; ++i) y[order_[i]] = normalized[i];
  }
}

}  // namespace brainserve::engine
