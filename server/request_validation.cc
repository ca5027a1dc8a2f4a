#include "server/request_validation.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/shape.h"

namespace brainserve::server {
namespace {

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '-';
}

const engine::ParameterInfo* FindParameter(const engine::Model& model,
                                           absl::string_view layer,
                                           absl::string_view name) {
  for (const engine::ParameterInfo& info : model.parameter_infos()) {
    if (info.layer == layer && info.name == name) return &info;
  }
  return nullptr;
}

absl::StatusOr<engine::ParameterUpdate> ValidateOneUpdate(
    const v1::ParameterUpdate& update, const std::string& field,
    const engine::Model& model, absl::Span<const std::string> layer_names) {
  if (update.layer().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".layer: empty"));
  }
  if (update.name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".name: empty"));
  }
  if (std::find(layer_names.begin(), layer_names.end(), update.layer()) ==
      layer_names.end()) {
    return absl::NotFoundError(absl::StrCat(field, ".layer: no layer '",
                                            update.layer(), "' in the model"));
  }
  const engine::ParameterInfo* info =
      FindParameter(model, update.layer(), update.name());
  if (info == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(field, ".name: layer '", update.layer(),
                     "' has no parameter '", update.name(), "'"));
  }
  engine::ParameterUpdate out;
  out.layer = update.layer();
  out.name = update.name();
  switch (update.mode()) {
    case v1::ParameterUpdate::REPLACE:
      out.mode = engine::UpdateMode::kReplace;
      break;
    case v1::ParameterUpdate::ADD:
      out.mode = engine::UpdateMode::kAdd;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".mode: ", static_cast<int>(update.mode()),
                       " is not REPLACE or ADD"));
  }
  if (!update.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".value: missing"));
  }
  const std::string value_field = absl::StrCat(field, ".value");
  absl::StatusOr<engine::DenseTensor> value =
      engine::DecodeTensor(update.value(), value_field);
  if (!value.ok()) return value.status();
  if (value->shape != info->shape) {
    return absl::InvalidArgumentError(absl::StrCat(
        value_field, ".shape: ", engine::ShapeToString(value->shape),
        ", expected ", engine::ShapeToString(info->shape), " for ",
        update.layer(), "/", update.name()));
  }
  out.value = *std::move(value);
  return out;
}

}  // namespace

absl::Status ValidateModelName(absl::string_view name,
                               absl::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  }
  if (name.size() > kMaxModelNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", name.size(), " characters, at most ",
                     kMaxModelNameLength, " allowed"));
  }
  const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(), IsNameChar);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", absl::CHexEscape(name),
                     "' does not match [A-Za-z0-9][A-Za-z0-9._-]{0,127}"));
  }
  return absl::OkStatus();
}

absl::StatusOr<engine::Precision> PrecisionFromProto(int precision) {
  switch (precision) {
    case v1::FP32:
      return engine::Precision::kFp32;
    case v1::BF16:
      return engine::Precision::kBf16;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "precision: unknown value ", precision, " (FP32 = 0, BF16 = 1)"));
  }
}

v1::Precision PrecisionToProto(engine::Precision precision) {
  return precision == engine::Precision::kBf16 ? v1::BF16 : v1::FP32;
}

absl::Status ValidateBatchedShape(absl::Span<const int64_t> shape,
                                  absl::Span<const int64_t> sample,
                                  absl::string_view field) {
  std::string want_shape = "[B";  // e.g. "[B, 128, 64]"
  for (int64_t dim : sample) absl::StrAppend(&want_shape, ", ", dim);
  want_shape += "]";
  if (shape.size() != sample.size() + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape: ", engine::ShapeToString(shape),
                     " has rank ", shape.size(), ", expected ", want_shape));
  }
  if (shape[0] < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape[0]: batch size ", shape[0],
                     ", must be >= 1 (expected ", want_shape, ")"));
  }
  for (size_t i = 0; i < sample.size(); ++i) {
    if (shape[i + 1] != sample[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".shape: ", engine::ShapeToString(shape),
                       ", expected ", want_shape));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ValidatedForward> ValidateForwardRequest(
    const v1::ForwardRequest& request, const engine::Model& model) {
  if (!request.has_input()) {
    return absl::InvalidArgumentError("input: missing");
  }
  absl::StatusOr<int64_t> count =
      engine::ValidateTensor(request.input(), "input");
  if (!count.ok()) return count.status();
  absl::Status status = ValidateBatchedShape(request.input().shape(),
                                             model.input_shape(), "input");
  if (!status.ok()) return status;

  ValidatedForward out;
  out.batch_rows = request.input().shape(0);
  out.encoding = engine::EncodingOf(request.input());
  if (request.masks().empty()) return out;
  engine::MaskMap masks;
  for (const auto& [layer, tensor] : request.masks()) {
    absl::StatusOr<engine::DenseTensor> mask =
        engine::DecodeTensor(tensor, absl::StrCat("masks[\"", layer, "\"]"));
    if (!mask.ok()) return mask.status();
    masks.emplace(layer, *std::move(mask));
  }
  absl::StatusOr<engine::CheckedMasks> checked =
      model.CheckMasks(std::move(masks), out.batch_rows);
  if (!checked.ok()) return checked.status();
  out.masks = *std::move(checked);
  return out;
}

absl::StatusOr<std::vector<engine::ParameterUpdate>> ValidateUpdates(
    const v1::UpdateParametersRequest& request, const engine::Model& model,
    absl::Span<const std::string> layer_names) {
  if (request.updates().empty()) {
    return absl::InvalidArgumentError("updates: empty, nothing to update");
  }
  std::vector<engine::ParameterUpdate> updates;
  updates.reserve(request.updates_size());
  absl::flat_hash_set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < request.updates_size(); ++i) {
    const std::string field = absl::StrCat("updates[", i, "]");
    absl::StatusOr<engine::ParameterUpdate> update =
        ValidateOneUpdate(request.updates(i), field, model, layer_names);
    if (!update.ok()) return update.status();
    if (!seen.emplace(update->layer, update->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", update->layer, "/", update->name,
                       " is updated more than once in one request"));
    }
    updates.push_back(*std::move(update));
  }
  return updates;
}

}  // namespace brainserve::server
