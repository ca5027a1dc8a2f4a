#include "server/store/model_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/store/memory_store.h"
#include "server/store/postgres_store.h"
#include "server/store/sqlite_store.h"

namespace brainserve::server::store {

int64_t LoggedBytes(absl::Span<const UpdateRef> updates) {
  int64_t bytes = 0;
  for (const UpdateRef& update : updates) {
    bytes += static_cast<int64_t>(update.value.data.size() * sizeof(float));
  }
  return bytes;
}

int64_t LoggedBytes(const std::vector<StoredUpdate>& updates) {
  int64_t bytes = 0;
  for (const StoredUpdate& update : updates) {
    bytes += static_cast<int64_t>(update.value.data.size() * sizeof(float));
  }
  return bytes;
}

absl::StatusOr<std::unique_ptr<ModelStore>> OpenStore(const std::string& url) {
  if (url == "memory:") return std::make_unique<MemoryStore>();
  if (absl::StartsWith(url, "sqlite:")) {
    const std::string path = url.substr(7);
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "--store: 'sqlite:' needs a file path, e.g. "
          "sqlite:brainserve-data/state.db");
    }
    absl::StatusOr<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open(path);
    if (!store.ok()) return store.status();
    return std::unique_ptr<ModelStore>(*std::move(store));
  }
  if (absl::StartsWith(url, "postgresql://") ||
      absl::StartsWith(url, "postgres://")) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store =
        PostgresStore::Open(url);
    if (!store.ok()) return store.status();
    return std::unique_ptr<ModelStore>(*std::move(store));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--store: unknown store '", url,
      "'; expected sqlite:PATH, memory: or postgresql://..."));
}

}  // namespace brainserve::server::store
