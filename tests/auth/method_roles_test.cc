#include "server/auth/method_roles.h"

#include <set>
#include <string>

#include "brainserve/v1/model_service.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace brainserve::auth {
namespace {

TEST(MethodRolesTest, EveryModelServiceMethodHasARowAndNeedsAToken) {
  const google::protobuf::ServiceDescriptor* service =
      v1::CreateModelRequest::descriptor()->file()->FindServiceByName(
          "ModelService");
  ASSERT_NE(service, nullptr);
  std::set<std::string> in_table;
  for (const MethodRule& rule : MethodRules()) {
    in_table.insert(std::string(rule.full_method));
  }
  ASSERT_GT(service->method_count(), 0);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string full =
        "/" + service->full_name() + "/" + service->method(i)->name();
    EXPECT_TRUE(in_table.count(full)) << full << " has no row in the table";
    EXPECT_FALSE(RuleFor(full).open) << full;
  }
}

TEST(MethodRolesTest, RolesAreTheIssuesContract) {
  EXPECT_EQ(RuleFor(methods::kForward).role, Role::kReader);
  EXPECT_EQ(RuleFor(methods::kGetModel).role, Role::kReader);
  EXPECT_EQ(RuleFor(methods::kListModels).role, Role::kReader);
  EXPECT_EQ(RuleFor(methods::kUpdateParameters).role, Role::kWriter);
  EXPECT_EQ(RuleFor(methods::kGetParameters).role, Role::kWriter);
  EXPECT_EQ(RuleFor(methods::kCreateModel).role, Role::kAdmin);
  EXPECT_EQ(RuleFor(methods::kDeleteModel).role, Role::kAdmin);
  for (const char* oip : {methods::kServerMetadata, methods::kModelReady,
                          methods::kModelMetadata, methods::kModelInfer}) {
    EXPECT_FALSE(RuleFor(oip).open) << oip;
    EXPECT_EQ(RuleFor(oip).role, Role::kReader) << oip;
  }
}

TEST(MethodRolesTest, HealthAndReflectionAreOpen) {
  EXPECT_TRUE(RuleFor(methods::kServerLive).open);
  EXPECT_TRUE(RuleFor(methods::kServerReady).open);
  EXPECT_TRUE(RuleFor("/grpc.health.v1.Health/Check").open);
  EXPECT_TRUE(RuleFor("/grpc.health.v1.Health/Watch").open);
  EXPECT_TRUE(
      RuleFor("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
          .open);
}

TEST(MethodRolesTest, UnknownMethodsFailClosedToAdmin) {
  MethodRule rule = RuleFor("/brainserve.v1.ModelService/NewThing");
  EXPECT_FALSE(rule.open);
  EXPECT_EQ(rule.role, Role::kAdmin);
  EXPECT_FALSE(RuleFor("").open);
}

TEST(MethodRolesTest, ShortNamesAndRoleOrder) {
  EXPECT_EQ(ShortMethodName(methods::kForward), "Forward");
  EXPECT_EQ(ShortMethodName("NoSlash"), "NoSlash");
  EXPECT_TRUE(Grants(Role::kAdmin, Role::kWriter));
  EXPECT_TRUE(Grants(Role::kWriter, Role::kWriter));
  EXPECT_FALSE(Grants(Role::kReader, Role::kWriter));
  EXPECT_EQ(ParseRole("writer"), Role::kWriter);
  EXPECT_FALSE(ParseRole("Writer").has_value());
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
}

}  // namespace
}  // namespace brainserve::auth
