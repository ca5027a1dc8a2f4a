// Route tables of the HTTP front end, and the helpers they share. Internal
// to server/http/.
#ifndef BRAINSERVE_SERVER_HTTP_ROUTES_H_
#define BRAINSERVE_SERVER_HTTP_ROUTES_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "httplib.h"
#include "server/auth/audit_log.h"
#include "server/http/http_server.h"
#include "server/rpc_recorder.h"

namespace brainserve::server::http {

// The Open Inference Protocol's REST routes under /v2.
void AddV2Routes(const HttpBackends& backends, httplib::Server* server);
// brainserve's own operations under /v1 (protobuf JSON mapping).
void AddV1Routes(const HttpBackends& backends, httplib::Server* server);

// Authorizes `request` as the call `full_method` (auth/method_roles.h) from
// its Authorization header; UNAUTHENTICATED / PERMISSION_DENIED as gRPC.
absl::Status Admit(const HttpBackends& backends,
                   const httplib::Request& request,
                   absl::string_view full_method);
// Admit() for a change: also gives `recorder` the call's audit record
// (`event` plus caller and origin), written when the call completes.
absl::Status AdmitChange(const HttpBackends& backends,
                         const httplib::Request& request,
                         absl::string_view full_method,
                         auth::AuditEvent event, RpcRecorder& recorder);

// Finds a model for a read, waiting as ModelReader::Find() does (on this
// HTTP worker thread).
absl::StatusOr<std::shared_ptr<ServedModel>> FindForRead(
    const HttpBackends& backends, absl::string_view name,
    absl::string_view name_field, uint64_t min_version,
    absl::string_view version_field);

// Answers `status` as {"error": message} with its HTTP status.
void ReplyError(const absl::Status& status, httplib::Response* response);
// Answers 200 with a JSON body.
void ReplyJson(std::string body, httplib::Response* response);

// Runs `work` on `queue` and waits for it (the gRPC handlers run the same
// work on the same queue); a refused schedule is returned as is, an
// exception becomes RESOURCE_EXHAUSTED (bad_alloc) or INTERNAL.
absl::Status RunOnQueue(TaskRunner* queue, std::function<absl::Status()> work);

}  // namespace brainserve::server::http

#endif  // BRAINSERVE_SERVER_HTTP_ROUTES_H_
