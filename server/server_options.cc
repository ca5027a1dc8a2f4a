#include "server/server_options.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace brainserve::server {
namespace {

absl::Status AtLeast(const char* flag, int64_t value, int64_t min) {
  if (value >= min) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": ", value, ", must be >= ", min));
}

}  // namespace

absl::Status ValidateServerOptions(const ServerOptions& options) {
  if (options.listen_address.empty()) {
    return absl::InvalidArgumentError("--listen: empty");
  }
  absl::Status status =
      AtLeast("max_message_bytes", options.max_message_bytes, 1024);
  if (status.ok() && options.max_message_bytes > INT32_MAX) {
    status = absl::InvalidArgumentError(
        absl::StrCat("--max_message_bytes: ", options.max_message_bytes,
                     ", must be <= ", INT32_MAX));
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, int64_t>{"max_forward_message_bytes",
                                        options.max_forward_message_bytes},
        {"max_update_message_bytes", options.max_update_message_bytes}}) {
    if (status.ok()) status = AtLeast(flag, value, 1024);
    if (status.ok() && value > INT32_MAX) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": ", value, ", must be <= ", INT32_MAX));
    }
  }
  if (status.ok()) {
    status = AtLeast("max_request_memory_bytes",
                     options.max_request_memory_bytes, 1024);
  }
  if (status.ok()) status = AtLeast("max_layers", options.max_layers, 1);
  if (status.ok())
    status = AtLeast("keepalive_time_ms", options.keepalive_time_ms, 1000);
  if (status.ok())
    status = AtLeast("keepalive_timeout_ms", options.keepalive_timeout_ms, 1);
  if (status.ok()) {
    status =
        AtLeast("max_connection_idle_ms", options.max_connection_idle_ms, 0);
  }
  if (status.ok())
    status = AtLeast("max_connection_age_ms", options.max_connection_age_ms, 0);
  if (status.ok()) {
    status = AtLeast("max_connection_age_grace_ms",
                     options.max_connection_age_grace_ms, 0);
  }
  if (status.ok())
    status = AtLeast("handshake_timeout_ms", options.handshake_timeout_ms, 100);
  if (status.ok()) {
    status = AtLeast("listener_probe_interval_ms",
                     options.listener_probe_interval_ms, 0);
  }
  if (status.ok())
    status = AtLeast("engine_threads", options.engine_threads, 0);
  if (status.ok()) status = AtLeast("max_models", options.limits.max_models, 1);
  if (status.ok()) {
    status = AtLeast("max_model_parameter_bytes",
                     options.limits.max_model_parameter_bytes, 0);
  }
  if (status.ok()) {
    status = AtLeast("max_total_parameter_bytes",
                     options.limits.max_total_parameter_bytes, 0);
  }
  if (status.ok() && !(options.shutdown_grace_seconds >= 0)) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "--shutdown_grace_seconds: ", options.shutdown_grace_seconds,
        ", must be >= 0"));
  }
  if (status.ok()) status = AtLeast("admin_threads", options.admin_threads, 1);
  if (status.ok()) {
    status = AtLeast("admin_queue_size", options.admin_queue_size, 1);
  }
  if (status.ok()) {
    status = AtLeast("update_threads", options.update_threads, 1);
  }
  if (status.ok()) {
    status = AtLeast("update_queue_size", options.update_queue_size, 1);
  }
  if (status.ok()) {
    status = AtLeast("max_pending_updates", options.max_pending_updates, 1);
  }
  if (status.ok() &&
      (options.background_nice < 0 || options.background_nice > 19)) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "--background_nice: ", options.background_nice,
        ", must be in [0, 19]"));
  }
  if (status.ok()) {
    const std::string http_error = http::HttpOptionsError(options.http);
    if (!http_error.empty()) status = absl::InvalidArgumentError(http_error);
  }
  if (status.ok() && options.store.empty()) {
    status = absl::InvalidArgumentError(
        "--store: empty; use sqlite:PATH or memory:");
  }
  if (status.ok()) {
    status = AtLeast("snapshot_every_updates", options.snapshot_every_updates,
                     0);
  }
  if (status.ok()) {
    status = AtLeast("max_min_version_wait_ms", options.max_min_version_wait_ms, 0);
  }
  if (status.ok()) {
    status = AtLeast("store_resync_interval_ms", options.store_resync_interval_ms, 100);
  }
  if (status.ok()) {
    status = AtLeast("store_catch_up_timeout_ms", options.store_catch_up_timeout_ms, 1);
  }
  if (status.ok()) {
    status =
        AtLeast("snapshot_every_bytes", options.snapshot_every_bytes, 0);
  }
  if (status.ok()) {
    status = AtLeast("tls_reload_interval_seconds",
                     options.tls_reload_interval_seconds, 1);
  }
  if (status.ok()) {
    status = AtLeast("credentials_poll_interval_ms",
                     options.credentials_poll_interval_ms, 0);
  }
  if (status.ok() &&
      options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    status = absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file must be given together");
  }
  if (status.ok() && !options.tls_client_ca_file.empty() &&
      options.tls_cert_file.empty()) {
    status = absl::InvalidArgumentError(
        "--tls_client_ca_file (mutual TLS) needs --tls_cert_file and "
        "--tls_key_file");
  }
  if (status.ok() && !options.metrics_basic_auth_file.empty() &&
      options.metrics_listen_address.empty()) {
    status = absl::InvalidArgumentError(
        "--metrics_basic_auth_file needs --metrics_listen");
  }
  if (status.ok()) {
    // Flag names: --default_max_batch_size etc.
    status =
        batching::ValidateBatchingPolicy(options.default_batching, "defaults");
    if (!status.ok()) {
      status = absl::InvalidArgumentError(
          absl::StrCat(status.message(),
                       " (flags --default_max_batch_size, "
                       "--default_max_queue_delay_us, "
                       "--default_max_queue_size, "
                       "--default_batch_workers)"));
    }
  }
  return status;
}

}  // namespace brainserve::server
