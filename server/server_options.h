// Everything that configures a brainserve Server. main.cc fills it from the
// command-line flags (server_flags.h); tests fill it directly.
#ifndef BRAINSERVE_SERVER_SERVER_OPTIONS_H_
#define BRAINSERVE_SERVER_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "server/batching/clock.h"
#include "server/batching_config.h"
#include "server/http/http_options.h"
#include "server/model_registry.h"

namespace brainserve::server {

struct ServerOptions {
  // gRPC listen address, host:port; port 0 picks a free port.
  std::string listen_address = "0.0.0.0:50051";
  // Prometheus /metrics listen address; "" disables the exporter (the null
  // reporter is used and nothing is exported).
  std::string metrics_listen_address = "0.0.0.0:9464";
  // The HTTP/REST front end (listen_address "" disables it).
  http::HttpServerOptions http;
  // Largest gRPC message received or sent, in bytes.
  int64_t max_message_bytes = int64_t{64} << 20;
  // Compute threads shared by all models' batch workers and OpenMP; 0 =
  // std::thread::hardware_concurrency(). See compute_budget.h for the policy.
  int engine_threads = 0;
  // Model count and parameter byte limits.
  ModelRegistryLimits limits;
  // Batching options for fields a CreateModelRequest leaves unset.
  ModelBatchingOptions default_batching;
  // On Shutdown(): how long in-flight and queued calls may take to finish,
  // in seconds, before queued ones are answered UNAVAILABLE and gRPC cancels
  // the rest.
  double shutdown_grace_seconds = 10.0;
  // JSON list of CreateModelRequest created at Start(); "" = none.
  std::string models_file;
  // Threads running CreateModel / DeleteModel off gRPC's threads.
  int admin_threads = 2;
  // Most CreateModel / DeleteModel calls waiting for an admin thread.
  int64_t admin_queue_size = 1024;
  // Threads running UpdateParameters (weight preparation and the store
  // commit; updates to different models share fsyncs through group commit,
  // so more threads than cores pay off).
  int update_threads = 4;
  // Most UpdateParameters calls waiting for an update thread.
  int64_t update_queue_size = 1024;
  // Where model state is kept (see server/store/model_store.h):
  // "sqlite:PATH" (relative to the working directory) or "memory:".
  std::string store = "sqlite:brainserve-data/state.db";
  // Compaction: fold a model's store log into a snapshot once it holds this
  // many updates or this many parameter bytes (0 = no such trigger).
  int64_t snapshot_every_updates = 1000;
  int64_t snapshot_every_bytes = int64_t{256} << 20;
  // Version reported by brainserve_build_info.
  std::string version = "0.1.0";
  // Batch scheduler time source; nullptr = real time. Not owned (tests).
  batching::Clock* clock = nullptr;
};

// INVALID_ARGUMENT naming the first bad field by its flag name.
absl::Status ValidateServerOptions(const ServerOptions& options);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_SERVER_OPTIONS_H_
