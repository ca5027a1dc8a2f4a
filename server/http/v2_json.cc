#include "server/http/v2_json.h"

#include <charconv>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "engine/tensor_codec.h"
#include "nlohmann/json.hpp"

namespace brainserve::server::http {
namespace {

using Json = nlohmann::json;
using inference::ModelInferRequest;

// Nesting allowed in an input's `data` (a tensor of rank 32 is plenty).
constexpr int kMaxDataDepth = 32;

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// Appends the numbers of `data` (nested arrays allowed) in row-major order.
absl::Status FlattenNumbers(const Json& data, const std::string& field,
                            int depth,
                            google::protobuf::RepeatedField<float>* out) {
  if (data.is_number()) {
    out->Add(static_cast<float>(data.get<double>()));
    return absl::OkStatus();
  }
  if (!data.is_array()) {
    return Invalid(field, absl::StrCat("element ", out->size(), " is ",
                                       data.type_name(), ", not a number"));
  }
  if (depth >= kMaxDataDepth) {
    return Invalid(field, absl::StrCat("nested deeper than ", kMaxDataDepth));
  }
  for (const Json& element : data) {
    absl::Status status = FlattenNumbers(element, field, depth + 1, out);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// The bool parameter `name` of a "parameters" object (absent: false).
absl::StatusOr<bool> BoolParameter(const Json& holder,
                                   const std::string& field,
                                   const char* name) {
  auto params = holder.find("parameters");
  if (params == holder.end()) return false;
  if (!params->is_object()) return Invalid(field + ".parameters", "not an object");
  auto value = params->find(name);
  if (value == params->end()) return false;
  if (!value->is_boolean()) {
    return Invalid(absl::StrCat(field, ".parameters.", name), "not a boolean");
  }
  return value->get<bool>();
}

// Reads one input; `binary` is the body after the JSON, `offset` the bytes
// of it used so far.
absl::Status ParseInput(const Json& input, const std::string& field,
                        absl::string_view binary, size_t* offset,
                        ModelInferRequest* request) {
  if (!input.is_object()) return Invalid(field, "not an object");
  ModelInferRequest::InferInputTensor* tensor = request->add_inputs();
  auto name = input.find("name");
  if (name == input.end() || !name->is_string()) {
    return Invalid(field + ".name", "missing or not a string");
  }
  tensor->set_name(name->get<std::string>());
  auto datatype = input.find("datatype");
  if (datatype == input.end() || !datatype->is_string()) {
    return Invalid(field + ".datatype", "missing or not a string");
  }
  tensor->set_datatype(datatype->get<std::string>());
  auto shape = input.find("shape");
  if (shape == input.end() || !shape->is_array()) {
    return Invalid(field + ".shape", "missing or not an array");
  }
  for (const Json& dim : *shape) {
    if (!dim.is_number_integer()) {
      return Invalid(field + ".shape", absl::StrCat(dim.dump(), " is not an integer"));
    }
    tensor->add_shape(dim.get<int64_t>());
  }
  auto params = input.find("parameters");
  if (params != input.end() && params->is_object() &&
      params->contains("binary_data_size")) {
    const Json& size = (*params)["binary_data_size"];
    const std::string size_field = field + ".parameters.binary_data_size";
    if (!size.is_number_unsigned()) {
      return Invalid(size_field, "not a non-negative integer");
    }
    const size_t bytes = size.get<size_t>();
    if (bytes > binary.size() - *offset) {
      return Invalid(size_field,
                     absl::StrCat(bytes, " bytes, but only ",
                                  binary.size() - *offset,
                                  " bytes of binary data are left after the "
                                  "JSON header"));
    }
    request->add_raw_input_contents(std::string(binary.substr(*offset, bytes)));
    *offset += bytes;
    return absl::OkStatus();
  }
  auto data = input.find("data");
  if (data == input.end()) {
    return Invalid(field + ".data",
                   "missing (or give parameters.binary_data_size)");
  }
  // Only FP32 data is read; any other datatype is refused by the protocol's
  // checks, which name inputs[i].datatype.
  if (tensor->datatype() != "FP32") return absl::OkStatus();
  return FlattenNumbers(*data, field + ".data", 0,
                        tensor->mutable_contents()->mutable_fp32_contents());
}

absl::Status ParseOutputs(const Json& outputs, HttpInferRequest* parsed) {
  if (!outputs.is_array()) return Invalid("outputs", "not an array");
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string field = absl::StrCat("outputs[", i, "]");
    const Json& output = outputs[i];
    if (!output.is_object()) return Invalid(field, "not an object");
    auto name = output.find("name");
    if (name == output.end() || !name->is_string()) {
      return Invalid(field + ".name", "missing or not a string");
    }
    parsed->request.add_outputs()->set_name(name->get<std::string>());
    absl::StatusOr<bool> binary = BoolParameter(output, field, "binary_data");
    if (!binary.ok()) return binary.status();
    if (*binary) parsed->binary_output = true;
  }
  return absl::OkStatus();
}

// `text` as a JSON string; invalid UTF-8 is replaced, never thrown on.
std::string Quote(const std::string& text) {
  return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void AppendFloat(float value, std::string* out) {
  char buffer[32];
  const std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

void AppendShape(const google::protobuf::RepeatedField<int64_t>& shape,
                 std::string* out) {
  out->push_back('[');
  for (int i = 0; i < shape.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, shape[i]);
  }
  out->push_back(']');
}

}  // namespace

absl::StatusOr<HttpInferRequest> ParseInferRequest(
    absl::string_view model_name, absl::string_view body,
    std::optional<size_t> json_length) {
  if (json_length.has_value() && *json_length > body.size()) {
    return Invalid(kInferenceHeaderContentLength,
                   absl::StrCat(*json_length, " exceeds the body's ",
                                body.size(), " bytes"));
  }
  const absl::string_view text =
      json_length.has_value() ? body.substr(0, *json_length) : body;
  const absl::string_view binary =
      json_length.has_value() ? body.substr(*json_length) : absl::string_view();
  Json json = Json::parse(text.begin(), text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Invalid("request body", "not valid JSON");
  }
  if (!json.is_object()) return Invalid("request body", "not a JSON object");
  HttpInferRequest parsed;
  parsed.request.set_model_name(std::string(model_name));
  if (auto id = json.find("id"); id != json.end()) {
    if (!id->is_string()) return Invalid("id", "not a string");
    parsed.request.set_id(id->get<std::string>());
  }
  absl::StatusOr<bool> binary_output =
      BoolParameter(json, "request", "binary_data_output");
  if (!binary_output.ok()) return binary_output.status();
  parsed.binary_output = *binary_output;
  auto inputs = json.find("inputs");
  if (inputs == json.end() || !inputs->is_array()) {
    return Invalid("inputs", "missing or not an array");
  }
  size_t offset = 0;
  for (size_t i = 0; i < inputs->size(); ++i) {
    absl::Status status = ParseInput((*inputs)[i], absl::StrCat("inputs[", i, "]"),
                                     binary, &offset, &parsed.request);
    if (!status.ok()) return status;
  }
  if (offset != binary.size()) {
    return Invalid(kInferenceHeaderContentLength,
                   absl::StrCat(binary.size() - offset,
                                " bytes after the JSON header belong to no "
                                "input's binary_data_size"));
  }
  if (auto outputs = json.find("outputs"); outputs != json.end()) {
    absl::Status status = ParseOutputs(*outputs, &parsed);
    if (!status.ok()) return status;
  }
  return parsed;
}

HttpBody RenderInferResponse(const inference::ModelInferResponse& response,
                             bool binary_output) {
  HttpBody out;
  std::string& json = out.body;
  absl::StrAppend(&json, "{\"model_name\":", Quote(response.model_name()),
                  ",\"model_version\":", Quote(response.model_version()));
  if (!response.id().empty()) {
    absl::StrAppend(&json, ",\"id\":", Quote(response.id()));
  }
  json += ",\"outputs\":[";
  std::string binary;
  for (int i = 0; i < response.outputs_size(); ++i) {
    const auto& output = response.outputs(i);
    // raw_output_contents are the protocol's little-endian bytes;
    // fp32_contents are host floats.
    const std::string* raw = i < response.raw_output_contents_size()
                                 ? &response.raw_output_contents(i)
                                 : nullptr;
    const auto& fp32 = output.contents().fp32_contents();
    const size_t count =
        raw != nullptr ? raw->size() / sizeof(float) : fp32.size();
    if (i > 0) json.push_back(',');
    absl::StrAppend(&json, "{\"name\":", Quote(output.name()),
                    ",\"datatype\":", Quote(output.datatype()),
                    ",\"shape\":");
    AppendShape(output.shape(), &json);
    if (binary_output) {  // little-endian, as the binary extension says
      absl::StrAppend(&json, ",\"parameters\":{\"binary_data_size\":",
                      count * sizeof(float), "}}");
      if (raw != nullptr) {
        binary += *raw;
      } else {
        binary += engine::LittleEndianBytes(fp32);
      }
      continue;
    }
    std::vector<float> decoded;
    absl::Span<const float> values = fp32;
    if (raw != nullptr) {
      decoded.resize(count);
      engine::LittleEndianToFloats(raw->data(), count, decoded.data());
      values = decoded;
    }
    json += ",\"data\":[";
    for (size_t k = 0; k < values.size(); ++k) {
      if (k > 0) json.push_back(',');
      AppendFloat(values[k], &json);
    }
    json += "]}";
  }
  json += "]}";
  if (binary_output) {
    out.json_length = json.size();
    json += binary;
  }
  return out;
}

std::string RenderServerMetadata(
    const inference::ServerMetadataResponse& response) {
  Json json = {{"name", response.name()},
               {"version", response.version()},
               {"extensions", Json::array()}};
  for (const std::string& extension : response.extensions()) {
    json["extensions"].push_back(extension);
  }
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string RenderModelMetadata(
    const inference::ModelMetadataResponse& response) {
  auto tensors = [](const auto& list) {
    Json out = Json::array();
    for (const auto& tensor : list) {
      out.push_back({{"name", tensor.name()},
                     {"datatype", tensor.datatype()},
                     {"shape", std::vector<int64_t>(tensor.shape().begin(),
                                                    tensor.shape().end())}});
    }
    return out;
  };
  Json json = {{"name", response.name()},
               {"versions", std::vector<std::string>(
                                response.versions().begin(),
                                response.versions().end())},
               {"platform", response.platform()},
               {"inputs", tensors(response.inputs())},
               {"outputs", tensors(response.outputs())}};
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string ErrorJson(absl::string_view message) {
  return Json({{"error", std::string(message)}})
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace brainserve::server::http
