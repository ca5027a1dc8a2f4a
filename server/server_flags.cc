#include "server/server_flags.h"

#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "server/batching/scheduler_options.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051",
          "gRPC listen address host:port (port 0 picks a free port).");
ABSL_FLAG(std::string, metrics_listen, "0.0.0.0:9464",
          "Prometheus /metrics listen address; empty disables the exporter.");
ABSL_FLAG(std::string, http_listen,
          brainserve::server::ServerOptions().http.listen_address,
          "HTTP/REST listen address host:port (the Open Inference Protocol's "
          "/v2 routes and brainserve's /v1 routes; port 0 picks a free "
          "port); empty disables HTTP.");
ABSL_FLAG(int32_t, http_threads,
          brainserve::server::ServerOptions().http.threads,
          "HTTP worker threads: the most HTTP connections served at once "
          "(each waits while its request computes).");
ABSL_FLAG(int64_t, http_max_body_bytes,
          brainserve::server::ServerOptions().http.max_body_bytes,
          "Largest HTTP request body, in bytes; larger ones get 413.");
ABSL_FLAG(std::string, models_file, "",
          "JSON list of CreateModelRequest (protobuf JSON mapping) created at "
          "start; a bad file fails start-up.");
ABSL_FLAG(int64_t, max_message_bytes, int64_t{64} << 20,
          "Largest gRPC message sent, in bytes: a Forward or GetParameters "
          "whose response would be larger is refused RESOURCE_EXHAUSTED "
          "before it is computed. Also the largest request of the methods "
          "without a cap of their own (CreateModel, GetModel, ...).");
ABSL_FLAG(int64_t, max_forward_message_bytes,
          brainserve::server::ServerOptions().max_forward_message_bytes,
          "Largest Forward or ModelInfer request (gRPC message, or the body "
          "of POST /v2/models/{m}/infer), in bytes; larger is "
          "RESOURCE_EXHAUSTED (HTTP 413). gRPC receives up to the largest of "
          "the three message caps before any per-method check, so a message "
          "under that is buffered whole first; one over it is refused by "
          "gRPC, also after it was buffered (see server/README.md).");
ABSL_FLAG(int64_t, max_update_message_bytes,
          brainserve::server::ServerOptions().max_update_message_bytes,
          "Largest UpdateParameters request (gRPC message, or the body of "
          "POST /v1/models/{m}/parameters), in bytes; larger is "
          "RESOURCE_EXHAUSTED (HTTP 413).");
ABSL_FLAG(int64_t, max_request_memory_bytes,
          brainserve::server::ServerOptions().max_request_memory_bytes,
          "Most bytes one Forward, or one batch of Forwards, may allocate "
          "(input, output and response copies, activations, workspace). A "
          "Forward over it, or whose response exceeds --max_message_bytes, is "
          "refused RESOURCE_EXHAUSTED before anything is allocated; batches "
          "are cut to fit; CreateModel needs a full batch of the model to "
          "fit.");
ABSL_FLAG(int64_t, max_layers, brainserve::server::ServerOptions().max_layers,
          "Most layers in one model (CreateModel RESOURCE_EXHAUSTED beyond).");
ABSL_FLAG(int32_t, engine_threads, 0,
          "Compute threads shared by batch workers and OpenMP (0 = all "
          "cores). A model with W batch workers runs each forward with "
          "max(1, engine_threads / W) OpenMP threads, and at most "
          "engine_threads such threads compute at once.");
ABSL_FLAG(int64_t, min_rows_for_all_threads,
          brainserve::server::ServerOptions().min_rows_for_all_threads,
          "A batch of fewer rows runs on one OpenMP thread (and takes one "
          "compute token), so a small batch does not pay for idle partner "
          "threads; larger batches use the model's threads per forward. "
          "Results are the same bits either way. 0 (default) = always all "
          "threads (see docs/PERFORMANCE.md section 17).");
ABSL_FLAG(int64_t, max_models, 64, "Most models served at once.");
ABSL_FLAG(int64_t, max_model_parameter_bytes, int64_t{2} << 30,
          "Most bytes one model holds: its parameters (float32) plus one "
          "pass of activations and workspace.");
ABSL_FLAG(int64_t, max_total_parameter_bytes, int64_t{8} << 30,
          "Most parameter bytes over all models.");
ABSL_FLAG(int64_t, default_max_batch_size,
          brainserve::batching::BatchingPolicy().max_batch_size,
          "Default rows per batch (1 disables batching).");
ABSL_FLAG(int64_t, default_max_queue_delay_us,
          brainserve::batching::BatchingPolicy().max_queue_delay_us,
          "Default time the oldest queued request may wait for a batch to "
          "fill, in microseconds.");
ABSL_FLAG(int64_t, default_max_queue_size,
          brainserve::batching::BatchingPolicy().max_queue_size,
          "Default most requests queued per model; more get "
          "RESOURCE_EXHAUSTED.");
ABSL_FLAG(int32_t, default_batch_workers,
          brainserve::batching::BatchingPolicy().num_batch_workers,
          "Default batch worker threads per model.");
ABSL_FLAG(double, shutdown_grace_seconds, 10.0,
          "On SIGTERM/SIGINT: seconds in-flight and queued calls may take to "
          "finish before queued ones are answered UNAVAILABLE.");
ABSL_FLAG(int32_t, admin_threads, 2,
          "Threads running CreateModel and DeleteModel off gRPC's threads.");
ABSL_FLAG(int32_t, update_threads,
          brainserve::server::ServerOptions().update_threads,
          "Threads running UpdateParameters (separate from CreateModel, so "
          "an update never waits behind another model's creation).");
ABSL_FLAG(int64_t, max_pending_updates,
          brainserve::server::ServerOptions().max_pending_updates,
          "Most UpdateParameters calls one model may have queued or running "
          "(they run one at a time, in order); more are refused "
          "RESOURCE_EXHAUSTED at once.");
ABSL_FLAG(int32_t, background_nice,
          brainserve::server::ServerOptions().background_nice,
          "CPU priority (nice 0..19) of the threads running updates, model "
          "creation and deletion and store maintenance, so that forwards get "
          "the cores first; 0 = same priority as forwards.");
ABSL_FLAG(std::string, store, brainserve::server::ServerOptions().store,
          "Where model state is kept: sqlite:PATH (the embedded store; PATH "
          "is relative to the working directory, its directory is created), "
          "memory: (nothing survives a restart) or postgresql://HOST:PORT/DB "
          "(a libpq URI; shared by every replica; the password comes from "
          "PGPASSWORD, PGPASSFILE or ~/.pgpass, never the URI in manifests). "
          "Every create, update and delete is committed here before it is "
          "acknowledged.");
ABSL_FLAG(int64_t, max_min_version_wait_ms,
          brainserve::server::ServerOptions().max_min_version_wait_ms,
          "Read-your-writes: the longest a call with min_version waits for "
          "this server to apply that version, then UNAVAILABLE.");
ABSL_FLAG(int64_t, store_resync_interval_ms,
          brainserve::server::ServerOptions().store_resync_interval_ms,
          "Shared store: how often every stored model is compared with what "
          "this replica serves (a safety net; changes arrive by LISTEN/NOTIFY).");
ABSL_FLAG(int64_t, store_catch_up_timeout_ms,
          brainserve::server::ServerOptions().store_catch_up_timeout_ms,
          "Shared store: the longest start-up may take to catch up with the "
          "store before it fails.");
ABSL_FLAG(int64_t, snapshot_every_updates,
          brainserve::server::ServerOptions().snapshot_every_updates,
          "Fold a model's logged updates into a stored snapshot once it has "
          "this many (bounds restart time); 0 disables this trigger.");
ABSL_FLAG(int64_t, snapshot_every_bytes,
          brainserve::server::ServerOptions().snapshot_every_bytes,
          "Fold a model's logged updates into a stored snapshot once they "
          "hold this many parameter bytes; 0 disables this trigger.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain for TLS on --listen (with --tls_key_file); "
          "re-read when the file changes, so rotation needs no restart.");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of --tls_cert_file (unencrypted).");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle: require and verify client certificates (mutual "
          "TLS).");
ABSL_FLAG(
    int32_t, tls_reload_interval_seconds,
    brainserve::server::ServerOptions().tls_reload_interval_seconds,
    "How often the TLS files are checked for changes, in seconds (>= 1).");
ABSL_FLAG(int64_t, credentials_poll_interval_ms,
          brainserve::server::ServerOptions().credentials_poll_interval_ms,
          "How often --auth_tokens_file and --metrics_basic_auth_file are "
          "checked for changes, in milliseconds; 0: only on SIGHUP.");
ABSL_FLAG(std::string, auth_tokens_file, "",
          "Bearer tokens with roles, one a line: ROLE SHA256_HEX_OF_TOKEN "
          "[ID] (ROLE: reader, writer, admin; '#' comments). Re-read when it "
          "changes and on SIGHUP. Empty: no authentication.");
ABSL_FLAG(std::string, audit_log_file, "",
          "Append the audit trail (one JSON line per CreateModel, "
          "DeleteModel, UpdateParameters) to this file; empty: stderr.");
ABSL_FLAG(std::string, health_listen, "",
          "Also serve grpc.health.v1 alone, in plaintext, on this address "
          "(for Kubernetes gRPC probes, which cannot do TLS); empty: off.");
ABSL_FLAG(std::string, metrics_basic_auth_file, "",
          "Require HTTP basic auth on /metrics: lines USERNAME "
          "SHA256_HEX_OF_PASSWORD. Re-read when it changes and on SIGHUP.");
ABSL_FLAG(int64_t, keepalive_time_ms,
          brainserve::server::ServerOptions().keepalive_time_ms,
          "Ping a connection idle this long (ms); with --keepalive_timeout_ms "
          "this reaps half-open connections.");
ABSL_FLAG(int64_t, keepalive_timeout_ms,
          brainserve::server::ServerOptions().keepalive_timeout_ms,
          "Close a connection whose keepalive ping is not answered within "
          "this many ms.");
ABSL_FLAG(int64_t, max_connection_idle_ms,
          brainserve::server::ServerOptions().max_connection_idle_ms,
          "Close (GOAWAY) a connection without calls for this many ms; 0: "
          "never.");
ABSL_FLAG(int64_t, max_connection_age_ms,
          brainserve::server::ServerOptions().max_connection_age_ms,
          "Close (GOAWAY) a connection this many ms old, so clients behind a "
          "load balancer rebalance; 0: never.");
ABSL_FLAG(int64_t, max_connection_age_grace_ms,
          brainserve::server::ServerOptions().max_connection_age_grace_ms,
          "How long calls on a connection closed for its age may still run, "
          "in ms.");
ABSL_FLAG(int64_t, handshake_timeout_ms,
          brainserve::server::ServerOptions().handshake_timeout_ms,
          "Close a connection that has not completed its TLS/HTTP2 handshake "
          "within this many ms.");
ABSL_FLAG(int64_t, listener_probe_interval_ms,
          brainserve::server::ServerOptions().listener_probe_interval_ms,
          "Probe the gRPC listener over a fresh connection this often (ms) and "
          "rebuild it on the same port, keeping every model, after two failed "
          "probes (gRPC stops accepting for good after running out of file "
          "descriptors); 0: off.");
ABSL_FLAG(std::string, ready_file, "",
          "Once serving, atomically write "
          "{\"grpc_port\":N,\"metrics_port\":M,\"health_port\":H,"
          "\"http_port\":P} to this file (0 for a listener that is off).");

namespace brainserve::server {

ServerOptions ServerOptionsFromFlags() {
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen);
  options.http.listen_address = absl::GetFlag(FLAGS_http_listen);
  options.http.threads = absl::GetFlag(FLAGS_http_threads);
  options.http.max_body_bytes = absl::GetFlag(FLAGS_http_max_body_bytes);
  options.models_file = absl::GetFlag(FLAGS_models_file);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_forward_message_bytes =
      absl::GetFlag(FLAGS_max_forward_message_bytes);
  options.max_update_message_bytes =
      absl::GetFlag(FLAGS_max_update_message_bytes);
  options.engine_threads = absl::GetFlag(FLAGS_engine_threads);
  options.min_rows_for_all_threads =
      absl::GetFlag(FLAGS_min_rows_for_all_threads);
  options.max_request_memory_bytes =
      absl::GetFlag(FLAGS_max_request_memory_bytes);
  options.max_layers = absl::GetFlag(FLAGS_max_layers);
  options.limits.max_models = absl::GetFlag(FLAGS_max_models);
  options.limits.max_model_parameter_bytes =
      absl::GetFlag(FLAGS_max_model_parameter_bytes);
  options.limits.max_total_parameter_bytes =
      absl::GetFlag(FLAGS_max_total_parameter_bytes);
  options.default_batching.max_batch_size =
      absl::GetFlag(FLAGS_default_max_batch_size);
  options.default_batching.max_queue_delay_us =
      absl::GetFlag(FLAGS_default_max_queue_delay_us);
  options.default_batching.max_queue_size =
      absl::GetFlag(FLAGS_default_max_queue_size);
  options.default_batching.num_batch_workers =
      absl::GetFlag(FLAGS_default_batch_workers);
  options.shutdown_grace_seconds = absl::GetFlag(FLAGS_shutdown_grace_seconds);
  options.admin_threads = absl::GetFlag(FLAGS_admin_threads);
  options.update_threads = absl::GetFlag(FLAGS_update_threads);
  options.max_pending_updates = absl::GetFlag(FLAGS_max_pending_updates);
  options.background_nice = absl::GetFlag(FLAGS_background_nice);
  options.store = absl::GetFlag(FLAGS_store);
  options.max_min_version_wait_ms = absl::GetFlag(FLAGS_max_min_version_wait_ms);
  options.store_resync_interval_ms = absl::GetFlag(FLAGS_store_resync_interval_ms);
  options.store_catch_up_timeout_ms =
      absl::GetFlag(FLAGS_store_catch_up_timeout_ms);
  options.snapshot_every_updates = absl::GetFlag(FLAGS_snapshot_every_updates);
  options.snapshot_every_bytes = absl::GetFlag(FLAGS_snapshot_every_bytes);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.tls_reload_interval_seconds =
      absl::GetFlag(FLAGS_tls_reload_interval_seconds);
  options.credentials_poll_interval_ms =
      absl::GetFlag(FLAGS_credentials_poll_interval_ms);
  options.auth_tokens_file = absl::GetFlag(FLAGS_auth_tokens_file);
  options.audit_log_file = absl::GetFlag(FLAGS_audit_log_file);
  options.health_listen_address = absl::GetFlag(FLAGS_health_listen);
  options.keepalive_time_ms = absl::GetFlag(FLAGS_keepalive_time_ms);
  options.keepalive_timeout_ms = absl::GetFlag(FLAGS_keepalive_timeout_ms);
  options.max_connection_idle_ms = absl::GetFlag(FLAGS_max_connection_idle_ms);
  options.max_connection_age_ms = absl::GetFlag(FLAGS_max_connection_age_ms);
  options.max_connection_age_grace_ms =
      absl::GetFlag(FLAGS_max_connection_age_grace_ms);
  options.handshake_timeout_ms = absl::GetFlag(FLAGS_handshake_timeout_ms);
  options.listener_probe_interval_ms =
      absl::GetFlag(FLAGS_listener_probe_interval_ms);
  options.metrics_basic_auth_file =
      absl::GetFlag(FLAGS_metrics_basic_auth_file);
#ifdef BRAINSERVE_VERSION
  options.version = BRAINSERVE_VERSION;
#endif
  return options;
}

}  // namespace brainserve::server
