#include "server/store/log_fold.h"

#include <cstring>

#include "gtest/gtest.h"

namespace brainserve::server::store {
namespace {

std::vector<StoredParameter> Snapshot() {
  return {{"fc", "weight", {{2, 2}, {1.0f, 2.0f, 3.0f, 4.0f}}},
          {"fc", "bias", {{2}, {0.1f, 0.2f}}}};
}

TEST(LogFold, AddsInOrderInFloat32AndReplaces) {
  std::vector<StoredParameter> params = Snapshot();
  std::vector<LogEntry> log = {
      {2, {{"fc", "bias", UpdateMode::kAdd, {{2}, {0.7f, 1e-8f}}}}},
      {3, {{"fc", "weight", UpdateMode::kReplace, {{2, 2}, {5, 6, 7, 8}}},
           {"fc", "bias", UpdateMode::kAdd, {{2}, {0.3f, 3.3f}}}}}};
  ASSERT_TRUE(FoldLog(params, log).ok());
  // Exactly the float32 additions the engine does, in the same order.
  const float b0 = (0.1f + 0.7f) + 0.3f;
  const float b1 = (0.2f + 1e-8f) + 3.3f;
  EXPECT_EQ(std::memcmp(&params[1].value.data[0], &b0, 4), 0);
  EXPECT_EQ(std::memcmp(&params[1].value.data[1], &b1, 4), 0);
  EXPECT_EQ(params[0].value.data, (std::vector<float>{5, 6, 7, 8}));
}

TEST(LogFold, MismatchesAreDataLossNamingTheEntry) {
  std::vector<StoredParameter> params = Snapshot();
  absl::Status unknown =
      FoldLog(params, {{4, {{"fc", "gain", UpdateMode::kAdd, {{2}, {1, 1}}}}}});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(unknown.message().find("version 4, fc/gain"), std::string::npos);
  EXPECT_EQ(FoldLog(params, {{5, {{"fc", "bias", UpdateMode::kAdd, {{3}, {1, 1, 1}}}}}})
                .code(),
            absl::StatusCode::kDataLoss);
  // Two adds of 3e38 overflow float32.
  EXPECT_EQ(FoldLog(params, {{6, {{"fc", "bias", UpdateMode::kAdd, {{2}, {3e38f, 0}}}}},
                             {7, {{"fc", "bias", UpdateMode::kAdd, {{2}, {3e38f, 0}}}}}})
                .code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace brainserve::server::store
