#include "server/metrics/prometheus_reporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "server/metrics/listen_address.h"
#include "server/metrics/metric_schema.h"
#include "server/metrics/model_series_collectable.h"

namespace brainserve::metrics {
namespace {

// Opens and closes one TCP connection to host:port. Best effort.
void PokeListener(const std::string& host, int port) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v6);
  } else {
    return;
  }
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)connect(fd, reinterpret_cast<sockaddr*>(&address), length);
  close(fd);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PrometheusReporter>> PrometheusReporter::Create(
    const PrometheusReporterOptions& options) {
  if (options.exposer_threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics exporter: exposer_threads must be >= 1, got ",
                     options.exposer_threads));
  }
  std::string civetweb_port;
  if (!options.listen_address.empty()) {
    absl::StatusOr<std::string> parsed =
        ToCivetwebListeningPort(options.listen_address);
    if (!parsed.ok()) return parsed.status();
    civetweb_port = *std::move(parsed);
  }

  auto registry = std::make_shared<prometheus::Registry>();
  ServerMetrics server;
  try {
    server.inflight = &prometheus::BuildGauge()
                    .Name(internal::kInflightRequestsName)
                    .Help("ModelService RPCs currently being handled.")
                    .Register(*registry)
                    .Add({});
    server.models = &prometheus::BuildGauge()
                         .Name(internal::kModelsName)
                         .Help("Models currently served.")
                         .Register(*registry)
                         .Add({});
    auto& commit = prometheus::BuildHistogram()
                       .Name(internal::kStoreCommitDurationName)
                       .Help("Time to commit one change (create, delete, "
                             "update, snapshot) to the model store, "
                             "including its fsync; failed commits included.")
                       .Register(*registry);
    auto& failures = prometheus::BuildCounter()
                         .Name(internal::kStoreCommitFailuresName)
                         .Help("Commits to the model store that failed, by "
                               "operation; the change was not applied.")
                         .Register(*registry);
    for (int op = 0; op < kNumStoreOperations; ++op) {
      const std::string name(
          StoreOperationName(static_cast<StoreOperation>(op)));
      server.store_commit[op] = &commit.Add(
          {{"operation", name}}, internal::DurationBucketsSeconds());
      server.store_failures[op] = &failures.Add({{"operation", name}});
    }
    server.store_snapshot =
        &prometheus::BuildHistogram()
             .Name(internal::kStoreSnapshotDurationName)
             .Help("Time to fold a model's store log into a new snapshot "
                   "(compaction), including the copy and the commit.")
             .Register(*registry)
             .Add({}, internal::DurationBucketsSeconds());
    server.store_up =
        &prometheus::BuildGauge()
             .Name(internal::kStoreUpName)
             .Help("1 while the model store is reachable (for a shared store: "
                   "its change feed is connected), 0 otherwise. Forwards are "
                   "served either way; changes need the store.")
             .Register(*registry)
             .Add({});
    server.store_up->Set(1);
    server.apply_lag =
        &prometheus::BuildHistogram()
             .Name(internal::kApplyLagName)
             .Help("Time from a version's commit in the shared store (the "
                   "store's clock) to this replica having applied it.")
             .Register(*registry)
             .Add({}, internal::DurationBucketsSeconds());
    server.auth_denied =
        &prometheus::BuildCounter()
             .Name(internal::kAuthDeniedName)
             .Help("Calls refused by authorization, by RPC and reason "
                   "(missing_token, invalid_token: UNAUTHENTICATED; "
                   "insufficient_role: PERMISSION_DENIED).")
             .Register(*registry);
    for (const std::string& method : options.auth_methods) {
      for (int reason = 0; reason < kNumAuthDenials; ++reason) {
        server.auth_denied->Add(
            {{"method", method},
             {"reason", std::string(AuthDenialName(
                            static_cast<AuthDenial>(reason)))}});
      }
    }
    prometheus::BuildGauge()
        .Name(internal::kBuildInfoName)
        .Help("Always 1; the version label carries the brainserve version.")
        .Register(*registry)
        .Add({{"version", options.version}})
        .Set(1);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("metrics: cannot build server metrics: ", e.what()));
  }
  std::unique_ptr<PrometheusReporter> reporter(new PrometheusReporter(
      std::make_shared<internal::ModelSeriesCollectable>(), std::move(registry),
      server));
  if (civetweb_port.empty()) return reporter;

  // civetweb reports bind failures by throwing from the Exposer constructor.
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(
        civetweb_port, static_cast<size_t>(options.exposer_threads));
    const std::vector<int> ports = exposer->GetListeningPorts();
    if (ports.empty() || ports.front() < 0) {
      return absl::UnavailableError(
          absl::StrCat("metrics_listen \"", options.listen_address,
                       "\": exporter started without a listening port"));
    }
    // Auth first: nothing is exposed before it is in force.
    if (options.basic_auth) {
      exposer->RegisterAuth(options.basic_auth, "brainserve metrics");
    }
    exposer->RegisterCollectable(reporter->model_series_);
    exposer->RegisterCollectable(reporter->registry_);
    reporter->port_ = ports.front();
    reporter->local_host_ = LocalHostFor(options.listen_address);
    reporter->exposer_ = std::move(exposer);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen \"", options.listen_address,
                     "\": cannot listen: ", e.what()));
  }
  return reporter;
}

PrometheusReporter::PrometheusReporter(
    std::shared_ptr<internal::ModelSeriesCollectable> model_series,
    std::shared_ptr<prometheus::Registry> registry, ServerMetrics server)
    : model_series_(std::move(model_series)),
      registry_(std::move(registry)),
      server_(server) {}

PrometheusReporter::~PrometheusReporter() {
  if (exposer_ == nullptr) return;
  // Stop serving scrapes before the collectables go. civetweb's accept loop
  // polls with a 2 s quantum and only notices the stop flag when the poll
  // returns, so stopping after any scrape would block for up to 2 s. Poking
  // the listener with empty connections wakes the poll at once.
  absl::Notification stopped;
  std::thread waker([this, &stopped] {
    do {
      PokeListener(local_host_, port_);
    } while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(10)));
  });
  exposer_.reset();
  stopped.Notify();
  waker.join();
}

std::shared_ptr<ModelReporter> PrometheusReporter::AddModel(
    const std::string& model) {
  return model_series_->AddModel(model);
}

void PrometheusReporter::RemoveModel(const std::string& model) {
  model_series_->RemoveModel(model);
}

void PrometheusReporter::RecordRequest(Method method, absl::StatusCode code,
                                       double seconds) {
  model_series_->unattributed().Record(method, code, seconds);
}

void PrometheusReporter::IncInflight() { server_.inflight->Increment(); }

void PrometheusReporter::DecInflight() { server_.inflight->Decrement(); }

void PrometheusReporter::SetModelCount(int64_t models) {
  server_.models->Set(static_cast<double>(models));
}

void PrometheusReporter::RecordStoreCommit(StoreOperation op, bool ok,
                                           double seconds) {
  const int index = static_cast<int>(op);
  if (index < 0 || index >= kNumStoreOperations) return;
  if (!ok) server_.store_failures[index]->Increment();
  if (internal::SanitizeSeconds(&seconds)) {
    server_.store_commit[index]->Observe(seconds);
  }
}

void PrometheusReporter::SetStoreUp(bool up) {
  server_.store_up->Set(up ? 1 : 0);
}

void PrometheusReporter::RecordApplyLag(double seconds) {
  if (internal::SanitizeSeconds(&seconds)) server_.apply_lag->Observe(seconds);
}

void PrometheusReporter::RecordStoreSnapshot(double seconds) {
  if (internal::SanitizeSeconds(&seconds)) {
    server_.store_snapshot->Observe(seconds);
  }
}

void PrometheusReporter::RecordAuthDenied(absl::string_view method,
                                          AuthDenial reason) {
  // Family::Add returns the existing series (it locks the family): fine for
  // refused calls, which are off the serving path.
  server_.auth_denied
      ->Add({{"method", std::string(method)},
             {"reason", std::string(AuthDenialName(reason))}})
      .Increment();
}

std::string PrometheusReporter::Scrape() const {
  std::vector<prometheus::MetricFamily> families = model_series_->Collect();
  for (prometheus::MetricFamily& family : registry_->Collect()) {
    families.push_back(std::move(family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace brainserve::metrics
