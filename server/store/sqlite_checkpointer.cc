#include "server/store/sqlite_checkpointer.h"

#include <cstdio>
#include <utility>

namespace brainserve::server::store {

absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> SqliteCheckpointer::Start(
    const std::string& path, int min_wal_frames) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  absl::Status status = (*db)->Exec("PRAGMA busy_timeout=1000", "configure");
  if (!status.ok()) return status;
  std::unique_ptr<SqliteCheckpointer> checkpointer(
      new SqliteCheckpointer(*std::move(db), min_wal_frames));
  checkpointer->thread_ = std::thread([c = checkpointer.get()] { c->Loop(); });
  return checkpointer;
}

SqliteCheckpointer::SqliteCheckpointer(std::unique_ptr<SqliteDb> db,
                                       int min_wal_frames)
    : db_(std::move(db)), min_wal_frames_(min_wal_frames) {}

SqliteCheckpointer::~SqliteCheckpointer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void SqliteCheckpointer::WalGrew(int frames) {
  if (frames < min_wal_frames_) return;
  absl::MutexLock lock(&mu_);
  due_ = true;
}

int64_t SqliteCheckpointer::checkpoints() const {
  absl::MutexLock lock(&mu_);
  return checkpoints_;
}

void SqliteCheckpointer::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SqliteCheckpointer* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
            return c->due_ || c->stopping_;
          },
          this));
      if (stopping_) return;
      due_ = false;
    }
    absl::Status status = db_->Exec("PRAGMA wal_checkpoint(PASSIVE)",
                                    "checkpoint the WAL");
    if (!status.ok()) {
      // Nothing is lost: the frames stay in the WAL and the next commit
      // asks again.
      std::fprintf(stderr, "brainserve-server: %s\n",
                   std::string(status.message()).c_str());
    }
    absl::MutexLock lock(&mu_);
    ++checkpoints_;
  }
}

}  // namespace brainserve::server::store
