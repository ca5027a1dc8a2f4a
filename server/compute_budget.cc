#include "server/compute_budget.h"

#include <algorithm>
#include <thread>

namespace brainserve::server {
namespace {

int ResolveTotal(int total_threads) {
  if (total_threads > 0) return total_threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

ComputeBudget::ComputeBudget(int total_threads)
    : total_threads_(ResolveTotal(total_threads)) {}

int ComputeBudget::ThreadsPerForward(int num_batch_workers) const {
  return std::max(1, total_threads_ / std::max(1, num_batch_workers));
}

int ComputeBudget::Clamp(int threads) const {
  return std::clamp(threads, 1, total_threads_);
}

void ComputeBudget::Acquire(int threads) {
  const int want = Clamp(threads);
  absl::MutexLock lock(&mu_);
  // First come, first served: wait for this ticket's turn, then for the
  // tokens. Later callers wait behind it even if fewer tokens would do for
  // them, so a worker that needs every core is not starved by workers that
  // need one each.
  const uint64_t ticket = next_ticket_++;
  auto turn = [this, ticket, want]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return ticket == now_serving_ && in_use_ + want <= total_threads_;
  };
  mu_.Await(absl::Condition(&turn));
  in_use_ += want;
  ++now_serving_;
}

void ComputeBudget::Release(int threads) {
  absl::MutexLock lock(&mu_);
  in_use_ -= Clamp(threads);
}

int ComputeBudget::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

int ComputeBudget::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(next_ticket_ - now_serving_);
}

}  // namespace brainserve::server
