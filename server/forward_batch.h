// Runs one batch of forward calls (Forward, ModelInfer, HTTP infer alike,
// through their ForwardIo) through the engine: concatenates the inputs along
// the batch axis (a call alone computes on its request's own floats when
// ForwardIo::InputInPlace() has them), takes ONE parameter snapshot, runs
// Model::Forward once, splits the output and completes every call. All calls
// of a batch therefore report the same version.
//
// Masks travel per call: each call is one engine::ForwardSegment with the
// CheckedMasks its request was validated with, and the engine reads them in
// place (a call without a layer's mask computes as without one). Nothing
// here copies, expands or re-checks a mask.
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
