#include "engine/sequential_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/checked_copy.h"
#include "engine/dnnl_util.h"
#include "engine/initializer.h"
#include "engine/model_builder.h"

namespace brainserve::engine {
namespace {

uint64_t NextModelId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

SequentialModel::SequentialModel(const EngineOptions& options,
                                 Shape input_shape,
                                 std::vector<std::unique_ptr<Layer>> layers)
    : id_(NextModelId()),
      options_(options),
      input_shape_(std::move(input_shape)),
      layers_(std::move(layers)) {
  output_shape_ =
      layers_.empty() ? input_shape_ : layers_.back()->output_shape();
  input_size_ = NumElements(input_shape_);
  output_size_ = NumElements(output_shape_);
  max_layer_input_size_ = input_size_;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = *layers_[i];
    max_layer_input_size_ =
        std::max(max_layer_input_size_, layer.input_size());
    max_scratch_per_row_ =
        std::max(max_scratch_per_row_, layer.scratch_floats_per_row());
    layer_by_name_[layer.name()] = i;
    layer_first_param_.push_back(infos_.size());
    for (const ParamDef& param : layer.params()) {
      infos_.push_back(ParameterInfo{layer.name(), param.name, param.shape});
      param_layer_.push_back(i);
      parameter_bytes_ += NumElements(param.shape) * int64_t{sizeof(float)};
    }
    if (!layer.is_noop()) {
      steps_.push_back(i);
      max_activation_size_ =
          std::max(max_activation_size_, layer.output_size());
    }
  }
  index_ = std::make_shared<ParameterIndex>(infos_);
}

absl::StatusOr<std::unique_ptr<SequentialModel>> SequentialModel::Build(
    const brainserve::v1::ModelSpec& spec, const EngineOptions& options) {
  if (options.max_rows_per_pass < 1) {
    return absl::InvalidArgumentError(
        "EngineOptions.max_rows_per_pass must be >= 1");
  }
  absl::Status supported = CheckPrecisionSupported(options.precision);
  if (!supported.ok()) return supported;
  CompileOptions compile_options;
  compile_options.max_rows_per_pass = options.max_rows_per_pass;
  compile_options.precision = options.precision;
  compile_options.num_threads = options.num_threads;
  compile_options.max_table_bytes = options.max_parameter_bytes;
  ScopedOmpThreads threads(options.num_threads);
  absl::StatusOr<std::vector<std::unique_ptr<Layer>>> layers =
      BuildLayers(spec, compile_options);
  if (!layers.ok()) return layers.status();
  std::unique_ptr<SequentialModel> model(new SequentialModel(
      options, Shape(spec.input_shape().begin(), spec.input_shape().end()),
      *std::move(layers)));
  if (options.max_parameter_bytes > 0 &&
      model->parameter_bytes_ > options.max_parameter_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the model's parameters need ", model->parameter_bytes_,
        " bytes, over the limit of ", options.max_parameter_bytes));
  }
  // Weights derived from small parameters can be far larger than they are
  // (a LayerNorm's are sample-sized): count them too, before
  // Create()/Restore() prepare the first snapshot.
  if (options.max_parameter_bytes > 0) {
    int64_t derived = 0;
    for (const auto& layer : model->layers_) {
      derived += layer->derived_weight_bytes();
      if (derived > options.max_parameter_bytes) break;  // no overflow
    }
    if (model->parameter_bytes_ + derived > options.max_parameter_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the model's parameters and the weights derived from them need ",
          model->parameter_bytes_, " + ", derived,
          " bytes or more, over the limit of ", options.max_parameter_bytes));
    }
  }
  // Admission by shape, then the primitives: a model refused here never
  // pays for creating them.
  if (options.admit_shapes) {
    absl::Status admitted = options.admit_shapes(*model);
    if (!admitted.ok()) return admitted;
  }
  absl::Status compiled = CompileLayers(model->layers_, compile_options);
  if (!compiled.ok()) return compiled;
  return model;
}

absl::Status SequentialModel::Publish(uint64_t version,
                                      std::vector<DenseTensor> values) {
  Values shared;
  shared.reserve(values.size());
  for (DenseTensor& value : values) {
    shared.push_back(std::make_shared<const DenseTensor>(std::move(value)));
  }
  absl::StatusOr<std::shared_ptr<const SnapshotImpl>> first =
      BuildSnapshot(version, std::move(shared), nullptr,
                    std::vector<bool>(infos_.size(), true));
  if (!first.ok()) return first.status();
  absl::MutexLock lock(&snapshot_mu_);
  current_ = *std::move(first);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SequentialModel>> SequentialModel::Create(
    const brainserve::v1::ModelSpec& spec, uint64_t seed,
    const EngineOptions& options) {
  absl::StatusOr<std::unique_ptr<SequentialModel>> model =
      Build(spec, options);
  if (!model.ok()) return model.status();
  SequentialModel& m = **model;
  std::vector<DenseTensor> values;
  values.reserve(m.infos_.size());
  for (size_t i = 0; i < m.layers_.size(); ++i) {
    for (const ParamDef& param : m.layers_[i]->params()) {
      values.push_back(InitializeParameter(
          param.init, param.shape, seed, static_cast<int64_t>(i), param.name));
    }
  }
  absl::Status status = m.Publish(1, std::move(values));
  if (!status.ok()) return status;
  return model;
}

absl::StatusOr<std::unique_ptr<SequentialModel>> SequentialModel::Restore(
    const brainserve::v1::ModelSpec& spec, std::vector<DenseTensor> values,
    uint64_t version, const EngineOptions& options) {
  if (version < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("version: must be >= 1, got ", version));
  }
  absl::StatusOr<std::unique_ptr<SequentialModel>> model =
      Build(spec, options);
  if (!model.ok()) return model.status();
  SequentialModel& m = **model;
  absl::Status checked = m.CheckValues(values);
  if (!checked.ok()) return checked;
  absl::Status status = m.Publish(version, std::move(values));
  if (!status.ok()) return status;
  return model;
}

absl::Status SequentialModel::CheckValues(
    const std::vector<DenseTensor>& values) const {
  if (values.size() != infos_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("values: ", values.size(), " parameters given, the spec has ",
                     infos_.size()));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const ParameterInfo& info = infos_[i];
    const std::string field =
        absl::StrCat("values[", i, "] (", info.layer, "/", info.name, ")");
    if (values[i].shape != info.shape ||
        static_cast<int64_t>(values[i].data.size()) != NumElements(info.shape)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": shape ", ShapeToString(values[i].shape), " with ",
          values[i].data.size(), " values, the spec says ",
          ShapeToString(info.shape)));
    }
    absl::Status finite = CheckAllFinite(values[i], field);
    if (!finite.ok()) return finite;
  }
  return absl::OkStatus();
}

absl::Status SequentialModel::Rebase(std::vector<DenseTensor> values,
                                     uint64_t version) {
  absl::MutexLock update_lock(&update_mu_);
  const uint64_t current = this->current()->version();
  if (version <= current) {
    return absl::FailedPreconditionError(
        absl::StrCat("version: ", version, " is not newer than the current ",
                     current));
  }
  absl::Status checked = CheckValues(values);
  if (!checked.ok()) return checked;
  return Publish(version, std::move(values));
}

absl::StatusOr<std::shared_ptr<const SnapshotImpl>>
SequentialModel::BuildSnapshot(uint64_t version, Values values,
                               const SnapshotImpl* previous,
                               const std::vector<bool>& changed_params) const {
  std::vector<std::shared_ptr<const LayerWeights>> weights(layers_.size());
  try {
    ScopedOmpThreads threads(options_.num_threads);
    for (size_t i = 0; i < layers_.size(); ++i) {
      const size_t first = layer_first_param_[i];
      const size_t count = layers_[i]->params().size();
      // std::vector<bool> has no data(): this layer's flags as bools.
      std::unique_ptr<bool[]> changed(new bool[count + 1]);
      bool any_changed = false;
      for (size_t p = 0; p < count; ++p) {
        changed[p] = changed_params[first + p];
        any_changed = any_changed || changed[p];
      }
      if (previous != nullptr && !any_changed) {
        weights[i] = previous->all_layer_weights()[i];
        continue;
      }
      std::vector<const DenseTensor*> layer_values;
      for (size_t p = 0; p < count; ++p) {
        layer_values.push_back(values[first + p].get());
      }
      weights[i] = previous == nullptr
                       ? layers_[i]->PrepareWeights(layer_values)
                       : layers_[i]->UpdateWeights(
                             layer_values, previous->all_layer_weights()[i],
                             absl::MakeConstSpan(changed.get(), count));
    }
  } catch (const dnnl::error& e) {
    return DnnlErrorToStatus(e, "preparing derived weights");
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("preparing derived weights: ", e.what()));
  }
  return std::make_shared<const SnapshotImpl>(id_, version, std::move(values),
                                              std::move(weights), index_);
}

std::shared_ptr<const SnapshotImpl> SequentialModel::current() const {
  absl::MutexLock lock(&snapshot_mu_);
  return current_;
}

std::shared_ptr<const ParameterSnapshot> SequentialModel::snapshot() const {
  return current();
}

absl::Status SequentialModel::ApplyUpdate(
    size_t i, const ParameterUpdate& update, ParameterUpdate* movable,
    Values& values, std::vector<bool>& changed_params) const {
  const std::string field = absl::StrCat("updates[", i, "]");
  const auto layer_it = layer_by_name_.find(update.layer);
  if (layer_it == layer_by_name_.end()) {
    return absl::NotFoundError(
        absl::StrCat(field, ".layer: no layer named \"", update.layer, "\""));
  }
  const int index = index_->Find(update.layer, update.name);
  if (index < 0) {
    return absl::NotFoundError(
        absl::StrCat(field, ".name: layer \"", update.layer,
                     "\" has no parameter \"", update.name, "\""));
  }
  const ParameterInfo& info = infos_[index];
  if (update.value.shape != info.shape) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".value.shape: ", ShapeToString(update.value.shape),
                     " does not match the shape of ", info.layer, "/",
                     info.name, ", ", ShapeToString(info.shape)));
  }
  const int64_t count = NumElements(info.shape);
  if (static_cast<int64_t>(update.value.data.size()) != count) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".value: ", update.value.data.size(),
                     " values for shape ", ShapeToString(info.shape)));
  }
  // One pass over the value: the finite check is folded into the copy (or
  // the sum, or done in place before a move). Only on failure are the
  // separate checks run again, for the same messages as ever.
  auto next = std::make_shared<DenseTensor>();
  next->shape = info.shape;
  bool finite;
  if (update.mode == UpdateMode::kReplace && movable != nullptr) {
    finite = AllFinite(update.value.data.data(), count);
    if (finite) next->data = std::move(movable->value.data);
  } else if (update.mode == UpdateMode::kReplace) {
    // One copy (a std::vector would zero-fill before a fused copy-and-check
    // loop could write; memcpy is faster than both), then the check reads
    // the fresh copy while it is still in cache.
    next->data.assign(update.value.data.begin(), update.value.data.end());
    finite = AllFinite(next->data.data(), count);
  } else {
    // The current value copied, then the delta added in place and checked
    // in the same pass.
    next->data = values[index]->data;
    finite = AddIfFinite(next->data.data(), update.value.data.data(), count,
                         next->data.data());
  }
  if (!finite) {
    absl::Status status = CheckAllFinite(update.value, field + ".value");
    if (!status.ok()) return status;
    const std::vector<float>& target = values[index]->data;
    for (int64_t e = 0; e < count; ++e) {
      if (!std::isfinite(target[e] + update.value.data[e])) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".value: adding element ", e,
                         " makes the parameter non-finite (overflow)"));
      }
    }
    return absl::InternalError(absl::StrCat(field, ": finite check mismatch"));
  }
  values[index] = std::move(next);
  changed_params[index] = true;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ParameterSnapshot>>
SequentialModel::Update(const std::vector<ParameterUpdate>& updates,
                        std::optional<uint64_t> expected_version,
                        const UpdateCommitHook& commit) {
  return UpdateImpl(updates, nullptr, expected_version, commit);
}

absl::StatusOr<std::shared_ptr<const ParameterSnapshot>>
SequentialModel::Update(std::vector<ParameterUpdate>&& updates,
                        std::optional<uint64_t> expected_version,
                        const UpdateCommitHook& commit) {
  return UpdateImpl(updates, &updates, expected_version, commit);
}

absl::StatusOr<std::shared_ptr<const ParameterSnapshot>>
SequentialModel::UpdateImpl(const std::vector<ParameterUpdate>& updates,
                            std::vector<ParameterUpdate>* movable,
                            std::optional<uint64_t> expected_version,
                            const UpdateCommitHook& commit) {
  absl::MutexLock update_lock(&update_mu_);
  const std::shared_ptr<const SnapshotImpl> previous = current();
  if (expected_version.has_value() &&
      *expected_version != previous->version()) {
    return absl::FailedPreconditionError(
        absl::StrCat("expected_version is ", *expected_version,
                     " but the current version is ", previous->version()));
  }
  // Copies pointers only: the values the updates do not touch are shared.
  Values values = previous->values();
  std::vector<bool> changed_params(infos_.size(), false);
  for (size_t i = 0; i < updates.size(); ++i) {
    absl::Status status = ApplyUpdate(
        i, updates[i], movable != nullptr ? &(*movable)[i] : nullptr, values,
        changed_params);
    if (!status.ok()) return status;
  }
  absl::StatusOr<std::shared_ptr<const SnapshotImpl>> next =
      BuildSnapshot(previous->version() + 1, std::move(values), previous.get(),
                    changed_params);
  if (!next.ok()) return next.status();
  if (commit) {
    absl::Status committed = commit((*next)->version());
    if (!committed.ok()) return committed;
  }
  {
    absl::MutexLock lock(&snapshot_mu_);
    current_ = *next;
  }
  return std::shared_ptr<const ParameterSnapshot>(*std::move(next));
}

int64_t SequentialModel::DerivedWeightBytes(
    const std::vector<bool>& changed_params) const {
  int64_t bytes = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const size_t first = layer_first_param_[i];
    const size_t count = layers_[i]->params().size();
    std::unique_ptr<bool[]> changed(new bool[count + 1]);
    bool any_changed = false;
    for (size_t p = 0; p < count; ++p) {
      changed[p] = first + p < changed_params.size() && changed_params[first + p];
      any_changed = any_changed || changed[p];
    }
    if (!any_changed) continue;
    bytes += layers_[i]->DerivedWeightBytes(
        absl::MakeConstSpan(changed.get(), count));
  }
  return bytes;
}

}  // namespace brainserve::engine
