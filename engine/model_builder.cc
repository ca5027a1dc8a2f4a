#include "engine/model_builder.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/activation_layer.h"
#include "engine/conv1d_layer.h"
#include "engine/dense_layer.h"
#include "engine/layer_norm_layer.h"

namespace brainserve::engine {
namespace {

using brainserve::v1::LayerSpec;

absl::Status CheckInputShape(const brainserve::v1::ModelSpec& spec) {
  if (spec.input_shape().empty()) {
    return absl::InvalidArgumentError(
        "input_shape: must have at least one dimension (the per-sample "
        "shape, without the batch axis)");
  }
  for (int i = 0; i < spec.input_shape_size(); ++i) {
    if (spec.input_shape(i) <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input_shape[", i, "]: must be positive, got ", spec.input_shape(i)));
    }
  }
  absl::StatusOr<int64_t> count = CheckedNumElements(
      Shape(spec.input_shape().begin(), spec.input_shape().end()));
  if (!count.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input_shape: ", count.status().message()));
  }
  return absl::OkStatus();
}

const char* KindName(LayerSpec::KindCase kind) {
  switch (kind) {
    case LayerSpec::kLinear:
      return "linear";
    case LayerSpec::kSignedWLinear:
      return "signed_w_linear";
    case LayerSpec::kScaledWsLinear:
      return "scaled_ws_linear";
    case LayerSpec::kScaledWsConv1D:
      return "scaled_ws_conv1d";
    case LayerSpec::kLayerNorm:
      return "layer_norm";
    case LayerSpec::kActivation:
      return "activation";
    case LayerSpec::KIND_NOT_SET:
      break;
  }
  return "kind";
}

absl::StatusOr<std::unique_ptr<Layer>> BuildLayer(
    const LayerSpec& spec, const LayerSite& site, const Shape& input_shape,
    const CompileOptions& options) {
  switch (spec.kind_case()) {
    case LayerSpec::kLinear:
      return BuildLinear(spec.linear(), site, input_shape, options);
    case LayerSpec::kSignedWLinear:
      return BuildSignedWLinear(spec.signed_w_linear(), site, input_shape,
                                options);
    case LayerSpec::kScaledWsLinear:
      return BuildScaledWSLinear(spec.scaled_ws_linear(), site, input_shape,
                                 options);
    case LayerSpec::kScaledWsConv1D:
      return BuildScaledWSConv1d(spec.scaled_ws_conv1d(), site, input_shape,
                                 options);
    case LayerSpec::kLayerNorm:
      return BuildLayerNorm(spec.layer_norm(), site, input_shape, options);
    case LayerSpec::kActivation: {
      absl::StatusOr<std::unique_ptr<ActivationLayer>> layer =
          BuildActivation(spec.activation(), site, input_shape);
      if (!layer.ok()) return layer.status();
      return std::unique_ptr<Layer>(*std::move(layer));
    }
    case LayerSpec::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(site.Prefix(),
                   ": kind: no layer kind is set (one of "
                   "linear, signed_w_linear, scaled_ws_linear, "
                   "scaled_ws_conv1d, layer_norm, activation)"));
}

}  // namespace

absl::StatusOr<std::vector<std::unique_ptr<Layer>>> BuildLayers(
    const brainserve::v1::ModelSpec& spec, const CompileOptions& options) {
  absl::Status status = CheckInputShape(spec);
  if (!status.ok()) return status;
  std::vector<std::unique_ptr<Layer>> layers;
  absl::flat_hash_map<std::string, int> names;
  Shape shape(spec.input_shape().begin(), spec.input_shape().end());
  int64_t table_bytes = 0;  // derived_weight_bytes() of the layers so far
  for (int i = 0; i < spec.layers_size(); ++i) {
    const LayerSpec& layer_spec = spec.layers(i);
    LayerSite site;
    site.index = i;
    site.name = layer_spec.name().empty() ? absl::StrCat(i) : layer_spec.name();
    site.kind = KindName(layer_spec.kind_case());
    const auto [it, inserted] = names.emplace(site.name, i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          site.Prefix(), ": name: duplicate layer name (also layers[",
          it->second, "])"));
    }
    // Each layer gets what the earlier layers' tables left of the budget.
    CompileOptions layer_options = options;
    if (options.max_table_bytes > 0) {
      layer_options.max_table_bytes =
          std::max<int64_t>(1, options.max_table_bytes - table_bytes);
    }
    absl::StatusOr<std::unique_ptr<Layer>> layer =
        BuildLayer(layer_spec, site, shape, layer_options);
    if (!layer.ok()) return layer.status();
    table_bytes += (*layer)->derived_weight_bytes();
    shape = (*layer)->output_shape();
    layers.push_back(*std::move(layer));
  }
  // Fuse each activation into the layer right before it when that layer can
  // apply it (a matmul / convolution as a oneDNN post-op, a LayerNorm in
  // its kernel); the activation layer then computes nothing.
  for (size_t i = 1; i < layers.size(); ++i) {
    auto* activation = dynamic_cast<ActivationLayer*>(layers[i].get());
    if (activation == nullptr || activation->is_noop()) continue;
    if (layers[i - 1]->FuseActivation(activation->activation())) {
      activation->MarkFused();
    }
  }
  return layers;
}

absl::Status CompileLayers(absl::Span<const std::unique_ptr<Layer>> layers,
                           const CompileOptions& options) {
  for (const std::unique_ptr<Layer>& layer : layers) {
    absl::Status status = layer->Compile(options);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat(layer->site().Prefix(),
                                                      ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace brainserve::engine
