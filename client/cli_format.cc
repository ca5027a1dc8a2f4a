#include "client/cli_format.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/host_tensor.h"
#include "client/json_tensor.h"
#include "engine/shape.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace brainserve::client {
namespace {

namespace pb = ::google::protobuf;
namespace v1 = ::brainserve::v1;

std::string ScalarText(const pb::Message& message,
                       const pb::FieldDescriptor* field, int index) {
  const pb::Reflection* reflection = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(
          repeated ? reflection->GetRepeatedInt32(message, field, index)
                   : reflection->GetInt32(message, field));
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(
          repeated ? reflection->GetRepeatedInt64(message, field, index)
                   : reflection->GetInt64(message, field));
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(
          repeated ? reflection->GetRepeatedUInt32(message, field, index)
                   : reflection->GetUInt32(message, field));
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(
          repeated ? reflection->GetRepeatedUInt64(message, field, index)
                   : reflection->GetUInt64(message, field));
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return FormatFloat(
          repeated ? reflection->GetRepeatedFloat(message, field, index)
                   : reflection->GetFloat(message, field));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(
          repeated ? reflection->GetRepeatedDouble(message, field, index)
                   : reflection->GetDouble(message, field));
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? reflection->GetRepeatedBool(message, field, index)
                       : reflection->GetBool(message, field))
                 ? "true"
                 : "false";
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return (repeated ? reflection->GetRepeatedEnum(message, field, index)
                       : reflection->GetEnum(message, field))
          ->name();
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return repeated ? reflection->GetRepeatedString(message, field, index)
                      : reflection->GetString(message, field);
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "?";
}

std::string MessageFieldText(const pb::FieldDescriptor* field,
                             const pb::Message& value) {
  if (value.GetDescriptor() == v1::Tensor::descriptor()) {
    const auto& tensor = static_cast<const v1::Tensor&>(value);
    return absl::StrCat(field->name(), "=tensor",
                        engine::ShapeToString(tensor.shape()));
  }
  const std::string inner = SummarizeMessage(value);
  if (inner.empty()) return field->name();  // e.g. Empty, or all defaults
  return absl::StrCat(field->name(), "(", inner, ")");
}

}  // namespace

std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (row.size() > widths.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) {
        line.append(widths[c] - row[c].size() + 2, ' ');
      }
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string SummarizeMessage(const pb::Message& message) {
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  std::vector<std::string> parts;
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        std::vector<std::string> items;
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          items.push_back(MessageFieldText(
              field, reflection->GetRepeatedMessage(message, field, i)));
        }
        parts.push_back(
            absl::StrCat(field->name(), "=[", absl::StrJoin(items, ", "), "]"));
      } else {
        parts.push_back(
            MessageFieldText(field, reflection->GetMessage(message, field)));
      }
    } else if (field->is_repeated()) {
      std::vector<std::string> items;
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        items.push_back(ScalarText(message, field, i));
      }
      parts.push_back(
          absl::StrCat(field->name(), "=[", absl::StrJoin(items, ", "), "]"));
    } else {
      parts.push_back(
          absl::StrCat(field->name(), "=", ScalarText(message, field, 0)));
    }
  }
  return absl::StrJoin(parts, " ");
}

std::string FormatModelList(const v1::ListModelsResponse& list) {
  std::vector<const v1::ModelInfo*> models;
  for (const v1::ModelInfo& info : list.models()) models.push_back(&info);
  std::sort(models.begin(), models.end(),
            [](const v1::ModelInfo* a, const v1::ModelInfo* b) {
              return a->name() < b->name();
            });
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSION", "INPUT", "OUTPUT", "LAYERS", "PARAMETERS"}};
  for (const v1::ModelInfo* info : models) {
    int64_t num_parameters = 0;
    for (const v1::ParameterInfo& parameter : info->parameters()) {
      int64_t count = 1;
      for (int64_t dim : parameter.shape()) count *= dim;
      num_parameters += count;
    }
    rows.push_back({info->name(), absl::StrCat(info->version()),
                    engine::ShapeToString(info->input_shape()),
                    engine::ShapeToString(info->output_shape()),
                    absl::StrCat(info->spec().layers_size()),
                    absl::StrCat(num_parameters)});
  }
  if (models.empty()) return "no models\n";
  return FormatTable(rows);
}

std::string FormatModelInfo(const v1::ModelInfo& info) {
  std::vector<std::vector<std::string>> header = {
      {"name:", info.name()},
      {"version:", absl::StrCat(info.version())},
      {"input shape:", engine::ShapeToString(info.input_shape())},
      {"output shape:", engine::ShapeToString(info.output_shape())},
      {"precision:", v1::Precision_Name(info.precision())},
  };
  if (info.has_batching()) {
    header.push_back({"batching:", SummarizeMessage(info.batching())});
  }
  std::string out = FormatTable(header);
  absl::StrAppend(&out, "layers:");
  if (info.spec().layers_size() == 0) {
    absl::StrAppend(&out, " none\n");
  } else {
    std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "OPTIONS"}};
    for (const v1::LayerSpec& layer : info.spec().layers()) {
      const pb::FieldDescriptor* kind =
          layer.GetReflection()->GetOneofFieldDescriptor(
              layer, v1::LayerSpec::descriptor()->FindOneofByName("kind"));
      rows.push_back({layer.name(), kind == nullptr ? "?" : kind->name(),
                      kind == nullptr
                          ? ""
                          : SummarizeMessage(layer.GetReflection()->GetMessage(
                                layer, kind))});
    }
    absl::StrAppend(&out, "\n", FormatTable(rows, "  "));
  }
  absl::StrAppend(&out, "parameters:");
  if (info.parameters_size() == 0) {
    absl::StrAppend(&out, " none\n");
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"LAYER", "NAME", "SHAPE", "ELEMENTS"}};
    for (const v1::ParameterInfo& parameter : info.parameters()) {
      int64_t count = 1;
      for (int64_t dim : parameter.shape()) count *= dim;
      rows.push_back({parameter.layer(), parameter.name(),
                      engine::ShapeToString(parameter.shape()),
                      absl::StrCat(count)});
    }
    absl::StrAppend(&out, "\n", FormatTable(rows, "  "));
  }
  return out;
}

absl::StatusOr<std::string> FormatJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = pb::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print JSON: ", status.message().as_string()));
  }
  return json;
}

}  // namespace brainserve::client
