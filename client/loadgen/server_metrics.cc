#include "client/loadgen/server_metrics.h"

#include "client/loadgen/http_get.h"

namespace brainserve::loadgen {

double ServerCounters::ForwardTotal() const {
  double total = 0;
  for (const auto& [code, count] : forward_by_code) total += count;
  return total;
}

ServerCounters ExtractCounters(const MetricsSnapshot& snapshot,
                               const std::string& model) {
  const std::map<std::string, std::string> by_model = {{"model", model}};
  ServerCounters c;
  // Inference calls of either API: Forward and the Open Inference
  // Protocol's ModelInfer (gRPC and HTTP).
  for (const char* method : {"Forward", "ModelInfer"}) {
    for (const auto& [code, count] :
         snapshot.SumBy("brainserve_requests_total", "code",
                        {{"model", model}, {"method", method}})) {
      c.forward_by_code[code] += count;
    }
  }
  c.queue_sum_s =
      snapshot.Sum("brainserve_queue_duration_seconds_sum", by_model);
  c.queue_count =
      snapshot.Sum("brainserve_queue_duration_seconds_count", by_model);
  c.compute_sum_s =
      snapshot.Sum("brainserve_compute_duration_seconds_sum", by_model);
  c.compute_count =
      snapshot.Sum("brainserve_compute_duration_seconds_count", by_model);
  c.batch_rows_sum = snapshot.Sum("brainserve_batch_size_sum", by_model);
  c.batch_count = snapshot.Sum("brainserve_batch_size_count", by_model);
  c.update_sum_s = snapshot.Sum(
      "brainserve_parameter_update_duration_seconds_sum", by_model);
  c.update_count = snapshot.Sum(
      "brainserve_parameter_update_duration_seconds_count", by_model);
  return c;
}

ServerSplit DiffCounters(const ServerCounters& before,
                         const ServerCounters& after) {
  ServerSplit split;
  split.available = true;
  for (const auto& [code, count] : after.forward_by_code) {
    auto it = before.forward_by_code.find(code);
    const double delta =
        count - (it == before.forward_by_code.end() ? 0 : it->second);
    if (delta != 0) split.forward_by_code[code] = delta;
    split.forward_total += delta;
  }
  auto mean = [](double sum, double count, double scale) {
    return count > 0 ? sum / count * scale : 0.0;
  };
  const double queue_n = after.queue_count - before.queue_count;
  split.queue_mean_us =
      mean(after.queue_sum_s - before.queue_sum_s, queue_n, 1e6);
  const double compute_n = after.compute_count - before.compute_count;
  split.compute_mean_us =
      mean(after.compute_sum_s - before.compute_sum_s, compute_n, 1e6);
  split.batches = after.batch_count - before.batch_count;
  split.batch_size_mean =
      mean(after.batch_rows_sum - before.batch_rows_sum, split.batches, 1);
  split.updates = after.update_count - before.update_count;
  split.update_mean_us =
      mean(after.update_sum_s - before.update_sum_s, split.updates, 1e6);
  return split;
}

namespace {

// Applies `op` to every numeric field pair of `a` and `b`, into `out`.
template <typename Op>
void Combine(const ServerCounters& a, const ServerCounters& b, Op op,
             ServerCounters* out) {
  std::map<std::string, double> codes = a.forward_by_code;
  for (const auto& [code, count] : b.forward_by_code) {
    codes[code] = op(codes[code], count);
  }
  out->forward_by_code = std::move(codes);
  out->queue_sum_s = op(a.queue_sum_s, b.queue_sum_s);
  out->queue_count = op(a.queue_count, b.queue_count);
  out->compute_sum_s = op(a.compute_sum_s, b.compute_sum_s);
  out->compute_count = op(a.compute_count, b.compute_count);
  out->batch_rows_sum = op(a.batch_rows_sum, b.batch_rows_sum);
  out->batch_count = op(a.batch_count, b.batch_count);
  out->update_sum_s = op(a.update_sum_s, b.update_sum_s);
  out->update_count = op(a.update_count, b.update_count);
}

}  // namespace

ServerCounters SubtractCounters(const ServerCounters& after,
                                const ServerCounters& before) {
  ServerCounters delta;
  Combine(
      after, before, [](double x, double y) { return x - y; }, &delta);
  return delta;
}

void AddCounters(const ServerCounters& delta, ServerCounters* total) {
  Combine(
      *total, delta, [](double x, double y) { return x + y; }, total);
}

absl::StatusOr<ServerCounters> ScrapeCounters(const std::string& metrics_url,
                                              const std::string& model,
                                              absl::Duration timeout) {
  absl::StatusOr<std::string> body = HttpGet(metrics_url, timeout);
  if (!body.ok()) return body.status();
  absl::StatusOr<MetricsSnapshot> snapshot = MetricsSnapshot::Parse(*body);
  if (!snapshot.ok()) return snapshot.status();
  return ExtractCounters(*snapshot, model);
}

}  // namespace brainserve::loadgen
