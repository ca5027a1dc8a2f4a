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
  int threads_per_forward = 1;                 // the model's OpenMP threads
  // A batch of fewer rows runs on one thread and takes one token from
  // `budget`; larger ones take threads_per_forward. 0 = always all. A small
  // batch gains little from a second thread (W2 at 8 rows: 1.4x the speed
  // for 2x the CPU) and under load the other core is better spent on the
  // next batch or the RPC threads; as load grows, batches grow and get every
  // thread again. The engine gives the same bits either way.
  int64_t min_rows_for_all_threads = 0;
};

// The OpenMP threads RunForwardBatch() uses for a batch of `rows`.
int ThreadsForBatch(const ForwardBatchContext& context, int64_t rows);

// Completes every call in `calls` (OK with outputs, or the engine's error).
void RunForwardBatch(const ForwardBatchContext& context,
                     std::vector<std::unique_ptr<ForwardCall>> calls);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_FORWARD_BATCH_H_
