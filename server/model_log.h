// The part of one model's store log that no snapshot covers yet: entry
// versions and their bytes, so the manager knows when to fold the log into
// a snapshot (compaction) without asking the store.
//
// Thread-safe.
#ifndef BRAINSERVE_SERVER_MODEL_LOG_H_
#define BRAINSERVE_SERVER_MODEL_LOG_H_

#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace brainserve::server {

class ModelLog {
 public:
  struct Size {
    int64_t entries = 0;
    int64_t bytes = 0;
  };

  // A committed update of `bytes` parameter bytes became `version`.
  void Append(uint64_t version, int64_t bytes);
  // A snapshot at `version` was written: entries up to it are gone.
  void FoldedUpTo(uint64_t version);
  Size size() const;

  // True (and the model is marked as compacting) if the log has reached
  // `max_entries` entries or `max_bytes` bytes and no compaction is
  // running; the caller must then call CompactionDone() when it ends.
  bool StartCompactionIfDue(int64_t max_entries, int64_t max_bytes);
  void CompactionDone();

 private:
  mutable absl::Mutex mu_;
  std::map<uint64_t, int64_t> entries_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool compacting_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_MODEL_LOG_H_
