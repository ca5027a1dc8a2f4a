#include "server/parameter_ops.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/request_validation.h"
#include "server/tensor_codec.h"

namespace brainserve::server {

absl::Status ReadModelParameters(const ServedModel& model,
                                 const v1::GetParametersRequest& request,
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
  response->Clear();
  response->set_version(snapshot->version());
  for (size_t i = 0; i < infos.size(); ++i) {
    if (!request.layer().empty() && infos[i].layer != request.layer()) continue;
    if (!request.name().empty() && infos[i].name != request.name()) continue;
    v1::Parameter* out = response->add_parameters();
    out->set_layer(infos[i].layer);
    out->set_name(infos[i].name);
    const engine::DenseTensor& value = snapshot->value(i);
    EncodeTensor(value.shape, value.data, TensorEncoding::kValues,
                 out->mutable_value());
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
