// What one UpdateParameters request will allocate while its next snapshot is
// prepared, from the model's shapes and the request's parameter names alone:
// an estimate made before the request's values are decoded, so admission can
// refuse an update whose peak would exceed the byte limits.
//
// An update's peak is the current snapshot (already counted) plus:
//   - the request's values decoded to float32 (one copy per listed update);
//   - the new value of every touched parameter (an ADD copies the current
//     value and adds; a REPLACE copies the decoded value, unless it is moved
//     into the snapshot, then it costs nothing more);
//   - the derived weights of every touched layer (effective / standardized
//     weight, packed layouts, bias), engine::Model::DerivedWeightBytes().
// The wire message itself is already allocated (bounded by
// --max_update_message_bytes) and is not counted here.
//
// Pure functions; thread-safe. Unknown layer or parameter names cost nothing
// here (validation refuses them next).
#ifndef BRAINSERVE_SERVER_ADMISSION_UPDATE_COST_H_
#define BRAINSERVE_SERVER_ADMISSION_UPDATE_COST_H_

#include <cstdint>
#include <string>

#include "brainserve/v1/model_service.pb.h"
#include "engine/model.h"

namespace brainserve::server::admission {

struct UpdateCost {
  // The request's tensors decoded into float32 vectors.
  int64_t decoded_bytes = 0;
  // New values of the touched parameters not covered by a moved REPLACE.
  int64_t value_bytes = 0;
  // Derived weights of the touched layers.
  int64_t derived_bytes = 0;

  // decoded + value + derived (saturating).
  int64_t total_bytes() const;
  // "decoded request 4194304, new values 0, derived weights 4198400".
  std::string Breakdown() const;
};

// The cost of `request` on `model`. `replace_moves` is true when a REPLACE's
// decoded value is moved into the new snapshot (a local store), false when
// it is copied (a shared store keeps the decoded values to retry).
UpdateCost EstimateUpdateCost(const engine::Model& model,
                              const v1::UpdateParametersRequest& request,
                              bool replace_moves);

}  // namespace brainserve::server::admission

#endif  // BRAINSERVE_SERVER_ADMISSION_UPDATE_COST_H_
