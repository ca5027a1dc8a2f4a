// y[M, N] = x[M, K] . W[K, N] (+ bias[N]) (then an optional activation), on
// oneDNN matmul with the bias and the activation fused as post-ops, where
// M = samples * rows_per_sample (a Linear contracts only the last axis).
//
// Weights are reordered once per parameter version (Pack) into the blocked
// layout(s) the primitives prefer (WeightLayouts: found at Create() for every
// pass size; in practice one layout for a matmul). Primitives are cached per
// pass size (PlanCache) with a user-managed scratchpad taken from the
// caller's Workspace, so Run() may be called from many threads at once.
//
// With Config::bf16 the packed weights are bfloat16 and Run() rounds x to
// bfloat16 in the workspace first (engine/precision.h); the bias, the
// accumulation and y stay float32.
#ifndef BRAINSERVE_ENGINE_MATMUL_KERNEL_H_
#define BRAINSERVE_ENGINE_MATMUL_KERNEL_H_

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

class MatmulKernel {
 public:
  struct Config {
    int64_t k = 0;                // contraction size (input features)
    int64_t n = 0;                // output features
    int64_t rows_per_sample = 1;  // product of the leading per-sample dims
    bool has_bias = false;
    std::optional<Activation> activation;  // fused post-op, if any
    int64_t max_rows_per_pass = 64;        // samples, not matrix rows
    // OpenMP thread counts to compile for (CompiledThreadCounts()); Run()
    // uses the plans of the calling thread's setting (ThreadClass()).
    std::vector<int> thread_counts = {1};
    bool bf16 = false;  // bfloat16 weights and input, float32 accumulation
  };

  using Packed = PackedWeights;

  // INTERNAL if oneDNN cannot build the primitive.
  static absl::StatusOr<std::unique_ptr<MatmulKernel>> Create(
      const Config& config);

  // Packs the effective weight (row-major [K, N]) and bias ([N], ignored
  // without bias). Throws dnnl::error.
  Packed Pack(const float* weight_kn, const float* bias) const;
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

  const Config& config() const { return config_; }

 private:
  struct Plan {
    dnnl::matmul primitive;
    dnnl::memory::desc src_md;
    dnnl::memory::desc dst_md;
    dnnl::memory::desc scratchpad_md;
    int layout = 0;  // index into weight_layouts_.layouts
  };

  explicit MatmulKernel(const Config& config);
  dnnl::matmul::primitive_desc MakePrimitiveDesc(
      int64_t m, const dnnl::memory::desc& weights_md) const;
  std::unique_ptr<Plan> MakePlan(int64_t samples, int thread_class) const;

  const Config config_;
  WeightLayouts weight_layouts_;
  dnnl::memory::desc bias_md_;
  mutable PlanCache<Plan> plans_;
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_MATMUL_KERNEL_H_
