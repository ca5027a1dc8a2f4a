// SequentialModel's forward path: masks checked once per call, the batch
// computed in passes of at most max_rows_per_pass rows, each call's mask rows
// materialized for the pass in the workspace. Building, snapshots and
// updates are in sequential_model.cc.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/dnnl_util.h"
#include "engine/sequential_model.h"

namespace brainserve::engine {

absl::StatusOr<CheckedMasks> SequentialModel::CheckMasks(MaskMap masks,
                                                         int64_t rows) const {
  if (rows < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("masks: checked for ", rows, " rows, must be >= 1"));
  }
  // In name order, so the first error reported does not depend on hashing.
  std::vector<MaskMap::iterator> order;
  order.reserve(masks.size());
  for (auto it = masks.begin(); it != masks.end(); ++it) order.push_back(it);
  std::sort(order.begin(), order.end(),
            [](const MaskMap::iterator& a, const MaskMap::iterator& b) {
              return a->first < b->first;
            });
  std::vector<CheckedMasks::LayerMask> layers;
  layers.reserve(masks.size());
  for (const MaskMap::iterator& it : order) {
    const std::string& name = it->first;
    auto found = layer_by_name_.find(name);
    if (found == layer_by_name_.end()) {
      return absl::NotFoundError(
          absl::StrCat("masks[\"", name, "\"]: no layer named \"", name, "\""));
    }
    const Layer& layer = *layers_[found->second];
    if (!layer.accepts_mask()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "masks[\"", name, "\"]: layer \"", name, "\" is a ",
          layer.site().kind, "; only layer_norm layers take a mask"));
    }
    absl::Status status =
        CheckMaskShape(name, it->second, rows, layer.input_shape());
    if (!status.ok()) return status;
    CheckedMasks::LayerMask checked;
    checked.layer = found->second;
    checked.strides = BroadcastStrides(it->second.shape,
                                       BatchedShape(rows, layer.input_shape()));
    checked.values = std::move(it->second);
    layers.push_back(std::move(checked));
  }
  std::sort(layers.begin(), layers.end(),
            [](const CheckedMasks::LayerMask& a,
               const CheckedMasks::LayerMask& b) { return a.layer < b.layer; });
  return CheckedMasks(id_, rows, std::move(layers));
}

const float* SequentialModel::PassMask(
    size_t index, int64_t row0, int64_t rows,
    absl::Span<const ForwardSegment> segments, Workspace& workspace) const {
  bool any = false;
  for (const ForwardSegment& segment : segments) {
    any = any || (segment.masks != nullptr && segment.masks->Find(index));
  }
  if (!any) return nullptr;
  const Layer& layer = *layers_[index];
  const int64_t size = layer.input_size();
  float* mask = workspace.Buffer(Workspace::kMask, rows * size);
  int64_t start = 0;  // first batch row of `segment`
  for (const ForwardSegment& segment : segments) {
    const int64_t begin = std::max(start, row0);
    const int64_t end = std::min(start + segment.rows, row0 + rows);
    if (begin < end) {
      const CheckedMasks::LayerMask* own =
          segment.masks != nullptr ? segment.masks->Find(index) : nullptr;
      float* dst = mask + (begin - row0) * size;
      if (own != nullptr) {
        MaterializeMaskRows(*own, layer.input_shape(), begin - start,
                            end - begin, dst);
      } else {
        std::fill(dst, dst + (end - begin) * size, 1.0f);
      }
    }
    start += segment.rows;
  }
  return mask;
}

void SequentialModel::RunPass(const SnapshotImpl& snapshot, const float* input,
                              int64_t row0, int64_t rows,
                              absl::Span<const ForwardSegment> segments,
                              float* output, Workspace& workspace) const {
  const float* src = input + row0 * input_size_;
  float* const dst = output + row0 * output_size_;
  if (steps_.empty()) {
    std::memcpy(dst, src, sizeof(float) * rows * input_size_);
    return;
  }
  for (size_t s = 0; s < steps_.size(); ++s) {
    const size_t index = steps_[s];
    const Layer& layer = *layers_[index];
    float* out = s + 1 == steps_.size()
                     ? dst
                     : workspace.Buffer(s % 2 == 0 ? Workspace::kActivation0
                                                   : Workspace::kActivation1,
                                        rows * max_activation_size_);
    PassContext context;
    context.workspace = &workspace;
    context.rows = rows;
    if (layer.accepts_mask()) {
      context.mask = PassMask(index, row0, rows, segments, workspace);
    }
    layer.Forward(snapshot.layer_weights(index), src, out, context);
    src = out;
  }
}

absl::Status SequentialModel::Forward(const ParameterSnapshot& snapshot,
                                      const float* input, int64_t batch,
                                      absl::Span<const ForwardSegment> segments,
                                      float* output, int threads) const {
  if (threads != 0 && threads != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Forward: threads is ", threads,
                     "; it must be 0 (EngineOptions::num_threads) or 1"));
  }
  const auto* snap = dynamic_cast<const SnapshotImpl*>(&snapshot);
  if (snap == nullptr || snap->model_id() != id_) {
    return absl::InvalidArgumentError(
        "Forward: the snapshot does not belong to this model");
  }
  if (batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Forward: batch must be >= 1, got ", batch));
  }
  if (input == nullptr || output == nullptr) {
    return absl::InvalidArgumentError("Forward: null input or output");
  }
  int64_t covered = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const ForwardSegment& segment = segments[i];
    if (segment.rows < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Forward: segments[", i, "] has ", segment.rows, " rows"));
    }
    if (segment.masks != nullptr && !segment.masks->empty() &&
        (segment.masks->model_id() != id_ ||
         segment.masks->rows() != segment.rows)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Forward: segments[", i, "]: masks checked for ",
                       segment.masks->rows(), " rows of ",
                       segment.masks->model_id() == id_ ? "this" : "another",
                       " model, given for ", segment.rows));
    }
    covered += segment.rows;
  }
  if (!segments.empty() && covered != batch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Forward: segments cover ", covered, " rows of a batch of ", batch));
  }
  try {
    ScopedOmpThreads team(threads == 1 ? 1 : options_.num_threads);
    WorkspacePool::Lease workspace = workspaces_.Acquire();
    for (int64_t row0 = 0; row0 < batch; row0 += options_.max_rows_per_pass) {
      const int64_t rows = std::min(options_.max_rows_per_pass, batch - row0);
      RunPass(*snap, input, row0, rows, segments, output, *workspace);
    }
  } catch (const dnnl::error& e) {
    return DnnlErrorToStatus(e, "Forward");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("Forward: ", e.what()));
  }
  return absl::OkStatus();
}

int64_t SequentialModel::ForwardScratchBytes(int64_t batch) const {
  if (batch < 1 || steps_.empty()) return 0;
  const int64_t rows = std::min(batch, options_.max_rows_per_pass);
  // Activation buffers between steps (ping-pong: one with two steps, two
  // with more), the widest layer's own scratch, and 4 KiB for the oneDNN
  // scratchpad. Shapes are bounded by Build(); long double and the final
  // clamp keep absurd sizes from overflowing.
  const int activation_buffers = steps_.size() > 2 ? 2 : int(steps_.size()) - 1;
  const long double floats =
      static_cast<long double>(rows) *
      (static_cast<long double>(activation_buffers) * max_activation_size_ +
       max_scratch_per_row_);
  const long double bytes = floats * sizeof(float) + 4096.0L;
  if (bytes >= static_cast<long double>(INT64_MAX)) return INT64_MAX;
  return static_cast<int64_t>(bytes);
}

absl::Status SequentialModel::Warmup(int64_t max_batch) const {
  const int64_t largest = std::min(max_batch, options_.max_rows_per_pass);
  const std::shared_ptr<const SnapshotImpl> snap = current();
  std::vector<float> input(largest * input_size_, 0.0f);
  std::vector<float> output(largest * output_size_);
  const bool one_thread_too =
      CompiledThreadCounts(options_.num_threads).size() > 1;
  for (int threads : {0, 1}) {
    if (threads == 1 && !one_thread_too) break;
    for (int64_t rows = 1; rows <= largest; ++rows) {
      absl::Status status =
          Forward(*snap, input.data(), rows, {}, output.data(), threads);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace brainserve::engine
