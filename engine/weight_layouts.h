// The weight layouts a primitive prefers across pass sizes.
//
// oneDNN picks a weight layout per primitive shape (and thread count). If a
// layout chosen for one pass size is imposed on another, oneDNN may fall
// back to its slow reference implementation, which also accumulates in a
// different order (measured: brgconv at 2 threads prefers another layout
// for one sample than for 64, and the forced one gives ref:any). So each
// pass size keeps its preferred layout, and the weights are packed once per
// distinct layout (usually one, rarely two) when a version is prepared.
#ifndef BRAINSERVE_ENGINE_WEIGHT_LAYOUTS_H_
#define BRAINSERVE_ENGINE_WEIGHT_LAYOUTS_H_

#include <cstdint>
#include <vector>

#include "dnnl.hpp"
#include "engine/dnnl_util.h"

namespace brainserve::engine {

// Weights (and bias) of one parameter version in a kernel's primitive
// layouts. Immutable once built; shared by every Forward of that version.
// dnnl::memory is a reference-counted handle: copying a PackedWeights shares
// the buffers, which is how a bias-only update keeps the packed weights of
// the version before.
struct PackedWeights {
  std::vector<dnnl::memory> weights;  // one per WeightLayouts layout
  dnnl::memory bias;                  // empty when the kernel has no bias

  // The buffers' start addresses: every layout, then the bias (if any).
  std::vector<const void*> DataHandles() const;
};

struct WeightLayouts {
  std::vector<dnnl::memory::desc> layouts;  // distinct
  // [thread class][rows] -> index into `layouts`; [c][0] unused. A thread
  // class is an entry of the kernel's compiled thread counts
  // (CompiledThreadCounts()).
  std::vector<std::vector<int>> layout_of;

  // Queries `weights_desc_for(rows)` (the preferred weights desc of the
  // primitive for `rows` samples, built with format_tag::any) for every
  // rows in 1..max_rows, once under each of `thread_counts` (oneDNN sizes
  // its decomposition, and may choose its layout, by the OpenMP setting).
  // Throws dnnl::error.
  template <typename WeightsDescFor>
  static WeightLayouts Discover(int64_t max_rows,
                                const std::vector<int>& thread_counts,
                                WeightsDescFor&& weights_desc_for) {
    WeightLayouts result;
    for (int threads : thread_counts) {
      ScopedOmpThreads scoped(threads);
      std::vector<int>& layout_of_rows = result.layout_of.emplace_back();
      layout_of_rows.assign(max_rows + 1, 0);
      for (int64_t rows = 1; rows <= max_rows; ++rows) {
        const dnnl::memory::desc md = weights_desc_for(rows);
        size_t i = 0;
        while (i < result.layouts.size() && !(result.layouts[i] == md)) ++i;
        if (i == result.layouts.size()) result.layouts.push_back(md);
        layout_of_rows[rows] = static_cast<int>(i);
      }
    }
    return result;
  }

  // Reorders `weights` (plain, described by `plain_md`) once into every
  // layout, and copies `bias` (`bias_md`, f32) unless it is null.
  // Throws dnnl::error.
  PackedWeights Pack(const dnnl::memory::desc& plain_md, const float* weights,
                     const dnnl::memory::desc& bias_md,
                     const float* bias) const;

  // Bytes one Pack() allocates: every layout, plus `bias_md` (pass an empty
  // desc for none).
  int64_t PackedBytes(const dnnl::memory::desc& bias_md) const;

  // A copy of `bias` (f32, `bias_md`) in memory of its own. Throws
  // dnnl::error.
  static dnnl::memory PackBias(const dnnl::memory::desc& bias_md,
                               const float* bias);
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_WEIGHT_LAYOUTS_H_
