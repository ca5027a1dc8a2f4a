// `--store=memory:`: a ModelStore that keeps everything in this process, so
// nothing survives a restart (today's behaviour before the durable store, for
// tests and for users who explicitly want nothing kept). It enforces the same
// rules as the durable stores (names, ids, versions), so the server behaves
// identically on either. Thread-safe.
#ifndef BRAINSERVE_SERVER_STORE_MEMORY_STORE_H_
#define BRAINSERVE_SERVER_STORE_MEMORY_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/store/model_store.h"

namespace brainserve::server::store {

class MemoryStore final : public ModelStore {
 public:
  std::string Describe() const override { return "memory:"; }
  absl::StatusOr<std::vector<StoredModel>> LoadAll() override;
  absl::StatusOr<ModelId> CreateModel(
      const v1::CreateModelRequest& request, uint64_t version,
      absl::Span<const ParameterRef> parameters) override;
  absl::Status DeleteModel(ModelId id) override;
  absl::Status AppendUpdate(ModelId id, uint64_t version,
                            absl::Span<const UpdateRef> updates) override;
  absl::StatusOr<LogSize> WriteSnapshot(
      ModelId id, uint64_t version,
      absl::Span<const ParameterRef> parameters) override;

 private:
  // Only names, ids and versions: parameter values stay with the engine,
  // which holds them anyway; a memory store has nothing to restore from.
  struct Entry {
    std::string name;
    uint64_t snapshot_version = 0;
    uint64_t latest_version = 0;
    std::map<uint64_t, int64_t> log_bytes;  // version -> bytes
  };

  absl::Mutex mu_;
  ModelId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<ModelId, Entry> models_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_MEMORY_STORE_H_
