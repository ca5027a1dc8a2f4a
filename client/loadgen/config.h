// Everything one brainserve-loadgen run is told to do (from the command line).
#ifndef BRAINSERVE_CLIENT_LOADGEN_CONFIG_H_
#define BRAINSERVE_CLIENT_LOADGEN_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "client/channel_security.h"
#include "client/loadgen/arrival_schedule.h"
#include "client/loadgen/input_data.h"
#include "client/loadgen/update_driver.h"

namespace brainserve::loadgen {

// Which API the inference calls use.
enum class Protocol {
  kBrainserve,  // brainserve.v1.ModelService/Forward (gRPC)
  kOip,         // inference.GRPCInferenceService/ModelInfer (gRPC)
  kHttp,        // POST /v2/models/{model}/infer (HTTP/1.1, closed loop only)
};

struct LoadgenConfig {
  // gRPC target host:port.
  std::string server = "localhost:50051";
  // TLS, mutual TLS and the bearer token for every channel.
  client::ChannelSecurity security;
  // --token-file (read by ParseFlags into security.token).
  std::string token_file;
  // API of the inference calls (GetModel and updates always use gRPC).
  Protocol protocol = Protocol::kBrainserve;
  // HTTP/REST target host:port for Protocol::kHttp.
  std::string http_server = "localhost:8000";
  // Model to load (required).
  std::string model;
  // Closed-loop levels (concurrent callers); run in order.
  std::vector<int> concurrency;
  // Open-loop levels (requests per second); run after the closed-loop ones.
  std::vector<double> request_rates;
  // Open-loop arrival process.
  ArrivalProcess arrival = ArrivalProcess::kConstant;
  // The Forward inputs: rows per request, an optional .npy / .json file,
  // the encoding (also used by updates), the seed (which also seeds Poisson
  // arrivals) and the pool of distinct random requests.
  InputOptions input;
  // HTTP/2 connections for Forward calls.
  int connections = 2;
  // Completion-queue threads.
  int threads = 1;
  // Per-call deadline, in milliseconds.
  int64_t timeout_ms = 10000;
  // Open loop: most outstanding calls.
  int64_t max_inflight = 20000;
  // Warm-up before measuring each level, in milliseconds.
  int64_t warmup_ms = 1000;
  // Measurement window, in milliseconds.
  int64_t window_ms = 1000;
  // Windows must agree within this percentage of throughput to stop.
  double stability_pct = 10;
  // Consecutive windows that must agree.
  int stable_windows = 3;
  // Fewest windows measured (and reported) per level; >= stable_windows.
  int min_windows = 3;
  // Hard cap per level (warm-up included), in seconds.
  double max_duration_s = 60;
  // Hard cap on Forward calls sent per measured level (0 = none).
  int64_t max_requests = 0;
  // Server /metrics URL for the server-side split (empty = skip).
  std::string metrics_url;
  // Output files (empty = none).
  std::string csv_path;
  std::string json_path;
  // UpdateParameters per second during a second phase of each level
  // (0 = no updates, one phase per level).
  double update_rate_hz = 0;
  UpdateMode update_mode = UpdateMode::kReplace;
  float update_add_delta = 1e-6f;
  // "layer/name" parameters to update; empty = all.
  std::vector<std::string> update_parameters;
  // Write the gRPC-framed ForwardRequest here and exit (for h2load).
  std::string dump_request_path;
  // Live progress line on stderr (set when stderr is a terminal).
  bool progress = false;
};

}  // namespace brainserve::loadgen

#endif  // BRAINSERVE_CLIENT_LOADGEN_CONFIG_H_
