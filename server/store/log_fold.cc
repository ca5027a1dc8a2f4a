#include "server/store/log_fold.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace brainserve::server::store {

absl::Status FoldLog(std::vector<StoredParameter>& parameters,
                     const std::vector<LogEntry>& log) {
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < parameters.size(); ++i) {
    index[absl::StrCat(parameters[i].layer, "/", parameters[i].name)] = i;
  }
  for (const LogEntry& entry : log) {
    for (const StoredUpdate& update : entry.updates) {
      const std::string path = absl::StrCat(update.layer, "/", update.name);
      const std::string where = absl::StrCat("version ", entry.version, ", ", path);
      auto it = index.find(path);
      if (it == index.end()) {
        return absl::DataLossError(
            absl::StrCat(where, ": no such parameter in the snapshot"));
      }
      Tensor& target = parameters[it->second].value;
      if (update.value.shape != target.shape ||
          update.value.data.size() != target.data.size()) {
        return absl::DataLossError(
            absl::StrCat(where, ": the logged shape does not match"));
      }
      if (update.mode == UpdateMode::kReplace) {
        target.data = update.value.data;
        continue;
      }
      for (size_t e = 0; e < target.data.size(); ++e) {
        const float sum = target.data[e] + update.value.data[e];
        if (!std::isfinite(sum)) {
          return absl::DataLossError(
              absl::StrCat(where, ": element ", e, " becomes non-finite"));
        }
        target.data[e] = sum;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace brainserve::server::store
