// An exclusive advisory lock (flock) on a lock file next to a store, held
// for the lock's lifetime, so that two servers never write one store file.
// The kernel drops the lock when the process dies, kill -9 included, so a
// crash never leaves a stale lock behind.
#ifndef BRAINSERVE_SERVER_STORE_FILE_LOCK_H_
#define BRAINSERVE_SERVER_STORE_FILE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace brainserve::server::store {

class FileLock {
 public:
  // Creates `lock_path` if needed and locks it without waiting. UNAVAILABLE
  // naming `what` (the store) if another process holds it or it cannot be
  // opened.
  static absl::StatusOr<std::unique_ptr<FileLock>> Acquire(
      const std::string& lock_path, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_FILE_LOCK_H_
