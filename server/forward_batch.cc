#include "server/forward_batch.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace brainserve::server {
namespace {

using CallList = std::vector<std::unique_ptr<ForwardCall>>;

// Concatenates the calls' inputs into [rows, *input_shape].
std::vector<float> ConcatInputs(const engine::Model& model,
                                const CallList& calls, int64_t rows) {
  const int64_t sample = model.input_sample_size();
  std::vector<float> input(static_cast<size_t>(rows * sample));
  float* dst = input.data();
  for (const auto& call : calls) {
    call->io().CopyInput(dst);
    dst += call->size() * sample;
  }
  return input;
}

// One concatenated mask for `layer` over all calls (see the header).
absl::StatusOr<engine::DenseTensor> ConcatMask(const engine::Model& model,
                                               const std::string& layer,
                                               const CallList& calls,
                                               int64_t rows) {
  std::vector<engine::DenseTensor> expanded(calls.size());
  int64_t row_size = -1;
  std::vector<int64_t> row_shape;
  for (size_t i = 0; i < calls.size(); ++i) {
    auto it = calls[i]->masks().find(layer);
    if (it == calls[i]->masks().end()) continue;
    absl::StatusOr<engine::DenseTensor> mask =
        model.ExpandMask(layer, it->second, calls[i]->size());
    if (!mask.ok()) return mask.status();
    expanded[i] = *std::move(mask);
    row_size = static_cast<int64_t>(expanded[i].data.size()) / calls[i]->size();
    row_shape.assign(expanded[i].shape.begin() + 1, expanded[i].shape.end());
  }
  engine::DenseTensor out;
  out.shape.push_back(rows);
  out.shape.insert(out.shape.end(), row_shape.begin(), row_shape.end());
  out.data.assign(static_cast<size_t>(rows * row_size), 1.0f);
  float* dst = out.data.data();
  for (size_t i = 0; i < calls.size(); ++i) {
    const int64_t n = calls[i]->size() * row_size;
    if (!expanded[i].data.empty()) {
      std::memcpy(dst, expanded[i].data.data(), sizeof(float) * n);
    }
    dst += n;
  }
  return out;
}

absl::StatusOr<engine::MaskMap> ConcatMasks(const engine::Model& model,
                                            const CallList& calls,
                                            int64_t rows) {
  if (calls.size() == 1) return calls[0]->masks();
  absl::flat_hash_set<std::string> layers;
  for (const auto& call : calls) {
    for (const auto& [layer, mask] : call->masks()) layers.insert(layer);
  }
  engine::MaskMap masks;
  for (const std::string& layer : layers) {
    absl::StatusOr<engine::DenseTensor> mask =
        ConcatMask(model, layer, calls, rows);
    if (!mask.ok()) return mask.status();
    masks.emplace(layer, *std::move(mask));
  }
  return masks;
}

void FinishAll(CallList& calls, const absl::Status& status) {
  for (auto& call : calls) call->Finish(status);
}

}  // namespace

void RunForwardBatch(const ForwardBatchContext& context, CallList calls) {
  const engine::Model& model = *context.model;
  int64_t rows = 0;
  for (const auto& call : calls) {
    rows += call->size();
    context.reporter->RecordQueueSeconds(
        absl::ToDoubleSeconds(call->dequeue_time() - call->enqueue_time()));
  }
  const std::vector<float> input = ConcatInputs(model, calls, rows);
  absl::StatusOr<engine::MaskMap> masks = ConcatMasks(model, calls, rows);
  if (!masks.ok()) {
    FinishAll(calls, absl::InternalError(absl::StrCat(
                         "combining masks: ", masks.status().message())));
    return;
  }
  const int64_t out_sample = model.output_sample_size();
  std::vector<float> output(static_cast<size_t>(rows * out_sample));

  std::shared_ptr<const engine::ParameterSnapshot> snapshot = model.snapshot();
  absl::Status status;
  {
    ComputeBudgetLease lease(context.budget, context.threads_per_forward);
    const absl::Time start = absl::Now();
    status =
        model.Forward(*snapshot, input.data(), rows, *masks, output.data());
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
