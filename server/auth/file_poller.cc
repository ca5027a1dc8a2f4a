#include "server/auth/file_poller.h"

#include <sys/stat.h>

#include <utility>

namespace brainserve::auth {

FilePoller::FilePoller(absl::Duration interval) : interval_(interval) {}

FilePoller::~FilePoller() { Shutdown(); }

FilePoller::Signature FilePoller::Stat(const std::string& path) {
  struct stat st {};
  Signature signature;
  if (stat(path.c_str(), &st) != 0) return signature;
  signature.exists = true;
  signature.device = st.st_dev;
  signature.inode = st.st_ino;
  signature.size = st.st_size;
  signature.mtime_ns =
      int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  signature.ctime_ns =
      int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return signature;
}

void FilePoller::Watch(std::string path, std::function<void()> on_change) {
  absl::MutexLock lock(&callback_mu_);
  Signature signature = Stat(path);
  files_.push_back(File{std::move(path), std::move(on_change), signature});
}

void FilePoller::Start() {
  if (interval_ <= absl::ZeroDuration() || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void FilePoller::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping_) return;
    }
    absl::MutexLock lock(&callback_mu_);
    PollLocked(/*force=*/false);
  }
}

void FilePoller::PollLocked(bool force) {
  for (File& file : files_) {
    Signature now = Stat(file.path);
    if (!force && now == file.signature) continue;
    file.signature = now;
    file.on_change();
  }
}

void FilePoller::ReloadNow() {
  absl::MutexLock lock(&callback_mu_);
  PollLocked(/*force=*/true);
}

void FilePoller::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace brainserve::auth
