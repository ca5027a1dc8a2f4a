// A 1-D cross-correlation on oneDNN's convolution primitive with JAX's
// conv_general_dilated semantics (layer-semantics.md 6.3-6.4): explicit
// (lo, hi) padding (negative crops), lhs and rhs dilation, contiguous groups,
// channels-last (nwc) or channel-first (ncw) data, and the bias and a
// following activation fused.
//
// oneDNN has no lhs (input) dilation and rejects negative left padding, so in
// those cases a small pre-processing step materializes the dilated, padded
// and cropped input (length Lp) in the workspace and the primitive runs on it
// without padding. The step also runs for any padding when the primitive may
// use several threads: oneDNN 2.6's brgconv then treats the padded borders
// differently depending on how it splits a pass between threads, so a
// sample's border outputs change (by ~1 ulp) with the batch size; on a
// materialized input it is bitwise batch invariant (measured; the copy costs
// 2-7% of W3's forward). Weights are reordered once per version into the
// layout(s) the primitives prefer (WeightLayouts); primitives are cached per
// pass size. Run() may be called from many threads at once.
//
// With Config::bf16 the packed weights are bfloat16 and Run() rounds the
// (pre-processed) input to bfloat16 in the workspace first
// (engine/precision.h); the bias, the accumulation and the output stay
// float32.
#ifndef BRAINSERVE_ENGINE_CONV1D_KERNEL_H_
#define BRAINSERVE_ENGINE_CONV1D_KERNEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "dnnl.hpp"
#include "engine/activation.h"
#include "engine/plan_cache.h"
#include "engine/weight_layouts.h"
#include "engine/workspace.h"

namespace brainserve::engine {

// Resolved geometry; all sizes >= 1 except the paddings, which may be < 0.
struct Conv1dGeometry {
  int64_t length = 0;        // L
  int64_t in_channels = 0;   // Cin
  int64_t out_channels = 0;  // Cout
  int64_t kernel = 0;        // K
  int64_t stride = 1;
  int64_t lhs_dilation = 1;
  int64_t rhs_dilation = 1;
  int64_t groups = 1;
  int64_t pad_lo = 0;
  int64_t pad_hi = 0;
  bool channel_first = false;

  int64_t dilated_length() const { return (length - 1) * lhs_dilation + 1; }
  int64_t padded_length() const { return dilated_length() + pad_lo + pad_hi; }
  int64_t effective_kernel() const { return (kernel - 1) * rhs_dilation + 1; }
  int64_t output_length() const {
    const int64_t lp = padded_length();
    const int64_t ke = effective_kernel();
    return lp < ke ? 0 : (lp - ke) / stride + 1;
  }
};

class Conv1dKernel {
 public:
  struct Config {
    Conv1dGeometry geometry;
    bool has_bias = false;
    std::optional<Activation> activation;  // fused post-op, if any
    int64_t max_rows_per_pass = 64;
    // OpenMP thread counts to compile for (CompiledThreadCounts()); Run()
    // uses the plans of the calling thread's setting (ThreadClass()).
    std::vector<int> thread_counts = {1};
    // Materialize the padding too (see above); set when any thread count
    // is over 1 (then for every thread count, so they give the same bits).
    bool materialize_padding = false;
    bool bf16 = false;  // bfloat16 weights and input, float32 accumulation
  };

  using Packed = PackedWeights;

  static absl::StatusOr<std::unique_ptr<Conv1dKernel>> Create(
      const Config& config);

  // Packs a weight in brainstate's layout (K, Cin/G, Cout), row-major, and
  // a bias of Cout values (ignored without bias). Throws dnnl::error.
  Packed Pack(const float* weight_kio, const float* bias) const;
  // `previous` with its bias replaced by a copy of `bias` ([N]; needs a
  // kernel with bias): the packed weights are shared, not copied. Throws
  // dnnl::error.
  Packed WithBias(const Packed& previous, const float* bias) const;

  // Bytes Pack() allocates (every weight layout and the bias), and the bias
  // alone (what WithBias() allocates; 0 without bias).
  int64_t PackedBytes() const;
  int64_t BiasBytes() const;

  // Runs `samples` samples (1..max_rows_per_pass). Throws dnnl::error.
  void Run(const Packed& packed, const float* src, float* dst, int64_t samples,
           Workspace& workspace) const;

 private:
  struct Plan {
    dnnl::convolution_forward primitive;
    dnnl::memory::desc src_md;
    dnnl::memory::desc dst_md;
    dnnl::memory::desc scratchpad_md;
    int layout = 0;  // index into weight_layouts_.layouts
  };

  explicit Conv1dKernel(const Config& config);
  dnnl::convolution_forward::primitive_desc MakePrimitiveDesc(
      int64_t samples, const dnnl::memory::desc& weights_md) const;
  std::unique_ptr<Plan> MakePlan(int64_t samples, int thread_class) const;
  // Writes the dilated / padded / cropped input of `samples` samples.
  void Preprocess(const float* src, int64_t samples, float* out) const;

  const Config config_;
  // Whether Preprocess() runs; then the primitive sees length Lp, no padding.
  const bool preprocess_;
  WeightLayouts weight_layouts_;
  dnnl::memory::desc bias_md_;
  mutable PlanCache<Plan> plans_;
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_CONV1D_KERNEL_H_
