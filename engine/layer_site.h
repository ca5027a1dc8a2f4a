// Identifies a layer of a ModelSpec in error messages, e.g.
//   layers[2] ("fc1"): scaled_ws_conv1d.groups: 3 does not divide ...
// A small value type; thread-compatible.
#ifndef BRAINSERVE_ENGINE_LAYER_SITE_H_
#define BRAINSERVE_ENGINE_LAYER_SITE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace brainserve::engine {

struct LayerSite {
  int index = 0;     // position in ModelSpec.layers
  std::string name;  // resolved name (spec name, or the index as a string)
  std::string kind;  // oneof field name, e.g. "scaled_ws_conv1d"

  // `layers[2] ("fc1")`.
  std::string Prefix() const {
    return absl::StrCat("layers[", index, "] (\"", name, "\")");
  }
  // `layers[2] ("fc1"): scaled_ws_conv1d.<field>`.
  std::string Field(absl::string_view field) const {
    return absl::StrCat(Prefix(), ": ", kind, ".", field);
  }
  // INVALID_ARGUMENT "<Field(field)>: <message>".
  absl::Status Invalid(absl::string_view field,
                       absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(field), ": ", message));
  }
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_LAYER_SITE_H_
