#include "client/json_tensor.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/shape.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace brainserve::client {
namespace {

using google::protobuf::Value;

absl::Status JsonError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("bad JSON tensor: ", what));
}

std::string PathText(const std::vector<size_t>& path) {
  if (path.empty()) return "the top level";
  std::string text;
  for (size_t index : path) absl::StrAppend(&text, "[", index, "]");
  return text;
}

absl::StatusOr<float> LeafValue(const Value& value,
                                const std::vector<size_t>& path) {
  if (value.kind_case() == Value::kNumberValue) {
    return static_cast<float>(value.number_value());
  }
  if (value.kind_case() == Value::kStringValue) {
    const std::string& text = value.string_value();
    if (text == "NaN") return std::numeric_limits<float>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<float>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<float>::infinity();
  }
  return JsonError(absl::StrCat("element at ", PathText(path),
                                " is not a number or a nested array"));
}

// Walks a nested array depth-first. The first path to reach a leaf fixes the
// shape; every other element must agree with it.
class NestedArrayReader {
 public:
  absl::StatusOr<HostTensor> Read(const Value& root) {
    absl::Status status = Visit(root);
    if (!status.ok()) return status;
    tensor_.shape = shape_.value_or(std::vector<int64_t>{});
    return std::move(tensor_);
  }

 private:
  absl::Status Visit(const Value& value) {
    const size_t depth = path_.size();
    if (value.kind_case() != Value::kListValue) {
      absl::Status status = CheckLeafDepth(depth);
      if (!status.ok()) return status;
      absl::StatusOr<float> leaf = LeafValue(value, path_);
      if (!leaf.ok()) return leaf.status();
      tensor_.values.push_back(*leaf);
      return absl::OkStatus();
    }
    const auto& items = value.list_value().values();
    if (!shape_.has_value()) {
      partial_shape_.push_back(items.size());
      if (items.empty()) shape_ = partial_shape_;  // e.g. [] or [[], []]
    } else if (depth >= shape_->size()) {
      return Ragged("is an array where a number belongs");
    } else if ((*shape_)[depth] != static_cast<int64_t>(items.size())) {
      return Ragged(absl::StrCat("has ", items.size(), " entries instead of ",
                                 (*shape_)[depth]));
    }
    for (int i = 0; i < items.size(); ++i) {
      path_.push_back(i);
      absl::Status status = Visit(items[i]);
      path_.pop_back();
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status CheckLeafDepth(size_t depth) {
    if (!shape_.has_value()) {
      shape_ = partial_shape_;
      return absl::OkStatus();
    }
    return depth == shape_->size()
               ? absl::OkStatus()
               : Ragged("is a number where an array belongs");
  }

  absl::Status Ragged(absl::string_view problem) const {
    return JsonError(absl::StrCat("ragged nested array: element at ",
                                  PathText(path_), " ", problem, " (shape ",
                                  engine::ShapeToString(*shape_),
                                  " set by the first element)"));
  }

  std::vector<size_t> path_;
  std::vector<int64_t> partial_shape_;
  std::optional<std::vector<int64_t>> shape_;
  HostTensor tensor_;
};

absl::StatusOr<HostTensor> ParseObjectForm(absl::string_view json) {
  brainserve::v1::Tensor proto;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &proto, options);
  if (!status.ok()) {
    return JsonError(absl::StrCat(
        "object form must be {\"shape\": [...], \"values\": [...]}: ",
        status.message().as_string()));
  }
  absl::StatusOr<HostTensor> tensor = FromProto(proto);
  if (!tensor.ok()) return JsonError(tensor.status().message());
  return tensor;
}

}  // namespace

absl::StatusOr<HostTensor> ParseJsonTensor(absl::string_view json) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(json);
  if (trimmed.empty()) return JsonError("input is empty");
  if (trimmed[0] == '{') return ParseObjectForm(trimmed);
  Value root;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(trimmed.data(), trimmed.size()), &root);
  if (!status.ok()) {
    return JsonError(
        absl::StrCat("not valid JSON: ", status.message().as_string()));
  }
  return NestedArrayReader().Read(root);
}

std::string FormatFloat(float value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // "-0" is an integer token, which protobuf's JSON parser reads as +0 into
  // a float field (found by json_tensor_fuzzer); "-0.0" keeps the sign.
  if (value == 0 && std::signbit(value)) return "-0.0";
  char buffer[32];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision,
                  static_cast<double>(value));
    if (std::strtof(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string FormatJsonTensor(const HostTensor& tensor) {
  std::string out = absl::StrCat(
      "{\"shape\":[", absl::StrJoin(tensor.shape, ","), "],\"values\":[");
  for (size_t i = 0; i < tensor.values.size(); ++i) {
    if (i > 0) out.push_back(',');
    const float value = tensor.values[i];
    if (std::isfinite(value)) {
      out += FormatFloat(value);
    } else {
      absl::StrAppend(&out, "\"", FormatFloat(value), "\"");
    }
  }
  out += "]}";
  return out;
}

}  // namespace brainserve::client
