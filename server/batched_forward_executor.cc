#include "server/batched_forward_executor.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace brainserve::server {
namespace {

// How messages name the model: "model 'mlp'".
std::string ModelSubject(absl::string_view model_name) {
  return absl::StrCat("model '", model_name, "'");
}

}  // namespace

absl::StatusOr<std::unique_ptr<BatchedForwardExecutor>>
BatchedForwardExecutor::Create(const BatchedForwardExecutorOptions& options,
                               std::shared_ptr<const engine::Model> model,
                               std::shared_ptr<metrics::ModelReporter> reporter,
                               ComputeBudget* budget) {
  absl::Status status =
      batching::ValidateBatchingPolicy(options.batching, "batching");
  if (!status.ok()) return status;
  std::unique_ptr<BatchedForwardExecutor> executor(new BatchedForwardExecutor(
      options, std::move(model), std::move(reporter), budget));

  batching::SchedulerOptions scheduler_options;
  static_cast<batching::BatchingPolicy&>(scheduler_options) = options.batching;
  if (options.max_batch_rows_by_bytes > 0) {
    scheduler_options.max_batch_size = std::min(
        scheduler_options.max_batch_size, options.max_batch_rows_by_bytes);
  }
  scheduler_options.clock = executor->clock_;
  scheduler_options.name = ModelSubject(options.model_name);
  metrics::ModelReporter* model_reporter = executor->reporter_.get();
  scheduler_options.on_queue_depth_change = [model_reporter](int64_t depth) {
    model_reporter->SetQueueDepth(depth);
  };
  BatchedForwardExecutor* self = executor.get();
  auto scheduler = batching::BatchScheduler<ForwardCall>::Create(
      scheduler_options,
      [self](std::vector<std::unique_ptr<ForwardCall>> batch) {
        // An exception (e.g. std::bad_alloc for a huge batch) must not end
        // the worker thread; unwinding destroys the calls, and a destroyed
        // ForwardCall finishes its RPC with INTERNAL.
        try {
          RunForwardBatch(self->batch_context_, std::move(batch));
        } catch (const std::exception& e) {
          // Counted: each call is recorded with code INTERNAL.
          std::fprintf(stderr,
                       "brainserve-server: model '%s': a batch failed (%s); "
                       "its calls are answered INTERNAL\n",
                       self->options_.model_name.c_str(), e.what());
        }
      },
      [self](std::unique_ptr<ForwardCall> call, absl::Status why) {
        self->Drop(std::move(call), why);
      });
  if (!scheduler.ok()) return scheduler.status();
  executor->scheduler_ = *std::move(scheduler);
  return executor;
}

BatchedForwardExecutor::BatchedForwardExecutor(
    const BatchedForwardExecutorOptions& options,
    std::shared_ptr<const engine::Model> model,
    std::shared_ptr<metrics::ModelReporter> reporter, ComputeBudget* budget)
    : options_(options),
      model_(std::move(model)),
      reporter_(std::move(reporter)),
      clock_(options.clock != nullptr ? options.clock : batching::RealClock()),
      batch_context_{model_.get(), reporter_.get(), budget,
                     options.threads_per_forward,
                     options.min_rows_for_all_threads} {}

BatchedForwardExecutor::~BatchedForwardExecutor() {
  Shutdown(/*drain=*/true, "the model was unloaded");
}

void BatchedForwardExecutor::Submit(std::unique_ptr<ForwardCall> call) {
  // Admission by cost, before the call is queued or anything allocated.
  absl::Status status = admission::AdmitForward(
      options_.admission, options_.model_name, *model_, call->size(),
      static_cast<int64_t>(call->masks().size()));
  if (!status.ok()) {
    call->Finish(status);
    return;
  }
  // The scheduler's refusals (queue full, shut down) name the model and
  // the reason already.
  status = scheduler_->Schedule(&call);
  if (!status.ok()) call->Finish(status);
}

void BatchedForwardExecutor::Drop(std::unique_ptr<ForwardCall> call,
                                  const absl::Status& why) {
  // gRPC cancels a call whose deadline passed; report what the client sees.
  if (why.code() == absl::StatusCode::kCancelled &&
      clock_->Now() >= call->deadline()) {
    call->Finish(absl::DeadlineExceededError(
        absl::StrCat(ModelSubject(options_.model_name),
                     ": deadline passed while queued, before compute")));
    return;
  }
  call->Finish(why);
}

void BatchedForwardExecutor::Shutdown(bool drain, absl::string_view reason) {
  if (scheduler_ != nullptr) scheduler_->Shutdown(drain, reason);
}

int64_t BatchedForwardExecutor::queue_depth() const {
  return scheduler_->queue_depth();
}

}  // namespace brainserve::server
