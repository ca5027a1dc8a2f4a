#include "server/admission/update_cost.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "server/admission/forward_cost.h"

namespace brainserve::server::admission {

int64_t UpdateCost::total_bytes() const {
  return SaturatingAdd(SaturatingAdd(decoded_bytes, value_bytes),
                       derived_bytes);
}

std::string UpdateCost::Breakdown() const {
  return absl::StrCat("decoded request ", decoded_bytes, ", new values ",
                      value_bytes, ", derived weights ", derived_bytes);
}

UpdateCost EstimateUpdateCost(const engine::Model& model,
                              const v1::UpdateParametersRequest& request,
                              bool replace_moves) {
  const std::vector<engine::ParameterInfo>& infos = model.parameter_infos();
  std::vector<bool> changed(infos.size(), false);
  UpdateCost cost;
  for (const v1::ParameterUpdate& update : request.updates()) {
    for (size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].layer != update.layer() || infos[i].name != update.name()) {
        continue;
      }
      int64_t bytes = sizeof(float);
      for (int64_t dim : infos[i].shape) bytes = SaturatingMul(bytes, dim);
      cost.decoded_bytes = SaturatingAdd(cost.decoded_bytes, bytes);
      const bool moved =
          replace_moves && update.mode() != v1::ParameterUpdate::ADD;
      if (!moved) cost.value_bytes = SaturatingAdd(cost.value_bytes, bytes);
      changed[i] = true;
      break;
    }
  }
  cost.derived_bytes = model.DerivedWeightBytes(changed);
  return cost;
}

}  // namespace brainserve::server::admission
