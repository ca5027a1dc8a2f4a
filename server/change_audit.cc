#include "server/change_audit.h"

#include <string>

namespace brainserve::server {

auth::AuditEvent AuditEventFor(const v1::CreateModelRequest& request) {
  auth::AuditEvent event;
  event.operation = "CreateModel";
  event.model = request.name();
  return event;
}

auth::AuditEvent AuditEventFor(const v1::DeleteModelRequest& request) {
  auth::AuditEvent event;
  event.operation = "DeleteModel";
  event.model = request.name();
  return event;
}

auth::AuditEvent AuditEventFor(const v1::UpdateParametersRequest& request) {
  auth::AuditEvent event;
  event.operation = "UpdateParameters";
  event.model = request.model();
  if (request.has_expected_version()) {
    event.expected_version = request.expected_version();
  }
  for (const v1::ParameterUpdate& update : request.updates()) {
    std::string mode = v1::ParameterUpdate::Mode_Name(update.mode());
    if (mode.empty()) mode = std::to_string(static_cast<int>(update.mode()));
    if (event.mode.empty()) {
      event.mode = mode;
    } else if (event.mode != mode) {
      event.mode = "MIXED";
    }
    event.parameters.push_back({update.layer(), update.name(), mode});
  }
  return event;
}

void AddCaller(const auth::Caller& caller, auth::AuditEvent* event) {
  if (!caller.authenticated) return;
  event->token_id = caller.token_id;
  event->role = std::string(auth::RoleName(caller.role));
}

}  // namespace brainserve::server
