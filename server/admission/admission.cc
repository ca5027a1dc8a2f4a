#include "server/admission/admission.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace brainserve::server::admission {
namespace {

std::string Breakdown(const ForwardCost& cost) {
  return absl::StrCat("input ", cost.input_bytes, ", output and response ",
                      cost.output_bytes, ", activations and workspace ",
                      cost.scratch_bytes);
}

}  // namespace

absl::Status AdmitForward(const AdmissionLimits& limits,
                          absl::string_view model_name,
                          const engine::Model& model, int64_t rows,
                          int64_t mask_layers) {
  const ForwardCost cost = EstimateForwardCost(model, rows, mask_layers);
  if (cost.response_bytes > limits.max_response_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "model '", model_name, "': the response to ", rows, " rows would be ",
        cost.response_bytes,
        " bytes, over the largest message the server sends "
        "(--max_message_bytes=",
        limits.max_response_bytes, "); send fewer rows per request"));
  }
  if (cost.total_bytes() > limits.max_request_memory_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "model '", model_name, "': a Forward of ", rows, " rows needs ",
        cost.total_bytes(), " bytes (", Breakdown(cost),
        "), over --max_request_memory_bytes=",
        limits.max_request_memory_bytes, "; send fewer rows per request"));
  }
  return absl::OkStatus();
}

int64_t MaxBatchRows(const AdmissionLimits& limits, const engine::Model& model,
                     int64_t max_batch_size) {
  auto fits = [&](int64_t rows) {
    return EstimateForwardCost(model, rows).total_bytes() <=
           limits.max_request_memory_bytes;
  };
  // The cost grows with the rows, so the largest fitting count is found by
  // bisection in [1, max_batch_size].
  int64_t low = 1;
  int64_t high = std::max<int64_t>(max_batch_size, 1);
  if (fits(high)) return high;
  while (high - low > 1) {
    const int64_t mid = low + (high - low) / 2;
    if (fits(mid)) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return low;
}

absl::Status AdmitModelSpec(const AdmissionLimits& limits,
                            absl::string_view model_name,
                            const v1::ModelSpec& spec) {
  if (spec.layers_size() > limits.max_layers) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "model '", model_name, "': spec.layers has ", spec.layers_size(),
        " layers, over --max_layers=", limits.max_layers));
  }
  return absl::OkStatus();
}

absl::Status AdmitModelWarmup(const AdmissionLimits& limits,
                              absl::string_view model_name,
                              const engine::Model& model,
                              int64_t warmup_rows) {
  const ForwardCost cost = EstimateForwardCost(model, warmup_rows);
  if (cost.total_bytes() <= limits.max_request_memory_bytes) {
    return absl::OkStatus();
  }
  const ForwardCost one_row = EstimateForwardCost(model, 1);
  const std::string advice =
      one_row.total_bytes() > limits.max_request_memory_bytes
          ? std::string("even one row does not fit")
          : absl::StrCat("lower batching.max_batch_size to ",
                         MaxBatchRows(limits, model, warmup_rows),
                         " or raise the limit");
  return absl::ResourceExhaustedError(absl::StrCat(
      "model '", model_name, "': a batch of ", warmup_rows,
      " rows (what warm-up and batching run) needs ", cost.total_bytes(),
      " bytes (", Breakdown(cost), "), over --max_request_memory_bytes=",
      limits.max_request_memory_bytes, "; ", advice));
}

int64_t MaxReceiveMessageBytes(const AdmissionLimits& limits) {
  return std::max({limits.max_forward_message_bytes,
                   limits.max_update_message_bytes,
                   limits.max_response_bytes});
}

absl::Status AdmitRequestSize(const AdmissionLimits& limits, RequestKind kind,
                              absl::string_view method,
                              int64_t request_bytes) {
  int64_t cap = limits.max_response_bytes;
  absl::string_view flag = "--max_message_bytes";
  if (kind == RequestKind::kForward) {
    cap = limits.max_forward_message_bytes;
    flag = "--max_forward_message_bytes";
  } else if (kind == RequestKind::kUpdate) {
    cap = limits.max_update_message_bytes;
    flag = "--max_update_message_bytes";
  }
  if (request_bytes <= cap) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat(method, ": the request is ", request_bytes,
                   " bytes, over ", flag, "=", cap));
}

absl::Status AdmitParametersResponse(const AdmissionLimits& limits,
                                     absl::string_view model_name,
                                     int64_t response_bytes) {
  if (response_bytes <= limits.max_response_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "model '", model_name, "': the GetParameters response would be ",
      response_bytes,
      " bytes, over the largest message the server sends "
      "(--max_message_bytes=",
      limits.max_response_bytes, "); ask for one layer or parameter at a time"));
}

}  // namespace brainserve::server::admission
