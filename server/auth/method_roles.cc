#include "server/auth/method_roles.h"

#include "absl/container/flat_hash_map.h"

namespace brainserve::auth {
namespace {

constexpr MethodRule kRules[] = {
    // brainserve.v1.ModelService.
    {methods::kForward, false, Role::kReader},
    {methods::kGetModel, false, Role::kReader},
    {methods::kListModels, false, Role::kReader},
    {methods::kUpdateParameters, false, Role::kWriter},
    // Reads every weight out: as sensitive as changing them.
    {methods::kGetParameters, false, Role::kWriter},
    {methods::kCreateModel, false, Role::kAdmin},
    {methods::kDeleteModel, false, Role::kAdmin},
    // inference.GRPCInferenceService: reads. Liveness and readiness are
    // open like grpc.health.v1 (probes, GET /v2/health/*, carry no token).
    {methods::kServerLive, true, Role::kReader},
    {methods::kServerReady, true, Role::kReader},
    {methods::kServerMetadata, false, Role::kReader},
    {methods::kModelReady, false, Role::kReader},
    {methods::kModelMetadata, false, Role::kReader},
    {methods::kModelInfer, false, Role::kReader},
    // Served by gRPC itself; open.
    {"/grpc.health.v1.Health/Check", true, Role::kReader},
    {"/grpc.health.v1.Health/Watch", true, Role::kReader},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", true,
     Role::kReader},
};

const absl::flat_hash_map<absl::string_view, MethodRule>& RuleMap() {
  static const auto* const kMap = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, MethodRule>();
    for (const MethodRule& rule : kRules) map->emplace(rule.full_method, rule);
    return map;
  }();
  return *kMap;
}

}  // namespace

absl::Span<const MethodRule> MethodRules() { return kRules; }

MethodRule RuleFor(absl::string_view full_method) {
  const auto& map = RuleMap();
  auto it = map.find(full_method);
  if (it != map.end()) return it->second;
  return MethodRule{full_method, false, Role::kAdmin};
}

absl::string_view ShortMethodName(absl::string_view full_method) {
  const size_t slash = full_method.rfind('/');
  return slash == absl::string_view::npos ? full_method
                                          : full_method.substr(slash + 1);
}

}  // namespace brainserve::auth
