// What one Forward (or one batch of Forwards) of a model will allocate, from
// the model's shapes and the row count alone: an estimate made before
// anything is allocated, so admission can refuse work that would exhaust
// memory or produce a response that can never be sent.
//
// Pure functions; thread-safe. Arithmetic saturates at INT64_MAX, so absurd
// row counts (a hostile input.shape) yield a huge cost, never an overflow.
#ifndef BRAINSERVE_SERVER_ADMISSION_FORWARD_COST_H_
#define BRAINSERVE_SERVER_ADMISSION_FORWARD_COST_H_

#include <cstdint>

#include "engine/model.h"

namespace brainserve::server::admission {

struct ForwardCost {
  // The batch's concatenated input, [rows, *input_shape] float32.
  int64_t input_bytes = 0;
  // The engine's output buffer, the encoded response tensor(s) and their
  // serialized form on the wire: three copies of [rows, *output_shape].
  int64_t output_bytes = 0;
  // Activations between layers, kernel buffers, the oneDNN scratchpad
  // (engine::Model::ForwardScratchBytes) and the decoded layer_norm masks
  // (at most [rows, *layer_input] each; read in place, never expanded).
  int64_t scratch_bytes = 0;
  // One serialized ForwardResponse carrying all `rows` rows: what must fit
  // the server's largest sent message.
  int64_t response_bytes = 0;

  // input + output + scratch (saturating): compared with the byte budget.
  int64_t total_bytes() const;
};

// The cost of a Forward of `rows` rows carrying masks for `mask_layers`
// layer_norm layers. `rows` < 1 counts as 1.
ForwardCost EstimateForwardCost(const engine::Model& model, int64_t rows,
                                int64_t mask_layers = 0);

// Saturating helpers (non-negative operands).
int64_t SaturatingAdd(int64_t a, int64_t b);
int64_t SaturatingMul(int64_t a, int64_t b);

}  // namespace brainserve::server::admission

#endif  // BRAINSERVE_SERVER_ADMISSION_FORWARD_COST_H_
