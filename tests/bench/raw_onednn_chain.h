// A hand-built chain of raw oneDNN 2.6 primitives: the baseline the engine
// benchmark compares brainserve's engine against.
//
// The chain is what a careful oneDNN user would write for one fixed network
// and one fixed batch size, following oneDNN's own examples: every primitive is
// created once, weights are created with format_tag::any and reordered once
// into the layout the primitive prefers, a bias is fused into the matmul or
// convolution, activations stay in the plain row-major (channels-last) layout
// so each step reads the previous step's output in place, ReLU runs in place,
// and one user-managed scratchpad is shared by all primitives.
//
// The chain knows nothing about brainstate semantics: weights are given
// already derived (standardized, |W|*sign, masked) by the caller.
//
// Thread safety: Run() mutates the chain's buffers, so one chain must be used
// by one thread at a time. Create() and Run() use as many OpenMP threads as
// omp_get_max_threads() returns on the calling thread.
#ifndef BRAINSERVE_TESTS_BENCH_RAW_ONEDNN_CHAIN_H_
#define BRAINSERVE_TESTS_BENCH_RAW_ONEDNN_CHAIN_H_

#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace brainserve::bench {

// y = x . weight + bias over the last axis of the activation.
struct RawMatmulStep {
  int64_t out_features = 0;
  // (in_features, out_features) row-major, already derived.
  std::vector<float> weight;
  // (out_features) or empty for no bias.
  std::vector<float> bias;
};

// oneDNN layer_normalization_forward over the last axis.
struct RawLayerNormStep {
  float epsilon = 1e-6f;
  std::vector<float> scale;  // (features) or empty
  std::vector<float> shift;  // (features) or empty
};

// max(x, 0), in place.
struct RawReluStep {};

// Channels-last 1-D cross-correlation, groups = 1, no dilation.
struct RawConv1dStep {
  int64_t out_channels = 0;
  int64_t kernel_size = 1;
  int64_t stride = 1;
  int64_t pad_lo = 0;
  int64_t pad_hi = 0;
  // (kernel_size, in_channels, out_channels) row-major, already derived.
  std::vector<float> weight;
  // (out_channels) or empty for no bias.
  std::vector<float> bias;
};

using RawStep =
    std::variant<RawMatmulStep, RawLayerNormStep, RawReluStep, RawConv1dStep>;

class RawOnednnChain {
 public:
  // Builds the primitives for `batch` samples of per-sample shape
  // `input_shape` ([features] or [length, channels]). INVALID_ARGUMENT for
  // shapes the steps do not accept, INTERNAL for a oneDNN failure.
  static absl::StatusOr<std::unique_ptr<RawOnednnChain>> Create(
      const std::vector<RawStep>& steps,
      const std::vector<int64_t>& input_shape, int64_t batch);

  RawOnednnChain(const RawOnednnChain&) = delete;
  RawOnednnChain& operator=(const RawOnednnChain&) = delete;
  ~RawOnednnChain();

  // output[batch, *output_shape()] from input[batch, *input_shape], both
  // contiguous row-major float32 owned by the caller.
  absl::Status Run(const float* input, float* output);

  const std::vector<int64_t>& output_shape() const { return output_shape_; }
  int64_t output_size() const;  // batch * product(output_shape())
  // Floating-point operations of one Run() (matmuls and convolutions only).
  double flops() const { return flops_; }

 private:
  struct Impl;
  explicit RawOnednnChain(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::vector<int64_t> output_shape_;
  double flops_ = 0;
};

}  // namespace brainserve::bench

#endif  // BRAINSERVE_TESTS_BENCH_RAW_ONEDNN_CHAIN_H_
