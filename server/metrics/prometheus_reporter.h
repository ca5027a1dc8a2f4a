// The Prometheus implementation of Reporter: an HTTP /metrics endpoint
// (civetweb, via prometheus-cpp's Exposer) plus Scrape() for tests.
//
// This header deliberately includes no prometheus-cpp header (only forward
// declarations), so linking brainserve_metrics never leaks prometheus-cpp
// into other targets.
#ifndef BRAINSERVE_SERVER_METRICS_PROMETHEUS_REPORTER_H_
#define BRAINSERVE_SERVER_METRICS_PROMETHEUS_REPORTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/metrics/reporter.h"

namespace prometheus {
class Counter;
class Exposer;
template <typename T>
class Family;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace brainserve::metrics {
namespace internal {
class ModelSeriesCollectable;
}  // namespace internal

struct PrometheusReporterOptions {
  // Where GET /metrics is served: IPV4:PORT, localhost:PORT, :PORT or
  // [IPV6]:PORT; port 0 picks a free port (see port()). "" = no HTTP
  // exposer; Scrape() still works.
  std::string listen_address = "0.0.0.0:9464";
  // Value of the `version` label of brainserve_build_info.
  std::string version = "0.1.0";
  // civetweb worker threads serving scrapes; must be >= 1.
  int exposer_threads = 2;
  // When set, GET /metrics requires HTTP basic auth and this decides
  // (user, password) -> allowed; other requests get 401. Called on civetweb's
  // threads, concurrently.
  std::function<bool(const std::string& user, const std::string& password)>
      basic_auth;
  // Short RPC names whose brainserve_auth_denied_total series are exported
  // at 0 from the start (one per reason); others appear on first use.
  std::vector<std::string> auth_methods;
};

// Exports the metric families listed in server/metrics/README.md.
//
// Lifecycle of per-model series: AddModel creates them (or returns the live
// handle for that name); RemoveModel removes them from the exposition at once.
// Handles own their metric storage, so a handle kept by an in-flight request
// after RemoveModel, or even after this reporter is destroyed, records into
// detached storage and never touches freed memory. Re-adding a removed name
// starts fresh series.
//
// Thread safety: all methods may be called concurrently, including while the
// HTTP exposer is serving a scrape. Destruction stops the exposer first and
// returns within milliseconds, even right after a scrape.
class PrometheusReporter final : public Reporter {
 public:
  // Validates `options` and starts the exposer. Errors: INVALID_ARGUMENT for
  // a malformed listen address or exposer_threads < 1, UNAVAILABLE when the
  // address cannot be bound (e.g. port in use); both name metrics_listen.
  static absl::StatusOr<std::unique_ptr<PrometheusReporter>> Create(
      const PrometheusReporterOptions& options);

  PrometheusReporter(const PrometheusReporter&) = delete;
  PrometheusReporter& operator=(const PrometheusReporter&) = delete;
  ~PrometheusReporter() override;

  std::shared_ptr<ModelReporter> AddModel(const std::string& model) override;
  void RemoveModel(const std::string& model) override;
  void RecordRequest(Method method, absl::StatusCode code,
                     double seconds) override;
  void IncInflight() override;
  void DecInflight() override;
  void SetModelCount(int64_t models) override;
  void RecordStoreCommit(StoreOperation op, bool ok, double seconds) override;
  void RecordStoreSnapshot(double seconds) override;
  void SetStoreUp(bool up) override;
  void RecordApplyLag(double seconds) override;
  void RecordAuthDenied(absl::string_view method, AuthDenial reason) override;

  // The bound HTTP port (the real one when listening on port 0); 0 if no
  // exposer runs.
  int port() const { return port_; }

  // The text exposition of the brainserve_* families: what GET /metrics
  // returns, minus the exposer_* self-metrics prometheus-cpp's Exposer adds.
  std::string Scrape() const;

 private:
  // Server-wide metric objects, owned by registry_.
  struct ServerMetrics {
    prometheus::Gauge* inflight = nullptr;
    prometheus::Gauge* models = nullptr;
    prometheus::Histogram* store_commit[kNumStoreOperations] = {};
    prometheus::Counter* store_failures[kNumStoreOperations] = {};
    prometheus::Histogram* store_snapshot = nullptr;
    prometheus::Gauge* store_up = nullptr;
    prometheus::Histogram* apply_lag = nullptr;
    prometheus::Family<prometheus::Counter>* auth_denied = nullptr;
  };

  PrometheusReporter(
      std::shared_ptr<internal::ModelSeriesCollectable> model_series,
      std::shared_ptr<prometheus::Registry> registry, ServerMetrics server);

  // Series with a `model` label (per-model and model="").
  const std::shared_ptr<internal::ModelSeriesCollectable> model_series_;
  // Server-wide metrics: inflight requests, model count, build info, store.
  const std::shared_ptr<prometheus::Registry> registry_;
  const ServerMetrics server_;
  // Declared last so it is destroyed first; holds weak_ptrs to the above.
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  // IP literal a local client uses to reach the exposer (see destructor).
  std::string local_host_;
};

}  // namespace brainserve::metrics

#endif  // BRAINSERVE_SERVER_METRICS_PROMETHEUS_REPORTER_H_
