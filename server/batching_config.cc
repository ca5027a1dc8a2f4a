#include "server/batching_config.h"

#include "absl/strings/str_cat.h"

namespace brainserve::server {
namespace {

absl::Status CheckRange(const char* prefix, const char* field, int64_t value,
                        int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      prefix, ".", field, ": ", value, ", must be in [", lo, ", ", hi, "]"));
}

}  // namespace

absl::Status ValidateBatchingOptions(const ModelBatchingOptions& options,
                                     const char* field_prefix) {
  absl::Status status =
      CheckRange(field_prefix, "max_batch_size", options.max_batch_size, 1,
                 kMaxBatchSizeLimit);
  if (status.ok()) {
    status = CheckRange(field_prefix, "max_queue_delay_us",
                        options.max_queue_delay_us, 0, kMaxQueueDelayUsLimit);
  }
  if (status.ok()) {
    status = CheckRange(field_prefix, "max_queue_size", options.max_queue_size,
                        1, kMaxQueueSizeLimit);
  }
  if (status.ok()) {
    status = CheckRange(field_prefix, "num_batch_workers",
                        options.num_batch_workers, 1, kMaxBatchWorkersLimit);
  }
  return status;
}

absl::StatusOr<ModelBatchingOptions> ResolveBatchingOptions(
    const v1::BatchingOptions& requested,
    const ModelBatchingOptions& defaults) {
  ModelBatchingOptions options = defaults;
  if (requested.has_max_batch_size()) {
    options.max_batch_size = requested.max_batch_size();
  }
  if (requested.has_max_queue_delay_us()) {
    options.max_queue_delay_us = requested.max_queue_delay_us();
  }
  if (requested.has_max_queue_size()) {
    options.max_queue_size = requested.max_queue_size();
  }
  if (requested.has_num_batch_workers()) {
    options.num_batch_workers = requested.num_batch_workers();
  }
  absl::Status status = ValidateBatchingOptions(options, "batching");
  if (!status.ok()) return status;
  return options;
}

v1::BatchingOptions ToProto(const ModelBatchingOptions& options) {
  v1::BatchingOptions proto;
  proto.set_max_batch_size(options.max_batch_size);
  proto.set_max_queue_delay_us(options.max_queue_delay_us);
  proto.set_max_queue_size(options.max_queue_size);
  proto.set_num_batch_workers(options.num_batch_workers);
  return proto;
}

}  // namespace brainserve::server
