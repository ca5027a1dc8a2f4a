// Folds a model's logged updates into its snapshot's values, in order:
// REPLACE copies, ADD adds element by element in float32, exactly the
// arithmetic the engine's Update() does, so the result is bitwise the
// parameters the live server had at the last entry's version. Restoring a
// model with a long log then costs one pass over the changed values instead
// of one engine snapshot per entry.
#ifndef BRAINSERVE_SERVER_STORE_LOG_FOLD_H_
#define BRAINSERVE_SERVER_STORE_LOG_FOLD_H_

#include <vector>

#include "absl/status/status.h"
#include "server/store/model_store.h"

namespace brainserve::server::store {

// Applies `log` to `parameters`. DATA_LOSS naming the entry for an update of
// a parameter the snapshot lacks, a shape mismatch, or a non-finite result.
absl::Status FoldLog(std::vector<StoredParameter>& parameters,
                     const std::vector<LogEntry>& log);

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_LOG_FOLD_H_
