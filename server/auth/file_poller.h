// Re-reads configuration files when they change, without a restart: the
// token file and the metrics credentials. (TLS certificates are watched by
// gRPC's own FileWatcherCertificateProvider; see tls_credentials.h.)
//
// A file counts as changed when stat() (following symlinks, as Kubernetes
// Secret volumes swap a `..data` symlink) reports another device, inode,
// size, mtime or ctime, or starts or stops failing. Polling runs on one
// thread owned by the poller every `interval`; ReloadNow() (SIGHUP) runs
// every callback at once. Callbacks never run concurrently with each other.
//
// Lifecycle: Watch() each file, then Start(); Shutdown() (or the destructor)
// stops and joins the thread. Thread safety: ReloadNow() and Shutdown() may
// be called from any thread (not from a callback).
#ifndef BRAINSERVE_SERVER_AUTH_FILE_POLLER_H_
#define BRAINSERVE_SERVER_AUTH_FILE_POLLER_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace brainserve::auth {

class FilePoller {
 public:
  // `interval` <= 0: no polling thread; only ReloadNow() re-reads.
  explicit FilePoller(absl::Duration interval);
  ~FilePoller();

  FilePoller(const FilePoller&) = delete;
  FilePoller& operator=(const FilePoller&) = delete;

  // Watches `path`; `on_change` re-reads it. Call before Start() and before
  // the initial read, so that a change right after the read is not missed.
  void Watch(std::string path, std::function<void()> on_change);

  void Start();

  // Runs every callback now and returns when they are done.
  void ReloadNow();

  // Idempotent.
  void Shutdown();

 private:
  // What stat() said; equal signatures mean "unchanged".
  struct Signature {
    bool exists = false;
    uint64_t device = 0, inode = 0;
    int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
    bool operator==(const Signature& o) const {
      return exists == o.exists && device == o.device && inode == o.inode &&
             size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
    }
  };
  struct File {
    std::string path;
    std::function<void()> on_change;
    Signature signature;
  };

  static Signature Stat(const std::string& path);
  void Loop();
  // Runs the callbacks of changed files (or all, when `force`).
  void PollLocked(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(callback_mu_);

  const absl::Duration interval_;
  // Held while callbacks run, so that they never overlap.
  absl::Mutex callback_mu_;
  std::vector<File> files_ ABSL_GUARDED_BY(callback_mu_);
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_FILE_POLLER_H_
