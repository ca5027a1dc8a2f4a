#include "server/auth/grpc_authorizer.h"

#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "server/auth/method_roles.h"

namespace brainserve::auth {

GrpcAuthorizer::GrpcAuthorizer(const TokenAuthenticator* tokens,
                               metrics::Reporter* reporter)
    : tokens_(tokens), reporter_(reporter) {}

absl::Status GrpcAuthorizer::Authorize(const grpc::ServerContextBase& context,
                                       absl::string_view full_method,
                                       Caller* caller) const {
  if (tokens_ == nullptr) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  const absl::string_view header =
      it == metadata.end()
          ? absl::string_view()
          : absl::string_view(it->second.data(), it->second.size());
  return AuthorizeHeader(header, full_method, caller);
}

absl::Status GrpcAuthorizer::AuthorizeHeader(absl::string_view header,
                                             absl::string_view full_method,
                                             Caller* caller) const {
  if (tokens_ == nullptr) return absl::OkStatus();
  const MethodRule rule = RuleFor(full_method);
  if (rule.open) return absl::OkStatus();
  absl::Status status = tokens_->Check(header, rule.role, caller);
  if (status.ok()) return status;
  const absl::string_view method = ShortMethodName(full_method);
  metrics::AuthDenial reason = metrics::AuthDenial::kInsufficientRole;
  if (absl::IsUnauthenticated(status)) {
    reason = header.empty() ? metrics::AuthDenial::kMissingToken
                            : metrics::AuthDenial::kInvalidToken;
  }
  reporter_->RecordAuthDenied(method, reason);
  return absl::Status(status.code(),
                      absl::StrCat(method, ": ", status.message()));
}

CallOrigin OriginOf(const grpc::ServerContextBase& context) {
  CallOrigin origin;
  origin.peer = context.peer();
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> subject =
        auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME);
    if (!subject.empty()) {
      origin.tls_subject.assign(subject.front().data(), subject.front().size());
    }
  }
  return origin;
}

}  // namespace brainserve::auth
