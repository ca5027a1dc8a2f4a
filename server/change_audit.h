// The request-derived part of a change's audit record (auth/audit_log.h):
// operation, model, the parameters an update touches and its mode, the
// expected version. Never a parameter value. The caller's identity comes
// from AddCaller(); versions and the outcome from the result (RpcRecorder).
// Any front end (gRPC, HTTP) that maps onto these requests reuses them.
#ifndef BRAINSERVE_SERVER_CHANGE_AUDIT_H_
#define BRAINSERVE_SERVER_CHANGE_AUDIT_H_

#include "brainserve/v1/model_service.pb.h"
#include "server/auth/audit_log.h"
#include "server/auth/token_authenticator.h"

namespace brainserve::server {

auth::AuditEvent AuditEventFor(const v1::CreateModelRequest& request);
auth::AuditEvent AuditEventFor(const v1::DeleteModelRequest& request);
auth::AuditEvent AuditEventFor(const v1::UpdateParametersRequest& request);

// Sets token_id and role when the caller presented a known token.
void AddCaller(const auth::Caller& caller, auth::AuditEvent* event);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_CHANGE_AUDIT_H_
