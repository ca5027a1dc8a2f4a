#include "server/served_model.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/request_validation.h"

namespace brainserve::server {
namespace {

std::vector<std::string> LayerNames(const v1::ModelSpec& spec) {
  std::vector<std::string> names;
  names.reserve(spec.layers_size());
  for (int i = 0; i < spec.layers_size(); ++i) {
    const std::string& name = spec.layers(i).name();
    names.push_back(name.empty() ? absl::StrCat(i) : name);
  }
  return names;
}

}  // namespace

ServedModel::ServedModel(std::string name, v1::ModelSpec spec,
                         std::shared_ptr<engine::Model> model,
                         ModelBatchingOptions batching,
                         std::shared_ptr<metrics::ModelReporter> reporter,
                         std::unique_ptr<ForwardExecutor> executor,
                         std::shared_ptr<ModelUpdateQueue> updates,
                         store::ModelId store_id, DeadlineTimer* timer)
    : name_(std::move(name)),
      spec_(std::move(spec)),
      model_(std::move(model)),
      layer_names_(LayerNames(spec_)),
      batching_(batching),
      reporter_(std::move(reporter)),
      store_id_(store_id),
      gate_(std::make_shared<VersionGate>(
          absl::StrCat("model '", name_, "'"),
          model_->snapshot()->version(), timer)),
      updates_(std::move(updates)),
      executor_(std::move(executor)) {}

void ServedModel::FillInfo(v1::ModelInfo* info) const {
  info->Clear();
  info->set_name(name_);
  *info->mutable_spec() = spec_;
  info->mutable_input_shape()->Add(model_->input_shape().begin(),
                                   model_->input_shape().end());
  info->mutable_output_shape()->Add(model_->output_shape().begin(),
                                    model_->output_shape().end());
  info->set_version(model_->snapshot()->version());
  for (const engine::ParameterInfo& parameter : model_->parameter_infos()) {
    v1::ParameterInfo* out = info->add_parameters();
    out->set_layer(parameter.layer);
    out->set_name(parameter.name);
    out->mutable_shape()->Add(parameter.shape.begin(), parameter.shape.end());
  }
  *info->mutable_batching() = ToProto(batching_);
  info->set_precision(PrecisionToProto(model_->precision()));
}

}  // namespace brainserve::server
