#include "server/startup_models.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace brainserve::server {
namespace {

namespace pb = google::protobuf;

// Splits the text of a JSON array (already known to be valid JSON) into the
// texts of its elements, so each element is parsed straight into a
// CreateModelRequest (no detour through doubles, which would lose uint64
// seeds above 2^53) and errors can name its index.
std::vector<absl::string_view> SplitArrayElements(absl::string_view json) {
  std::vector<absl::string_view> elements;
  size_t i = json.find('[');
  if (i == absl::string_view::npos) return elements;
  int depth = 0;
  bool in_string = false;
  size_t start = i + 1;
  for (++i; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) {  // the closing bracket of the array
        absl::string_view last =
            absl::StripAsciiWhitespace(json.substr(start, i - start));
        if (!last.empty()) elements.push_back(last);
        break;
      }
      --depth;
    } else if (c == ',' && depth == 0) {
      elements.push_back(
          absl::StripAsciiWhitespace(json.substr(start, i - start)));
      start = i + 1;
    }
  }
  return elements;
}

}  // namespace

absl::StatusOr<std::vector<v1::CreateModelRequest>> ParseModelsJson(
    absl::string_view json, absl::string_view source) {
  pb::Value root;
  pb::util::Status status = pb::util::JsonStringToMessage(
      pb::StringPiece(json.data(), json.size()), &root);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": malformed JSON: ", status.message().ToString()));
  }
  if (root.kind_case() != pb::Value::kListValue) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": expected a JSON array of CreateModelRequest objects"));
  }
  const std::vector<absl::string_view> elements = SplitArrayElements(json);
  if (static_cast<int>(elements.size()) != root.list_value().values_size()) {
    return absl::InternalError(
        absl::StrCat(source, ": could not split the JSON array"));
  }
  std::vector<v1::CreateModelRequest> requests(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    const std::string where = absl::StrCat(source, ": element [", i, "]");
    if (root.list_value().values(i).kind_case() != pb::Value::kStructValue) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " is not a JSON object"));
    }
    status = pb::util::JsonStringToMessage(
        pb::StringPiece(elements[i].data(), elements[i].size()), &requests[i]);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          " is not a valid CreateModelRequest: ", status.message().ToString()));
    }
  }
  return requests;
}

absl::StatusOr<std::vector<v1::CreateModelRequest>> LoadModelsFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("models file '", path, "' cannot be read"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::NotFoundError(
        absl::StrCat("models file '", path, "': read error"));
  }
  return ParseModelsJson(text.str(), absl::StrCat("models file '", path, "'"));
}

}  // namespace brainserve::server
