// The narrow metrics interface the rest of brainserve codes against.
//
// Nothing outside server/metrics/ includes prometheus-cpp: the server, the
// batching adapter and tests see only these two interfaces. A Reporter may be
// the null reporter (metrics disabled), so callers never branch on "metrics
// on/off".
//
// Hot-path contract: every ModelReporter method is an array index plus atomic
// operations on pre-resolved metric objects. No string formatting, no map
// lookup keyed by strings, no lock shared across models per call.
#ifndef BRAINSERVE_SERVER_METRICS_REPORTER_H_
#define BRAINSERVE_SERVER_METRICS_REPORTER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace brainserve::metrics {

// The RPC methods of brainserve.v1.ModelService, plus the Open Inference
// Protocol's ModelInfer (gRPC or HTTP), used as the `method` label.
enum class Method {
  kCreateModel,
  kGetModel,
  kListModels,
  kDeleteModel,
  kForward,
  kUpdateParameters,
  kGetParameters,
  kModelInfer,
};
inline constexpr int kNumMethods = 8;

// What the server commits to its model store (the `operation` label).
enum class StoreOperation {
  kCreateModel,
  kDeleteModel,
  kAppendUpdate,
  kWriteSnapshot,
};
inline constexpr int kNumStoreOperations = 4;

// Why a call was refused by authorization (the `reason` label of
// brainserve_auth_denied_total).
enum class AuthDenial {
  kMissingToken,      // no authorization metadata (UNAUTHENTICATED)
  kInvalidToken,      // malformed or unknown token (UNAUTHENTICATED)
  kInsufficientRole,  // known token without the role (PERMISSION_DENIED)
};
inline constexpr int kNumAuthDenials = 3;

// "missing_token", "invalid_token", "insufficient_role".
absl::string_view AuthDenialName(AuthDenial reason);

// "create_model", "delete_model", "append_update", "write_snapshot".
absl::string_view StoreOperationName(StoreOperation op);

// The RPC name without the "k" prefix, e.g. "CreateModel"; "Unknown" for a
// value outside the enum.
absl::string_view MethodName(Method m);

// Per-model handle whose metric objects are resolved once, at AddModel time.
//
// Thread safety: all methods may be called concurrently from any thread.
// Lifetime: the handle owns its metric storage (shared ownership), so it is
// always safe to call, even after Reporter::RemoveModel or after the Reporter
// itself is gone; after RemoveModel its records go to storage that is no
// longer exported.
class ModelReporter {
 public:
  virtual ~ModelReporter() = default;
  // One finished RPC on this model: increments
  // brainserve_requests_total{model,method,code} and observes `seconds` in
  // brainserve_request_duration_seconds{model,method}.
  virtual void RecordRequest(Method method, absl::StatusCode code,
                             double seconds) = 0;
  // Time one request spent queued before its batch started computing.
  virtual void RecordQueueSeconds(double seconds) = 0;
  // Wall time of one executed batch (engine forward pass).
  virtual void RecordComputeSeconds(double seconds) = 0;
  // Rows in one executed batch (brainserve_batch_size histogram).
  virtual void RecordBatchRows(int64_t rows) = 0;
  // Current number of queued requests (brainserve_queue_depth gauge).
  virtual void SetQueueDepth(int64_t depth) = 0;
  // The queue's bound, max_queue_size in requests (brainserve_queue_capacity
  // gauge, exported from the first call on, so alerts can use depth/capacity).
  // Not pure: implementations that do not export it may ignore it.
  virtual void SetQueueCapacity(int64_t capacity) {}
  // Current parameter version (brainserve_model_version gauge).
  virtual void SetVersion(uint64_t version) = 0;
  // One UpdateParameters attempt: brainserve_parameter_updates_total{code}
  // and brainserve_parameter_update_duration_seconds.
  virtual void RecordParameterUpdate(absl::StatusCode code, double seconds) = 0;
  // Store log entries not yet folded into a snapshot
  // (brainserve_store_log_entries gauge).
  virtual void SetStoreLogEntries(int64_t entries) {}
  // Time one UpdateParameters waited in the model's update queue before it
  // started (brainserve_update_queue_duration_seconds).
  virtual void RecordUpdateQueueSeconds(double seconds) {}
  // UpdateParameters queued or running for the model
  // (brainserve_pending_updates gauge).
  virtual void SetPendingUpdates(int64_t pending) {}
};

// Server-wide reporter. Thread-safe: all methods may be called concurrently.
class Reporter {
 public:
  virtual ~Reporter() = default;
  // Creates the model's series and returns a handle to them. If `model` is
  // already live, returns the existing handle (no new series). The returned
  // handle stays valid (safe to call) for as long as any holder keeps it,
  // even after RemoveModel; the model's series disappear from the exposition
  // at RemoveModel, and records through a removed handle go to detached
  // storage that is never exported. Re-adding the same name after removal
  // starts fresh series at zero; the old handle never touches them.
  virtual std::shared_ptr<ModelReporter> AddModel(const std::string& model) = 0;
  // Removes the model's series from the exposition. No-op for unknown names.
  virtual void RemoveModel(const std::string& model) = 0;
  // Requests that cannot be attributed to an existing model (ListModels,
  // unknown model name, invalid name): recorded with model="" so clients
  // cannot explode label cardinality.
  virtual void RecordRequest(Method method, absl::StatusCode code,
                             double seconds) = 0;
  // brainserve_inflight_requests: RPCs currently being handled.
  virtual void IncInflight() = 0;
  virtual void DecInflight() = 0;
  // brainserve_models: number of models currently served.
  virtual void SetModelCount(int64_t models) = 0;
  // One commit to the model store, successful or not:
  // brainserve_store_commit_duration_seconds{operation} and, when !ok,
  // brainserve_store_commit_failures_total{operation} (exported at 0 for
  // every operation from the start).
  virtual void RecordStoreCommit(StoreOperation op, bool ok, double seconds) {}
  // One snapshot written (compaction):
  // brainserve_store_snapshot_duration_seconds.
  virtual void RecordStoreSnapshot(double seconds) {}
  // Whether the model store is reachable (brainserve_store_up, 1 or 0).
  virtual void SetStoreUp(bool up) {}
  // Time from another replica's commit of a version to this replica having
  // applied it (brainserve_replication_apply_lag_seconds).
  virtual void RecordApplyLag(double seconds) {}
  // One call refused by authorization:
  // brainserve_auth_denied_total{method,reason}. `method` is the RPC's short
  // name ("Forward"), from the server's own method table, never from the
  // client.
  virtual void RecordAuthDenied(absl::string_view method, AuthDenial reason) {}
};

// A Reporter that does nothing (metrics off): for tests and
// --metrics_listen="". Its AddModel returns a no-op ModelReporter.
std::unique_ptr<Reporter> NewNullReporter();

}  // namespace brainserve::metrics

#endif  // BRAINSERVE_SERVER_METRICS_REPORTER_H_
