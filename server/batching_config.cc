#include "server/batching_config.h"

namespace brainserve::server {

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
  absl::Status status = batching::ValidateBatchingPolicy(options, "batching");
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
