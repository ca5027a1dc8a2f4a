#include "server/admission/forward_cost.h"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace brainserve::server::admission {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kFloatBytes = sizeof(float);
// A ForwardResponse's framing beyond its float payload: tags, lengths, the
// shape (<= 11 bytes a dimension), the version; generous.
constexpr int64_t kResponseOverheadBytes = 1024;

}  // namespace

int64_t SaturatingAdd(int64_t a, int64_t b) {
  return a > kMax - b ? kMax : a + b;
}

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kMax / b ? kMax : a * b;
}

int64_t ForwardCost::total_bytes() const {
  return SaturatingAdd(SaturatingAdd(input_bytes, output_bytes),
                       scratch_bytes);
}

ForwardCost EstimateForwardCost(const engine::Model& model, int64_t rows,
                                int64_t mask_layers) {
  rows = std::max<int64_t>(rows, 1);
  ForwardCost cost;
  cost.input_bytes = SaturatingMul(
      SaturatingMul(rows, model.input_sample_size()), kFloatBytes);
  const int64_t output_tensor_bytes = SaturatingMul(
      SaturatingMul(rows, model.output_sample_size()), kFloatBytes);
  cost.output_bytes = SaturatingMul(output_tensor_bytes, 3);
  // Each mask is decoded once, at most [rows, *layer_input], and read in
  // place; the rows one pass materializes are in ForwardScratchBytes.
  const int64_t mask_bytes = SaturatingMul(
      SaturatingMul(SaturatingMul(rows, model.max_layer_input_size()),
                    kFloatBytes),
      std::max<int64_t>(mask_layers, 0));
  cost.scratch_bytes =
      SaturatingAdd(model.ForwardScratchBytes(rows), mask_bytes);
  cost.response_bytes =
      SaturatingAdd(output_tensor_bytes, kResponseOverheadBytes);
  return cost;
}

}  // namespace brainserve::server::admission
