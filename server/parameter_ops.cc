#include "server/parameter_ops.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/tensor_codec.h"
#include "server/request_validation.h"

namespace brainserve::server {

absl::Status ReadModelParameters(const ServedModel& model,
                                 const v1::GetParametersRequest& request,
                                 const admission::AdmissionLimits& limits,
                                 v1::GetParametersResponse* response) {
  const std::vector<std::string>& layers = model.layer_names();
  if (!request.layer().empty() && std::find(layers.begin(), layers.end(),
                                            request.layer()) == layers.end()) {
    return absl::NotFoundError(absl::StrCat("layer: no layer '",
                                            request.layer(), "' in model '",
                                            model.name(), "'"));
  }
  std::shared_ptr<const engine::ParameterSnapshot> snapshot =
      model.engine().snapshot();
  const std::vector<engine::ParameterInfo>& infos =
      model.engine().parameter_infos();
  auto selected = [&](const engine::ParameterInfo& info) {
    return (request.layer().empty() || info.layer == request.layer()) &&
           (request.name().empty() || info.name == request.name());
  };
  // The serialized size, from the shapes: 4 bytes a value (packed floats)
  // plus names, the shape and framing; refused before any copy is made.
  int64_t response_bytes = 16;
  for (const engine::ParameterInfo& info : infos) {
    if (!selected(info)) continue;
    int64_t elements = 1;
    for (int64_t dim : info.shape) {
      elements = admission::SaturatingMul(elements, dim);
    }
    response_bytes = admission::SaturatingAdd(
        response_bytes,
        admission::SaturatingAdd(
            admission::SaturatingMul(elements, int64_t{sizeof(float)}),
            static_cast<int64_t>(info.layer.size() + info.name.size() +
                                 11 * info.shape.size() + 32)));
  }
  absl::Status admitted = admission::AdmitParametersResponse(
      limits, model.name(), response_bytes);
  if (!admitted.ok()) return admitted;
  response->Clear();
  response->set_version(snapshot->version());
  for (size_t i = 0; i < infos.size(); ++i) {
    if (!selected(infos[i])) continue;
    v1::Parameter* out = response->add_parameters();
    out->set_layer(infos[i].layer);
    out->set_name(infos[i].name);
    const engine::DenseTensor& value = snapshot->value(i);
    engine::EncodeTensor(value.shape, value.data,
                         engine::TensorEncoding::kValues, out->mutable_value());
  }
  if (!request.name().empty() && response->parameters().empty()) {
    const std::string where =
        request.layer().empty() ? std::string("any layer")
                                : absl::StrCat("layer '", request.layer(), "'");
    return absl::NotFoundError(
        absl::StrCat("name: no parameter '", request.name(), "' in ", where));
  }
  return absl::OkStatus();
}

}  // namespace brainserve::server
