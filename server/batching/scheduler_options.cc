#include "server/batching/scheduler_options.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace brainserve::batching {
namespace {

absl::Status CheckRange(absl::string_view prefix, absl::string_view field,
                        int64_t value, int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      prefix, prefix.empty() ? "" : ".", field, ": ", value,
      ", must be in [", lo, ", ", hi, "]"));
}

}  // namespace

absl::Status ValidateBatchingPolicy(const BatchingPolicy& policy,
                                    absl::string_view field_prefix) {
  absl::Status status = CheckRange(field_prefix, "max_batch_size",
                                   policy.max_batch_size, 1,
                                   kMaxBatchSizeLimit);
  if (status.ok()) {
    status = CheckRange(field_prefix, "max_queue_delay_us",
                        policy.max_queue_delay_us, 0, kMaxQueueDelayUsLimit);
  }
  if (status.ok()) {
    status = CheckRange(field_prefix, "max_queue_size", policy.max_queue_size,
                        1, kMaxQueueSizeLimit);
  }
  if (status.ok()) {
    status = CheckRange(field_prefix, "num_batch_workers",
                        policy.num_batch_workers, 1, kMaxBatchWorkersLimit);
  }
  return status;
}

absl::Status ValidateSchedulerOptions(const SchedulerOptions& options) {
  absl::Status status = ValidateBatchingPolicy(options, "");
  if (status.ok()) return status;
  return absl::InvalidArgumentError(absl::StrCat(
      "batch scheduler of ", options.name, ": ", status.message()));
}

}  // namespace brainserve::batching
