#include "tests/engine/golden_data.h"

#include <fstream>
#include <sstream>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace brainserve::engine::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

std::string ToJson(const Value& value) {
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(value, &json);
  return status.ok() ? json : "";
}

const Value* Field(const Struct& object, const std::string& key) {
  const auto it = object.fields().find(key);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::vector<int64_t> ToShape(const Value& list) {
  std::vector<int64_t> shape;
  for (const Value& v : list.list_value().values()) {
    shape.push_back(static_cast<int64_t>(v.number_value()));
  }
  return shape;
}

DenseTensor ToTensor(const Value& value) {
  DenseTensor tensor;
  const Struct& object = value.struct_value();
  if (const Value* shape = Field(object, "shape"))
    tensor.shape = ToShape(*shape);
  if (const Value* values = Field(object, "values")) {
    for (const Value& v : values->list_value().values()) {
      tensor.data.push_back(static_cast<float>(v.number_value()));
    }
  }
  return tensor;
}

bool ParseLayer(const Value& value, brainserve::v1::LayerSpec* layer,
                std::string* error) {
  const auto status =
      google::protobuf::util::JsonStringToMessage(ToJson(value), layer);
  if (!status.ok()) *error = std::string(status.message());
  return status.ok();
}

GoldenCase ParseCase(const Struct& object) {
  GoldenCase c;
  if (const Value* name = Field(object, "name")) c.name = name->string_value();
  if (const Value* shape = Field(object, "input_shape")) {
    for (int64_t d : ToShape(*shape)) c.spec.add_input_shape(d);
  }
  const Value* layer = Field(object, "layer");
  const Value* layers = Field(object, "layers");
  if (layer != nullptr) {
    if (!ParseLayer(*layer, c.spec.add_layers(), &c.load_error)) return c;
  } else if (layers != nullptr) {
    for (const Value& v : layers->list_value().values()) {
      if (!ParseLayer(v, c.spec.add_layers(), &c.load_error)) return c;
    }
  } else {
    c.load_error = "no layer or layers";
    return c;
  }
  if (const Value* error = Field(object, "error")) {
    c.error = error->string_value();
    return c;
  }
  if (const Value* params = Field(object, "params")) {
    for (const auto& [key, value] : params->struct_value().fields()) {
      ParameterUpdate update;
      const size_t slash = key.find('/');
      update.layer = slash == std::string::npos ? "0" : key.substr(0, slash);
      update.name = slash == std::string::npos ? key : key.substr(slash + 1);
      update.value = ToTensor(value);
      c.params.push_back(std::move(update));
    }
  }
  if (const Value* mask = Field(object, "mask")) c.mask = ToTensor(*mask);
  if (const Value* shape = Field(object, "output_sample_shape")) {
    c.output_sample_shape = ToShape(*shape);
  }
  const Value* input = Field(object, "input");
  const Value* output = Field(object, "output");
  if (input == nullptr || output == nullptr) {
    c.load_error = "missing input or output";
    return c;
  }
  c.input = ToTensor(*input);
  c.output = ToTensor(*output);
  return c;
}

}  // namespace

std::string GoldenPath() { return BRAINSERVE_GOLDEN_PATH; }

std::vector<GoldenCase> LoadGoldenCases(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  Struct root;
  std::vector<GoldenCase> cases;
  const auto status =
      google::protobuf::util::JsonStringToMessage(text.str(), &root);
  const Value* list = status.ok() ? Field(root, "cases") : nullptr;
  if (!file || list == nullptr) {
    GoldenCase unreadable;
    unreadable.name = "unreadable";
    unreadable.load_error = "cannot read or parse " + path;
    cases.push_back(unreadable);
    return cases;
  }
  for (const Value& v : list->list_value().values()) {
    cases.push_back(ParseCase(v.struct_value()));
  }
  return cases;
}

std::unique_ptr<Model> CreateGoldenModel(const GoldenCase& golden_case,
                                         const EngineOptions& options) {
  auto model = Model::Create(golden_case.spec, /*seed=*/0, options);
  EXPECT_TRUE(model.ok()) << golden_case.name << ": " << model.status();
  if (!model.ok()) return nullptr;
  auto updated = (*model)->Update(golden_case.params, std::nullopt);
  EXPECT_TRUE(updated.ok()) << golden_case.name << ": " << updated.status();
  if (!updated.ok()) return nullptr;
  return *std::move(model);
}

}  // namespace brainserve::engine::testing
