// The embedded store (`--store=sqlite:PATH`, the default): one SQLite file in
// WAL mode with synchronous=FULL, so a commit survives power loss, not only a
// process crash. Parameters are raw little-endian float32 blobs; each
// acknowledged change is one transaction, and concurrent changes (to
// different models) share one fsync through GroupCommit.
//
// The file holds its schema version (PRAGMA user_version) and an application
// id: a file from a newer brainserve, or one that is not a brainserve store,
// is refused at open with a message naming the file. Open() also runs
// SQLite's quick_check, so a corrupted or truncated file is refused before
// anything is served. A lock file (PATH.lock, flock) is held for the store's
// life, so a second server on the same file fails to start instead of
// diverging.
//
// Commits only append to the WAL and fsync it; a SqliteCheckpointer moves
// the WAL into the database file in the background (no checkpoint ever runs
// on a commit's path).
//
// Schema (version 1):
//   models(id, name UNIQUE, request, request_crc, snapshot_version,
//          latest_version, created_at)
//                        -- request: CreateModelRequest, protobuf binary
//   snapshot_parameters(model_id, position, layer, name, shape, data, crc)
//   log_updates(model_id, version, position, layer, name, mode, shape, data,
//               crc)
// shape is comma-separated ("64,10"; "" for a scalar); ids are never reused.
// Every blob carries its CRC-32C, checked when it is loaded: SQLite checks
// its pages' structure, not the bytes inside a value, and a flipped bit in
// a weight must not be served silently.
//
// Thread-safe.
#ifndef BRAINSERVE_SERVER_STORE_SQLITE_STORE_H_
#define BRAINSERVE_SERVER_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "server/store/file_lock.h"
#include "server/store/group_commit.h"
#include "server/store/model_store.h"
#include "server/store/sqlite_checkpointer.h"
#include "server/store/sqlite_db.h"

namespace brainserve::server::store {

inline constexpr int kSqliteSchemaVersion = 1;

class SqliteStore final : public ModelStore {
 public:
  // Opens or creates the store at `path` (creating its directory).
  // UNAVAILABLE: cannot create, open, lock or write the file; DATA_LOSS: not
  // a database, or corrupted; FAILED_PRECONDITION: another application's
  // database, or a newer schema.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& path);

  std::string Describe() const override;
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

  // Most changes one transaction has carried (group commit), for tests.
  int64_t largest_commit_group() const { return group_->largest_group(); }
  // Background WAL checkpoints completed, for tests.
  int64_t checkpoints() const { return checkpointer_->checkpoints(); }

 private:
  SqliteStore(std::unique_ptr<FileLock> lock, std::unique_ptr<SqliteDb> db);

  absl::Status Initialize();
  // Runs `op` in a group-committed transaction, holding the connection.
  absl::Status Write(const std::function<absl::Status(SqliteDb&)>& op);
  absl::Status InsertSnapshot(SqliteDb& db, ModelId id,
                              absl::Span<const ParameterRef> parameters);
  absl::StatusOr<StoredModel> LoadModel(SqliteDb& db, ModelId id,
                                        const std::string& name,
                                        absl::string_view request,
                                        uint64_t snapshot_version,
                                        uint64_t latest_version);

  // Declaration order is destruction order, reversed: the checkpointer's
  // connection closes before the writer's, and the lock goes last.
  const std::unique_ptr<FileLock> lock_;
  // Every use of the connection after Initialize() runs inside group_ (one
  // leader at a time), which is what serializes it.
  const std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<GroupCommit> group_;
  std::unique_ptr<SqliteCheckpointer> checkpointer_;
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_SQLITE_STORE_H_
