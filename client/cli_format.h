// Human-readable text for brainserve-cli's responses: aligned tables for
// models and parameters, and compact one-line summaries of layer specs.
#ifndef BRAINSERVE_CLIENT_CLI_FORMAT_H_
#define BRAINSERVE_CLIENT_CLI_FORMAT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "google/protobuf/message.h"

namespace brainserve::client {

// Left-aligned columns separated by two spaces; one line per row, each ending
// in '\n' (trailing spaces trimmed). `indent` prefixes every line.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        const std::string& indent = "");

// "out_size=64 w_init(constant(value=0.5)) w_mask=tensor[64, 10]": the set
// fields of `message`, recursively; Tensor fields show only their shape.
std::string SummarizeMessage(const google::protobuf::Message& message);

// The `list` table: NAME VERSION INPUT OUTPUT LAYERS PARAMETERS, by name.
std::string FormatModelList(const brainserve::v1::ListModelsResponse& list);

// The `get` / `create` block: name, version, shapes, batching, a layer table
// and a parameter table.
std::string FormatModelInfo(const brainserve::v1::ModelInfo& info);

// The protobuf JSON mapping of `message` (proto field names, one line).
absl::StatusOr<std::string> FormatJson(
    const google::protobuf::Message& message);

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_CLI_FORMAT_H_
