// Runs one batch of forward calls (Forward, ModelInfer, HTTP infer alike,
// through their ForwardIo) through the engine: concatenates the inputs (and
// masks) along the batch axis, takes ONE parameter snapshot, runs
// Model::Forward once, splits the output and completes every call. All calls
// of a batch therefore report the same version.
//
// Masks: for every layer named by any call's masks, each call contributes its
// mask expanded to [B_i, *layer_input] (Model::ExpandMask), and a call
// without that mask contributes all-ones rows (every element included, which
// is what the layer computes without a mask). A batch of one call passes its
// masks through unexpanded.
//
// Runs on a batch worker thread; holds `budget` tokens only during compute.
#ifndef BRAINSERVE_SERVER_FORWARD_BATCH_H_
#define BRAINSERVE_SERVER_FORWARD_BATCH_H_

#include <memory>
#include <vector>

#include "engine/model.h"
#include "server/compute_budget.h"
#include "server/forward_call.h"
#include "server/metrics/reporter.h"

namespace brainserve::server {

struct ForwardBatchContext {
  const engine::Model* model = nullptr;        // not owned
  metrics::ModelReporter* reporter = nullptr;  // not owned
  ComputeBudget* budget = nullptr;             // not owned
  int threads_per_forward = 1;                 // tokens taken from `budget`
};

// Completes every call in `calls` (OK with outputs, or the engine's error).
void RunForwardBatch(const ForwardBatchContext& context,
                     std::vector<std::unique_ptr<ForwardCall>> calls);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_FORWARD_BATCH_H_
