// The HTTP/REST front end: the Open Inference Protocol's REST routes
// (v2_routes.cc) and brainserve's own operations as protobuf-JSON
// (v1_routes.cc), on cpp-httplib's thread-pool server.
//
// It calls the same core as gRPC (InferenceProtocol, registry, manager, work
// queues, executors), never gRPC over loopback. An inference request waits
// on its worker thread while the model's batch scheduler runs it; admin
// operations run on the same admin/update WorkQueues as their gRPC forms.
// Every route authorizes its call with the same token table and role rules
// as gRPC (the Authorization: Bearer header; 401/403), and speaks HTTPS
// (mutual TLS too) when the gRPC listener does. Every error body is
// {"error": "..."} with the HTTP status of
// ToHttpStatus() (status_util.h); the library's own errors (unknown route
// 404, body too large 413, malformed request 400) get the same body.
//
// Lifecycle (owned by Server): Start() binds and serves on its own thread;
// StopAccepting() closes the listener (requests in flight finish, a
// keep-alive connection ends after its current request or its idle timeout);
// Wait() joins. Thread-safe; borrowed pointers must outlive the object.
#ifndef BRAINSERVE_SERVER_HTTP_HTTP_SERVER_H_
#define BRAINSERVE_SERVER_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "server/http/http_options.h"
#include "server/inference_protocol/inference_protocol.h"
#include "server/auth/audit_log.h"
#include "server/auth/grpc_authorizer.h"
#include "server/metrics/reporter.h"
#include "server/model_manager.h"
#include "server/model_reader.h"
#include "server/model_registry.h"
#include "server/work_queue.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace brainserve::server::http {

// What the routes call. Not owned.
struct HttpBackends {
  const inference_protocol::InferenceProtocol* protocol = nullptr;
  ModelRegistry* registry = nullptr;
  ModelManager* manager = nullptr;
  // Reads (the read-your-writes rule).
  const ModelReader* reader = nullptr;
  // Every route authorizes its call as the gRPC call it maps onto
  // (auth/method_roles.h), from the Authorization header. Not null.
  const auth::GrpcAuthorizer* authorizer = nullptr;
  // Changes are audited like their gRPC forms; null writes no audit lines.
  auth::AuditLog* audit_log = nullptr;
  WorkQueue* admin_queue = nullptr;
  WorkQueue* update_queue = nullptr;
  metrics::Reporter* reporter = nullptr;
};

class HttpServer {
 public:
  // Binds options.listen_address and starts serving. UNAVAILABLE naming
  // --http_listen if it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, const HttpBackends& backends);
  ~HttpServer();  // StopAccepting() and Wait()

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  bool tls() const { return !options_.tls_cert_file.empty(); }

  void StopAccepting();
  // Blocks until the listener thread and every worker have finished.
  void Wait();

 private:
  HttpServer(const HttpServerOptions& options, const HttpBackends& backends,
             std::unique_ptr<httplib::Server> server);

  const HttpServerOptions options_;
  const HttpBackends backends_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::atomic<bool> listener_done_{false};
  int port_ = 0;
  // The bound socket (set by the library's socket-options hook during
  // Start()); owned by the library.
  int listen_socket_ = -1;
};

}  // namespace brainserve::server::http

#endif  // BRAINSERVE_SERVER_HTTP_HTTP_SERVER_H_
