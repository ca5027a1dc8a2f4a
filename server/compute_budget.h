// Core budgeting between batch workers and the engine's OpenMP threads.
//
// Policy: the server has `total_threads` compute threads (--engine_threads,
// default std::thread::hardware_concurrency()). A model with W batch workers
// runs each Forward with ThreadsPerForward(W) = max(1, total_threads / W)
// OpenMP threads. Because models have their own workers, a global budget of
// `total_threads` tokens bounds what runs at once: a batch worker acquires its
// forward's thread count before computing and releases it after. So
//   sum over running forwards of OpenMP threads <= total_threads
// at every instant, and the cores are never oversubscribed no matter how many
// models or workers exist. A worker waiting for tokens lets its queue grow,
// which makes its next batch larger (the scheduler's natural back-pressure).
// Tokens are granted first come, first served (a ticket queue): a worker
// waiting for two tokens is not overtaken by workers wanting one, so a model
// with one worker is not starved by a model with many.
//
// With --min_rows_for_all_threads=R > 0, a batch of fewer than R rows runs on
// one OpenMP thread and takes one token (forward_batch.h); the engine
// compiles every model for one thread and for ThreadsPerForward() and gives
// the same bits on both.
//
// Thread safety: all methods may be called from any thread. Acquire() blocks
// and must only be called from batch worker threads, never from gRPC threads.
#ifndef BRAINSERVE_SERVER_COMPUTE_BUDGET_H_
#define BRAINSERVE_SERVER_COMPUTE_BUDGET_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace brainserve::server {

class ComputeBudget {
 public:
  // `total_threads` <= 0 means std::thread::hardware_concurrency() (min 1).
  explicit ComputeBudget(int total_threads);

  ComputeBudget(const ComputeBudget&) = delete;
  ComputeBudget& operator=(const ComputeBudget&) = delete;

  int total_threads() const { return total_threads_; }

  // OpenMP threads per Forward for a model with `num_batch_workers` workers.
  int ThreadsPerForward(int num_batch_workers) const;

  // Blocks until every earlier Acquire() has been served and `threads`
  // tokens (clamped to [1, total_threads]) are free, then takes them;
  // Release() must return the same `threads` value.
  void Acquire(int threads);
  void Release(int threads);

  // Tokens currently held, and Acquire() calls waiting (for tests and
  // introspection).
  int in_use() const;
  int waiting() const;

 private:
  int Clamp(int threads) const;

  const int total_threads_;
  mutable absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  // Ticket queue: the next ticket to hand out, and the one being served.
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t now_serving_ ABSL_GUARDED_BY(mu_) = 0;
};

// RAII holder of ComputeBudget tokens.
class ComputeBudgetLease {
 public:
  ComputeBudgetLease(ComputeBudget* budget, int threads)
      : budget_(budget), threads_(threads) {
    budget_->Acquire(threads_);
  }
  ~ComputeBudgetLease() { budget_->Release(threads_); }
  ComputeBudgetLease(const ComputeBudgetLease&) = delete;
  ComputeBudgetLease& operator=(const ComputeBudgetLease&) = delete;

 private:
  ComputeBudget* budget_;
  int threads_;
};

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_COMPUTE_BUDGET_H_
