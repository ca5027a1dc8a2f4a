// Moves WAL frames into the SQLite database file in the background, on a
// connection of its own, so that commits only ever append to the WAL and
// fsync it (the writer connection runs with wal_autocheckpoint=0). A commit
// that leaves at least `min_wal_frames` frames in the WAL wakes it
// (WalGrew(), called from the writer's WAL hook); it then runs a PASSIVE
// checkpoint, which neither waits for nor blocks the writer. The WAL
// restarts from its beginning at the first write after a complete
// checkpoint, and journal_size_limit keeps its file small.
//
// Thread safety: WalGrew() from any thread; the destructor stops and joins.
#ifndef BRAINSERVE_SERVER_STORE_SQLITE_CHECKPOINTER_H_
#define BRAINSERVE_SERVER_STORE_SQLITE_CHECKPOINTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/store/sqlite_db.h"

namespace brainserve::server::store {

class SqliteCheckpointer {
 public:
  // Opens its own connection to `path` and starts its thread.
  static absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> Start(
      const std::string& path, int min_wal_frames);
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // The WAL now holds `frames` frames.
  void WalGrew(int frames);

  // Checkpoints completed so far (for tests).
  int64_t checkpoints() const;

 private:
  SqliteCheckpointer(std::unique_ptr<SqliteDb> db, int min_wal_frames);
  void Loop();

  const std::unique_ptr<SqliteDb> db_;
  const int min_wal_frames_;
  mutable absl::Mutex mu_;
  bool due_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t checkpoints_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_SQLITE_CHECKPOINTER_H_
