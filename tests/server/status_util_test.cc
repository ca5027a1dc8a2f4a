// The single absl -> gRPC status mapping. INTERNAL ("engine failure") has no
// reachable trigger through the API (the engine reports INTERNAL only for a
// oneDNN failure, which valid inputs cannot provoke), so its row of the
// contract table is covered here, at the function every handler uses.
#include "server/status_util.h"

#include <string>

#include "gtest/gtest.h"

namespace brainserve::server {
namespace {

TEST(StatusUtilTest, EveryCanonicalCodeMapsToTheSameGrpcCode) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status status(static_cast<absl::StatusCode>(code), "m");
    const grpc::Status converted = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(converted.error_code()), code);
    if (code != 0) {
      EXPECT_EQ(converted.error_message(), "m");
    }
  }
}

TEST(StatusUtilTest, EngineFailureIsInternal) {
  const grpc::Status converted =
      ToGrpcStatus(absl::InternalError("oneDNN: could not execute"));
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(converted.error_message(), "oneDNN: could not execute");
}

TEST(StatusUtilTest, OutOfRangeCodeIsInternal) {
  EXPECT_EQ(ToGrpcCode(static_cast<absl::StatusCode>(99)),
            grpc::StatusCode::INTERNAL);
}

TEST(StatusUtilTest, LongMessagesAreTruncated) {
  const grpc::Status converted =
      ToGrpcStatus(absl::InvalidArgumentError(std::string(100000, 'x')));
  EXPECT_LT(converted.error_message().size(), kMaxStatusMessageBytes + 32);
  EXPECT_NE(converted.error_message().find("truncated"), std::string::npos);
}

TEST(StatusUtilTest, OkIsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace brainserve::server

namespace brainserve::server {
namespace {

TEST(HttpStatusTest, CanonicalCodesMapToGoogleHttpMapping) {
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kOk), 200);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kOutOfRange), 400);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kAborted), 409);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kCancelled), 499);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kUnimplemented), 501);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kDataLoss), 500);
  EXPECT_EQ(ToHttpStatus(absl::StatusCode::kUnknown), 500);
  EXPECT_EQ(ToHttpStatus(static_cast<absl::StatusCode>(99)), 500);
}

}  // namespace
}  // namespace brainserve::server
