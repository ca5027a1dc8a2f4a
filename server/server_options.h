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
  // Largest gRPC message sent (responses), and largest request of every
  // method without a cap of its own, in bytes.
  int64_t max_message_bytes = int64_t{64} << 20;
  // Largest Forward / ModelInfer request (gRPC message, or HTTP infer body),
  // and largest UpdateParameters request (gRPC message, or HTTP parameters
  // body), in bytes. gRPC's own receive cap is the largest of these and
  // max_message_bytes; each method is then checked against its own on
  // arrival (RESOURCE_EXHAUSTED naming the flag and the size).
  int64_t max_forward_message_bytes = int64_t{16} << 20;
  int64_t max_update_message_bytes = int64_t{64} << 20;
  // Admission by cost (server/admission): the most bytes one Forward, or
  // one batch, may allocate (input, output and response copies,
  // activations, workspace); more is RESOURCE_EXHAUSTED before anything is
  // allocated. CreateModel needs a full batch of the model to fit.
  int64_t max_request_memory_bytes = int64_t{256} << 20;
  // Most layers in one model's spec (CreateModel RESOURCE_EXHAUSTED beyond).
  int64_t max_layers = 1000;
  // Compute threads shared by all models' batch workers and OpenMP; 0 =
  // std::thread::hardware_concurrency(). See compute_budget.h for the policy.
  int engine_threads = 0;
  // A batch of fewer rows runs on one OpenMP thread and takes one token of
  // the compute budget; larger batches use the model's threads per forward
  // (compute_budget.h). 0 (the default) = every batch uses them all: on the
  // 2-vCPU development VM one thread for small batches did not raise the
  // open-loop capacity (docs/PERFORMANCE.md section 17).
  int64_t min_rows_for_all_threads = 0;
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
  // Most UpdateParameters calls one model may have queued or running; more
  // get RESOURCE_EXHAUSTED at once (server/model_update_queue.h).
  int64_t max_pending_updates = 16;
  // CPU priority (nice, 0..19) of the threads doing work other than
  // forwards: updates, model creation and deletion, store maintenance. The
  // kernel then gives the forwards' compute threads the cores first, so an
  // update's weight preparation does not preempt a forward's OpenMP team.
  int background_nice = 10;
  // Where model state is kept (see server/store/model_store.h):
  // "sqlite:PATH" (relative to the working directory), "memory:" or
  // "postgresql://..." (shared by every replica).
  std::string store = "sqlite:brainserve-data/state.db";
  // Read-your-writes: the longest a call with a min_version waits for this
  // server to apply that version before UNAVAILABLE (the call's own
  // deadline, if sooner, gives DEADLINE_EXCEEDED).
  int64_t max_min_version_wait_ms = 5000;
  // Shared stores: how often the replica compares every stored model with
  // what it serves, as a safety net behind the change feed.
  int64_t store_resync_interval_ms = 5000;
  // Shared stores: how long start-up may take to catch up with the store
  // before the server gives up (exit 1) instead of serving stale state.
  int64_t store_catch_up_timeout_ms = 60000;
  // Compaction: fold a model's store log into a snapshot once it holds this
  // many updates or this many parameter bytes (0 = no such trigger).
  int64_t snapshot_every_updates = 1000;
  int64_t snapshot_every_bytes = int64_t{256} << 20;
  // --- Security (server/auth/README.md) ---
  // TLS on the gRPC listener: PEM certificate chain and private key, both or
  // neither (neither = plaintext). Re-read when they change.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle; when set, every client must present a certificate it
  // verifies (mutual TLS). "" = no client certificates asked for.
  std::string tls_client_ca_file;
  // How often the TLS files are checked for changes, in seconds (>= 1).
  int tls_reload_interval_seconds = 1;
  // Bearer tokens with roles, lines "ROLE SHA256_HEX [ID]"; "" = no
  // authentication (every client may do everything; a warning is logged).
  std::string auth_tokens_file;
  // Where the audit trail of changes goes (JSON lines); "" = stderr.
  std::string audit_log_file;
  // How often the token file and metrics credentials are checked for
  // changes, in milliseconds; 0 = only on SIGHUP (Server::ReloadCredentials).
  int64_t credentials_poll_interval_ms = 1000;
  // A second, plaintext gRPC listener serving only grpc.health.v1 (kept in
  // step with the main one), for probes that cannot do TLS (the kubelet's
  // gRPC probes); "" = none.
  std::string health_listen_address;
  // HTTP basic auth for /metrics: lines "USERNAME SHA256_HEX_OF_PASSWORD";
  // "" = /metrics is open.
  std::string metrics_basic_auth_file;
  // --- Connections (server.h) ---
  // Keepalive: the server pings a connection idle this long, and closes it
  // when a ping is not answered within keepalive_timeout_ms, so half-open
  // connections (a peer that vanished) are reaped. Milliseconds.
  int64_t keepalive_time_ms = 60000;
  int64_t keepalive_timeout_ms = 20000;
  // A connection without calls for this long is closed (GOAWAY). 0 = never.
  int64_t max_connection_idle_ms = 300000;
  // A connection older than this is closed (GOAWAY) after its calls finish
  // (at most max_connection_age_grace_ms more), so clients behind a
  // Kubernetes Service rebalance. 0 = never.
  int64_t max_connection_age_ms = 1800000;
  int64_t max_connection_age_grace_ms = 60000;
  // A connection that has not completed its (TLS / HTTP/2) handshake in
  // this long is closed, so silent connections do not hold descriptors.
  int64_t handshake_timeout_ms = 10000;
  // The listener watchdog (listener_watchdog.h) probes the listener this
  // often and rebuilds it after two failed probes. 0 = no watchdog.
  int64_t listener_probe_interval_ms = 1000;
  // Version reported by brainserve_build_info.
  std::string version = "0.1.0";
  // Batch scheduler time source; nullptr = real time. Not owned (tests).
  batching::Clock* clock = nullptr;
};

// INVALID_ARGUMENT naming the first bad field by its flag name.
absl::Status ValidateServerOptions(const ServerOptions& options);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_SERVER_OPTIONS_H_
