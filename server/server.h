// The brainserve server: owns the gRPC server (ModelService, the Open
// Inference Protocol's GRPCInferenceService, grpc.health.v1 and reflection),
// the HTTP/REST front end, the model registry and manager, the executors' compute
// budget, the admin and retirement work queues, and the metrics reporter.
//
// Lifecycle: Create() validates options -> Start() opens the model store,
// restores every stored model (versions and parameters as they were),
// creates the models of the startup file that the store does not have yet,
// and starts serving gRPC and HTTP (health SERVING for "" and
// "brainserve.v1.ModelService", protocol readiness true) -> Shutdown():
//   1. health goes NOT_SERVING and the protocol's ServerReady false
//      (EnterDraining());
//   2. gRPC and HTTP stop accepting calls; in-flight calls finish, and
//      queued forwards keep running, for up to shutdown_grace_seconds;
//   3. if the grace period ends first, queued forwards are answered
//      UNAVAILABLE and gRPC cancels what is left (HTTP requests waiting
//      on them are answered 503);
//   4. executors, work queues and the exporter are stopped and joined.
// No call is left unanswered. The destructor calls Shutdown().
//
// Security (security.h): the gRPC listener uses TLS / mutual TLS when
// configured, every ModelService call is authorized against the token file,
// changes are audited, and an optional plaintext health-only listener
// (health_listen_address) serves probes, its statuses kept in step with the
// main listener's. ReloadCredentials() re-reads the token file and metrics
// credentials at once (SIGHUP); they are also polled.
//
// Connections: keepalive pings, max connection idle time and age, and a
// handshake timeout reap idle, half-open and silent connections. A listener
// watchdog (listener_watchdog.h) probes the gRPC listener over fresh
// connections and, if it has stopped accepting (gRPC's listener never
// recovers from EMFILE), rebuilds it on the same port: the old grpc::Server
// is shut down (its calls get one second) and a new one serves the same
// ModelManager, so every model and version is kept. A few descriptors are
// held in reserve for that moment.
//
// Thread safety: Start() once; Shutdown() and EnterDraining() from any thread
// (never from a gRPC or batch thread), idempotent. Accessors are thread-safe.
#ifndef BRAINSERVE_SERVER_SERVER_H_
#define BRAINSERVE_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server.h"
#include "server/compute_budget.h"
#include "server/http/http_server.h"
#include "server/inference_protocol/inference_protocol.h"
#include "server/inference_protocol/inference_service.h"
#include "server/metrics/prometheus_reporter.h"
#include "server/metrics/reporter.h"
#include "server/model_manager.h"
#include "server/model_reader.h"
#include "server/model_registry.h"
#include "server/model_service_impl.h"
#include "server/deadline_timer.h"
#include "server/fd_limits.h"
#include "server/listener_watchdog.h"
#include "server/replicator.h"
#include "server/security.h"
#include "server/server_options.h"
#include "server/store/model_store.h"
#include "server/work_queue.h"

namespace brainserve::server {

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      const ServerOptions& options);
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the metrics exporter, creates the models of options.models_file
  // and starts serving. Errors name the flag or file at fault; after an
  // error the Server holds nothing running.
  absl::Status Start();

  // Health -> NOT_SERVING; calls are still accepted. Part of Shutdown();
  // public so load balancers (and tests) can observe the draining state.
  void EnterDraining();

  // See the file comment. Idempotent.
  void Shutdown();

  // Re-reads the token file and the metrics credentials now (SIGHUP).
  void ReloadCredentials();

  // Bound ports (valid after Start()); metrics_port() and http_port() are 0
  // when disabled.
  int grpc_port() const { return grpc_port_; }
  // The health-only listener's port; 0 when there is none.
  int health_port() const { return health_port_; }
  int metrics_port() const;
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  std::string http_address() const;
  // "host:port" with the bound port, e.g. "0.0.0.0:50051".
  std::string grpc_address() const;
  std::string metrics_address() const;

  // The Prometheus text exposition; "" when metrics are disabled.
  std::string ScrapeMetrics() const;

  const ServerOptions& options() const { return options_; }

 private:
  explicit Server(const ServerOptions& options);

  absl::Status StartMetrics();
  // Fills restored_ with the names of the models the store had.
  absl::Status RestoreModels();
  absl::Status LoadStartupModels();
  // Shared stores: subscribes to the change feed and waits until caught up.
  absl::Status StartReplication();
  absl::Status StartGrpc();
  // A gRPC server for service_ (ModelService), inference_service_ (the
  // Open Inference Protocol), health and reflection on `address`; null if
  // it cannot listen. Sets `*port`.
  std::unique_ptr<grpc::Server> BuildGrpcServer(const std::string& address,
                                                int* port);
  // Creates service_ and inference_service_ (one pair per listener).
  void NewServices();
  void StartListenerWatchdog();
  // The watchdog's rebuild: old listener down, a new one on grpc_port_.
  absl::Status RebuildListener();
  absl::Status StartHealthListener();
  // Sets the health of "" and brainserve.v1.ModelService on every listener.
  void SetServing(bool serving);
  absl::Status StartHttp();
  void StopComponents(bool drain);

  const ServerOptions options_;
  // Declared before reporter_: the exporter's threads use its basic-auth
  // check until reporter_ is gone.
  std::unique_ptr<ServerSecurity> security_;
  // Set when metrics are enabled; owned by reporter_.
  metrics::PrometheusReporter* prometheus_ = nullptr;
  std::unique_ptr<metrics::Reporter> reporter_;
  std::unique_ptr<ComputeBudget> budget_;
  std::unique_ptr<store::ModelStore> store_;
  std::unique_ptr<DeadlineTimer> timer_;
  std::unique_ptr<WorkQueue> retirer_;
  std::unique_ptr<WorkQueue> maintenance_;
  std::unique_ptr<WorkQueue> admin_queue_;
  std::unique_ptr<WorkQueue> update_queue_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<ModelReader> reader_;
  std::unique_ptr<ModelServiceImpl> service_;
  // Services of rebuilt listeners' predecessors, kept until destruction.
  std::vector<std::unique_ptr<ModelServiceImpl>> retired_services_;
  std::vector<std::unique_ptr<inference_protocol::InferenceService>>
      retired_inference_services_;
  std::unique_ptr<DescriptorReserve> fd_reserve_;
  std::unique_ptr<ListenerWatchdog> watchdog_;
  // Serializes replacing grpc_server_ (the watchdog) with reading it for
  // health changes. Shutdown() stops the watchdog before it touches
  // grpc_server_.
  absl::Mutex listener_mu_;
  bool listener_closed_ ABSL_GUARDED_BY(listener_mu_) = false;
  // Shared stores only: applies what other replicas commit.
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<inference_protocol::InferenceProtocol> protocol_;
  std::unique_ptr<inference_protocol::InferenceService> inference_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<http::HttpServer> http_;
  int grpc_port_ = 0;
  // The plaintext health-only listener (options_.health_listen_address).
  std::unique_ptr<grpc::Server> health_server_;
  int health_port_ = 0;
  // Models restored from the store at Start() (the models file skips them).
  absl::flat_hash_set<std::string> restored_;

  absl::Mutex mu_;  // serializes Shutdown()
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// "host:port" of `listen_address` with its port replaced by `port`.
std::string WithPort(const std::string& listen_address, int port);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_SERVER_H_
