#include "server/forward_batch.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace brainserve::server {
namespace {

using CallList = std::vector<std::unique_ptr<ForwardCall>>;

// The batch's input, [rows, *input_shape]: a call alone is computed on its
// request's own floats when they can be read in place; otherwise the calls'
// inputs are concatenated into `storage`.
const float* BatchInput(const engine::Model& model, const CallList& calls,
                        int64_t rows, std::vector<float>& storage) {
  if (calls.size() == 1) {
    if (const float* in_place = calls[0]->io().InputInPlace()) return in_place;
  }
  const int64_t sample = model.input_sample_size();
  storage.resize(static_cast<size_t>(rows * sample));
  float* dst = storage.data();
  for (const auto& call : calls) {
    call->io().CopyInput(dst);
    dst += call->size() * sample;
  }
  return storage.data();
}

// One segment per call, with the masks its request was checked with; empty
// when no call has masks (the engine's plain path).
std::vector<engine::ForwardSegment> Segments(const CallList& calls) {
  std::vector<engine::ForwardSegment> segments;
  bool any_masks = false;
  for (const auto& call : calls) {
    any_masks = any_masks || !call->masks().empty();
  }
  if (!any_masks) return segments;
  segments.reserve(calls.size());
  for (const auto& call : calls) {
    segments.push_back({call->size(), &call->masks()});
  }
  return segments;
}

void FinishAll(CallList& calls, const absl::Status& status) {
  for (auto& call : calls) call->Finish(status);
}

}  // namespace

int ThreadsForBatch(const ForwardBatchContext& context, int64_t rows) {
  if (context.threads_per_forward <= 1) return 1;
  return rows < context.min_rows_for_all_threads ? 1
                                                 : context.threads_per_forward;
}

void RunForwardBatch(const ForwardBatchContext& context, CallList calls) {
  const engine::Model& model = *context.model;
  int64_t rows = 0;
  for (const auto& call : calls) {
    rows += call->size();
    context.reporter->RecordQueueSeconds(
        absl::ToDoubleSeconds(call->dequeue_time() - call->enqueue_time()));
  }
  std::vector<float> input_storage;
  const float* input = BatchInput(model, calls, rows, input_storage);
  const std::vector<engine::ForwardSegment> segments = Segments(calls);
  const int64_t out_sample = model.output_sample_size();
  std::vector<float> output(static_cast<size_t>(rows * out_sample));

  std::shared_ptr<const engine::ParameterSnapshot> snapshot = model.snapshot();
  absl::Status status;
  {
    const int threads = ThreadsForBatch(context, rows);
    ComputeBudgetLease lease(context.budget, threads);
    const absl::Time start = absl::Now();
    // 0: the model's own thread count (EngineOptions::num_threads).
    status = model.Forward(*snapshot, input, rows, segments, output.data(),
                           threads < context.threads_per_forward ? 1 : 0);
    context.reporter->RecordComputeSeconds(
        absl::ToDoubleSeconds(absl::Now() - start));
  }
  context.reporter->RecordBatchRows(rows);
  if (!status.ok()) {
    FinishAll(calls, status.code() == absl::StatusCode::kInternal
                         ? status
                         : absl::InternalError(status.message()));
    return;
  }

  std::vector<int64_t> shape;
  shape.push_back(0);
  shape.insert(shape.end(), model.output_shape().begin(),
               model.output_shape().end());
  const float* src = output.data();
  for (auto& call : calls) {
    shape[0] = call->size();
    const size_t n = static_cast<size_t>(call->size() * out_sample);
    call->io().SetOutput(shape, absl::MakeConstSpan(src, n),
                         snapshot->version());
    src += n;
    call->Finish(absl::OkStatus());
  }
}

}  // namespace brainserve::server
