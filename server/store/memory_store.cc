#include "server/store/memory_store.h"

#include "absl/strings/str_cat.h"

namespace brainserve::server::store {

absl::StatusOr<std::vector<StoredModel>> MemoryStore::LoadAll() {
  // A fresh process has a fresh memory store: nothing to load.
  return std::vector<StoredModel>();
}

absl::StatusOr<ModelId> MemoryStore::CreateModel(
    const v1::CreateModelRequest& request, uint64_t version,
    absl::Span<const ParameterRef> parameters) {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, entry] : models_) {
    if (entry.name == request.name()) {
      return absl::AlreadyExistsError(
          absl::StrCat("model '", request.name(), "' already exists"));
    }
  }
  const ModelId id = next_id_++;
  Entry& entry = models_[id];
  entry.name = request.name();
  entry.snapshot_version = version;
  entry.latest_version = version;
  return id;
}

absl::Status MemoryStore::DeleteModel(ModelId id) {
  absl::MutexLock lock(&mu_);
  if (models_.erase(id) == 0) {
    return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::AppendUpdate(ModelId id, uint64_t version,
                                       absl::Span<const UpdateRef> updates) {
  absl::MutexLock lock(&mu_);
  auto it = models_.find(id);
  if (it == models_.end()) {
    return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
  }
  if (version != it->second.latest_version + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: version ", version, " does not follow the latest, ",
                     it->second.latest_version));
  }
  it->second.latest_version = version;
  it->second.log_bytes[version] = LoggedBytes(updates);
  return absl::OkStatus();
}

absl::StatusOr<LogSize> MemoryStore::WriteSnapshot(
    ModelId id, uint64_t version, absl::Span<const ParameterRef> parameters) {
  absl::MutexLock lock(&mu_);
  auto it = models_.find(id);
  if (it == models_.end()) {
    return absl::NotFoundError(absl::StrCat("store: no model with id ", id));
  }
  Entry& entry = it->second;
  if (version > entry.latest_version) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: snapshot version ", version,
                     " is newer than the latest, ", entry.latest_version));
  }
  if (version > entry.snapshot_version) {
    entry.snapshot_version = version;
    entry.log_bytes.erase(entry.log_bytes.begin(),
                          entry.log_bytes.upper_bound(version));
  }
  LogSize size;
  for (const auto& [version, bytes] : entry.log_bytes) {
    ++size.entries;
    size.bytes += bytes;
  }
  return size;
}

}  // namespace brainserve::server::store
