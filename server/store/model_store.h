// The durable record of every served model: the narrow interface the server
// codes against, implemented by the embedded SQLite store (sqlite_store.h)
// and the in-memory store (memory_store.h; `--store=memory:`).
//
// The server is a state machine applying a log. CreateModel, DeleteModel and
// UpdateParameters are committed here first, then applied in memory, then
// acknowledged; a failed commit changes nothing in memory. Per model the
// store keeps
//   * its CreateModelRequest (spec, seed, batching options),
//   * one snapshot: every parameter's value at one version (version 1 is
//     written at creation, so a restore never re-runs initializers), and
//   * the log: each update after the snapshot, as the next version.
// WriteSnapshot() folds the log into a newer snapshot and drops the entries
// it covers, so the work of a restart stays bounded.
//
// Models are identified by a store-assigned id, never by name alone, so an
// update that raced with a delete can never land in the log of a new model
// that reuses the name.
//
// Errors (the server maps them to RPC statuses unchanged):
//   ALREADY_EXISTS      CreateModel of a stored name;
//   NOT_FOUND           an id that is not (or no longer) stored;
//   FAILED_PRECONDITION AppendUpdate whose version is not latest + 1;
//   UNAVAILABLE         the store could not commit (disk full, read-only,
//                       I/O error, busy); retrying later may succeed;
//   DATA_LOSS           the store's content is unreadable (corruption);
//   INTERNAL            anything else.
// Messages name the store (its file, for SQLite).
//
// Thread safety: every method may be called concurrently. Implementations may
// group concurrent commits into one durable write (group commit), but a
// method returns OK only after its change is durable.
#ifndef BRAINSERVE_SERVER_STORE_MODEL_STORE_H_
#define BRAINSERVE_SERVER_STORE_MODEL_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brainserve/v1/model_service.pb.h"

namespace brainserve::server::store {

using ModelId = int64_t;

enum class UpdateMode { kReplace, kAdd };

// Writes borrow what they store (no copies); the referenced memory must
// outlive the call.
struct TensorRef {
  absl::Span<const int64_t> shape;
  absl::Span<const float> data;  // row-major, product(shape) values
};
struct ParameterRef {
  absl::string_view layer;
  absl::string_view name;
  TensorRef value;
};
struct UpdateRef {
  absl::string_view layer;
  absl::string_view name;
  UpdateMode mode = UpdateMode::kReplace;
  TensorRef value;
};

// What LoadAll() gives back, owned.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
struct StoredParameter {
  std::string layer;
  std::string name;
  Tensor value;
};
struct StoredUpdate {
  std::string layer;
  std::string name;
  UpdateMode mode = UpdateMode::kReplace;
  Tensor value;
};

// Every parameter of a model at one version, in the model's parameter order.
struct StoredSnapshot {
  uint64_t version = 0;
  std::vector<StoredParameter> parameters;
};

// One committed UpdateParameters: the changes that produced `version`.
struct LogEntry {
  uint64_t version = 0;
  std::vector<StoredUpdate> updates;
};

// A model as it is stored: what LoadAll() returns.
struct StoredModel {
  ModelId id = 0;
  v1::CreateModelRequest request;
  StoredSnapshot snapshot;
  // Entries with versions snapshot.version + 1, + 2, ... in order.
  std::vector<LogEntry> log;
};

// Size of the log after a snapshot (what compaction decisions need).
struct LogSize {
  int64_t entries = 0;
  int64_t bytes = 0;  // parameter bytes of the logged values
};

// A stored model's identity and latest version (shared stores: what a
// replica compares against its own state after a lost change feed).
struct ModelHead {
  ModelId id = 0;
  std::string name;
  uint64_t latest_version = 0;
};

// A change another server (or this one) committed to a shared store.
struct StoreEvent {
  enum class Kind { kCreated, kUpdated, kDeleted };
  Kind kind = Kind::kUpdated;
  ModelId id = 0;
  uint64_t version = 0;           // kUpdated: the version committed
  double committed_unix_seconds = 0;  // the store's clock at commit
};

// Receives a shared store's change feed, on the store's feed thread, in
// commit order. Implementations must not block for long.
class StoreSubscriber {
 public:
  virtual ~StoreSubscriber() = default;
  virtual void OnEvent(const StoreEvent& event) = 0;
  // The feed (re)connected: events may have been missed since the last one,
  // so compare everything (ListModels) and catch up.
  virtual void OnResync() = 0;
  // Whether the store is reachable (the feed's connection is up).
  virtual void OnConnection(bool up) = 0;
};

// Bytes of the float32 values an entry's updates carry.
int64_t LoggedBytes(absl::Span<const UpdateRef> updates);
int64_t LoggedBytes(const std::vector<StoredUpdate>& updates);

class ModelStore {
 public:
  virtual ~ModelStore() = default;

  // Human-readable name for logs and errors, e.g. "sqlite:/data/state.db".
  virtual std::string Describe() const = 0;

  // Every stored model, ordered by name. Called once at start.
  virtual absl::StatusOr<std::vector<StoredModel>> LoadAll() = 0;

  // Stores a new model with its first snapshot: `parameters` at `version`
  // (normally 1). Returns its id. ALREADY_EXISTS if `request.name()` is
  // stored.
  virtual absl::StatusOr<ModelId> CreateModel(
      const v1::CreateModelRequest& request, uint64_t version,
      absl::Span<const ParameterRef> parameters) = 0;

  // Removes the model, its snapshot and its log. NOT_FOUND if not stored.
  virtual absl::Status DeleteModel(ModelId id) = 0;

  // Appends `updates` to the model's log as `version`. FAILED_PRECONDITION
  // unless `version` is exactly the model's latest version + 1.
  virtual absl::Status AppendUpdate(ModelId id, uint64_t version,
                                    absl::Span<const UpdateRef> updates) = 0;

  // --- Shared stores (several servers on one store); the embedded stores
  // answer UNIMPLEMENTED. ---

  // True if other servers may change this store concurrently.
  virtual bool shared() const { return false; }
  // Starts delivering the change feed to `subscriber` (not owned; must
  // outlive the store or Unsubscribe()).
  virtual absl::Status Subscribe(StoreSubscriber* subscriber) {
    return absl::UnimplementedError("this store has no change feed");
  }
  virtual void Unsubscribe() {}
  // Every live model's id, name and latest version.
  virtual absl::StatusOr<std::vector<ModelHead>> ListModels() {
    return absl::UnimplementedError("not a shared store");
  }
  // One model as LoadAll() would give it; NOT_FOUND if deleted.
  virtual absl::StatusOr<StoredModel> LoadModel(ModelId id) {
    return absl::UnimplementedError("not a shared store");
  }
  // The log entries after `after_version`, in order. OUT_OF_RANGE if a
  // snapshot newer than `after_version` has replaced the entries in between
  // (then LoadModel). NOT_FOUND if the model was deleted.
  virtual absl::StatusOr<std::vector<LogEntry>> ReadLog(ModelId id,
                                                        uint64_t after_version) {
    return absl::UnimplementedError("not a shared store");
  }

  // Replaces the model's snapshot with `parameters` at `version` (a version
  // the model has reached: <= latest) and drops the log entries it covers.
  // A snapshot not newer than the stored one is a no-op. Returns what is
  // left of the log.
  virtual absl::StatusOr<LogSize> WriteSnapshot(
      ModelId id, uint64_t version,
      absl::Span<const ParameterRef> parameters) = 0;
};

// Opens the store named by `url` (the --store flag):
//   sqlite:PATH   the embedded store in file PATH (its directory is created);
//   memory:       nothing is kept across restarts;
//   postgresql://... or postgres://...  the shared store (a libpq URI; the
//                 password from PGPASSWORD, PGPASSFILE or ~/.pgpass).
// INVALID_ARGUMENT naming --store for an unknown scheme or an empty path;
// the implementation's errors (naming the file) otherwise.
absl::StatusOr<std::unique_ptr<ModelStore>> OpenStore(const std::string& url);

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_MODEL_STORE_H_
