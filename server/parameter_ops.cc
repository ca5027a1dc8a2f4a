#include "server/parameter_ops.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/request_validation.h"
#include "server/tensor_codec.h"

namespace brainserve::server {
namespace {

absl::StatusOr<uint64_t> ApplyUpdates(
    const ServedModel& model, const v1::UpdateParametersRequest& request) {
  absl::StatusOr<std::vector<engine::ParameterUpdate>> updates =
      ValidateUpdates(request, model.engine(), model.layer_names());
  if (!updates.ok()) return updates.status();
  std::optional<uint64_t> expected;
  if (request.has_expected_version()) expected = request.expected_version();
  absl::StatusOr<std::shared_ptr<const engine::ParameterSnapshot>> snapshot =
      model.engine().Update(*updates, expected);
  if (!snapshot.ok()) return snapshot.status();
  return (*snapshot)->version();
}

}  // namespace

absl::StatusOr<uint64_t> UpdateModelParameters(
    const ServedModel& model, const v1::UpdateParametersRequest& request) {
  const absl::Time start = absl::Now();
  absl::StatusOr<uint64_t> version = ApplyUpdates(model, request);
  model.reporter()->RecordParameterUpdate(
      version.status().code(), absl::ToDoubleSeconds(absl::Now() - start));
  if (version.ok()) model.reporter()->SetVersion(*version);
  return version;
}

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
  const std::vector<engine::DenseTensor>& values = snapshot->values();
  response->Clear();
  response->set_version(snapshot->version());
  for (size_t i = 0; i < infos.size(); ++i) {
    if (!request.layer().empty() && infos[i].layer != request.layer()) continue;
    if (!request.name().empty() && infos[i].name != request.name()) continue;
    v1::Parameter* out = response->add_parameters();
    out->set_layer(infos[i].layer);
    out->set_name(infos[i].name);
    EncodeTensor(values[i].shape, values[i].data, TensorEncoding::kValues,
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
