#include "server/batching/scheduler_options.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace brainserve::batching {
namespace {

absl::Status FieldError(const SchedulerOptions& options,
                        absl::string_view field_and_rule, int64_t value) {
  return absl::InvalidArgumentError(
      absl::StrCat("batch scheduler '", options.name, "': ", field_and_rule,
                   ", got ", value));
}

}  // namespace

absl::Status ValidateSchedulerOptions(const SchedulerOptions& options) {
  if (options.max_batch_size < 1) {
    return FieldError(options, "max_batch_size must be >= 1",
                      options.max_batch_size);
  }
  if (options.max_queue_delay_us < 0) {
    return FieldError(options, "max_queue_delay_us must be >= 0",
                      options.max_queue_delay_us);
  }
  if (options.max_queue_size < 1) {
    return FieldError(options, "max_queue_size must be >= 1",
                      options.max_queue_size);
  }
  if (options.num_batch_workers < 1 ||
      options.num_batch_workers > kMaxBatchWorkers) {
    return FieldError(options,
                      absl::StrCat("num_batch_workers must be in [1, ",
                                   kMaxBatchWorkers, "]"),
                      options.num_batch_workers);
  }
  return absl::OkStatus();
}

}  // namespace brainserve::batching
