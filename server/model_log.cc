#include "server/model_log.h"

namespace brainserve::server {

void ModelLog::Append(uint64_t version, int64_t bytes) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.emplace(version, bytes);
  if (inserted) bytes_ += bytes;
}

void ModelLog::FoldedUpTo(uint64_t version) {
  absl::MutexLock lock(&mu_);
  const auto end = entries_.upper_bound(version);
  for (auto it = entries_.begin(); it != end; ++it) bytes_ -= it->second;
  entries_.erase(entries_.begin(), end);
}

ModelLog::Size ModelLog::size() const {
  absl::MutexLock lock(&mu_);
  return Size{static_cast<int64_t>(entries_.size()), bytes_};
}

bool ModelLog::StartCompactionIfDue(int64_t max_entries, int64_t max_bytes) {
  absl::MutexLock lock(&mu_);
  if (compacting_) return false;
  const bool due = (max_entries > 0 &&
                    static_cast<int64_t>(entries_.size()) >= max_entries) ||
                   (max_bytes > 0 && bytes_ >= max_bytes);
  if (due) compacting_ = true;
  return due;
}

void ModelLog::CompactionDone() {
  absl::MutexLock lock(&mu_);
  compacting_ = false;
}

}  // namespace brainserve::server
