// The ModelStore contract, run against every implementation (memory: and
// sqlite:), plus what only a durable store can show: a reopened SQLite file
// gives back every model, snapshot and log entry bitwise.
#include <memory>
#include <string>
#include <chrono>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/memory_store.h"
#include "server/store/model_store.h"
#include "server/store/sqlite_store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/postgres_cluster.h"

namespace brainserve::server::store {
namespace {

using ::brainserve::store_testing::BiasAdd;
using ::brainserve::store_testing::FreshDir;
using ::brainserve::store_testing::LinearParameters;
using ::brainserve::store_testing::LinearRequest;
using ::testing::HasSubstr;

void ExpectSameTensor(const Tensor& got, const Tensor& want) {
  EXPECT_EQ(got.shape, want.shape);
  ASSERT_EQ(got.data.size(), want.data.size());
  for (size_t i = 0; i < got.data.size(); ++i) {
    // Bitwise: the store must give back exactly the float it was given.
    EXPECT_EQ(std::memcmp(&got.data[i], &want.data[i], sizeof(float)), 0)
        << "element " << i << ": " << got.data[i] << " vs " << want.data[i];
  }
}

class ModelStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<brainserve::testing::PostgresCluster>> cluster =
        brainserve::testing::PostgresCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    std::string url = "memory:";
    if (GetParam() == "sqlite") url = "sqlite:" + FreshDir() + "/state.db";
    if (GetParam() == "postgres") {
      ASSERT_NE(cluster_, nullptr);
      absl::StatusOr<std::string> database = cluster_->NewDatabase();
      ASSERT_TRUE(database.ok()) << database.status();
      url = *database;
    }
    absl::StatusOr<std::unique_ptr<ModelStore>> store = OpenStore(url);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  std::unique_ptr<ModelStore> store_;
  static brainserve::testing::PostgresCluster* cluster_;
};

brainserve::testing::PostgresCluster* ModelStoreContract::cluster_ = nullptr;

TEST_P(ModelStoreContract, CreateTwiceIsAlreadyExists) {
  const auto params = LinearParameters(1);
  ASSERT_TRUE(store_->CreateModel(LinearRequest("m"), 1, params.Refs()).ok());
  absl::StatusOr<ModelId> again =
      store_->CreateModel(LinearRequest("m"), 1, params.Refs());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("'m'"));
}

TEST_P(ModelStoreContract, AppendChecksTheVersion) {
  const auto params = LinearParameters(1);
  absl::StatusOr<ModelId> id =
      store_->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(store_->AppendUpdate(*id, 2, BiasAdd(1).Refs()).ok());
  EXPECT_EQ(store_->AppendUpdate(*id, 2, BiasAdd(1).Refs()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->AppendUpdate(*id, 4, BiasAdd(1).Refs()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->AppendUpdate(*id, 3, BiasAdd(1).Refs()).ok());
}

TEST_P(ModelStoreContract, DeletedIdsAreNotFoundAndNeverReused) {
  const auto params = LinearParameters(1);
  absl::StatusOr<ModelId> first =
      store_->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store_->DeleteModel(*first).ok());
  EXPECT_EQ(store_->DeleteModel(*first).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->AppendUpdate(*first, 2, BiasAdd(1).Refs()).code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<ModelId> second =
      store_->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*second, *first);
  // A late update for the old model cannot land in the new one's log.
  EXPECT_EQ(store_->AppendUpdate(*first, 2, BiasAdd(1).Refs()).code(),
            absl::StatusCode::kNotFound);
}

TEST_P(ModelStoreContract, SnapshotFoldsTheLog) {
  const auto params = LinearParameters(1);
  absl::StatusOr<ModelId> id =
      store_->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(id.ok());
  for (uint64_t v = 2; v <= 6; ++v) {
    ASSERT_TRUE(store_->AppendUpdate(*id, v, BiasAdd(v).Refs()).ok());
  }
  absl::StatusOr<LogSize> rest = store_->WriteSnapshot(*id, 4, params.Refs());
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->entries, 2);  // versions 5 and 6
  EXPECT_EQ(rest->bytes, 2 * 2 * int64_t{sizeof(float)});
  // An older snapshot is a no-op; one past the latest version is refused.
  rest = store_->WriteSnapshot(*id, 3, params.Refs());
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->entries, 2);
  EXPECT_EQ(store_->WriteSnapshot(*id, 7, params.Refs()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Stores, ModelStoreContract,
                         ::testing::Values("memory", "sqlite", "postgres"));

TEST(OpenStore, RejectsUnknownSchemesNamingTheFlag) {
  for (const std::string url : {"", "postgres-typo://x", "sqlite:", "file:x"}) {
    absl::StatusOr<std::unique_ptr<ModelStore>> store = OpenStore(url);
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(store.status().message(), HasSubstr("--store")) << url;
  }
}

TEST(SqliteStore, ReopenedFileGivesBackEverythingBitwise) {
  const std::string path = FreshDir() + "/nested/dir/state.db";
  const auto params = LinearParameters(0.1f);
  std::vector<store_testing::Updates> logged;
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<ModelId> a =
        (*store)->CreateModel(LinearRequest("a"), 1, params.Refs());
    absl::StatusOr<ModelId> b =
        (*store)->CreateModel(LinearRequest("b"), 1, params.Refs());
    ASSERT_TRUE(a.ok() && b.ok());
    for (uint64_t v = 2; v <= 5; ++v) {
      logged.push_back(BiasAdd(0.37f * v, /*replace_weight=*/v % 2 == 0));
      ASSERT_TRUE((*store)->AppendUpdate(*a, v, logged.back().Refs()).ok());
    }
    ASSERT_TRUE((*store)->WriteSnapshot(*a, 3, params.Refs()).ok());
    ASSERT_TRUE((*store)->DeleteModel(*b).ok());
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<StoredModel>> models = (*store)->LoadAll();
  ASSERT_TRUE(models.ok()) << models.status();
  ASSERT_EQ(models->size(), 1u);  // b was deleted
  const StoredModel& a = (*models)[0];
  EXPECT_EQ(a.request.SerializeAsString(),
            LinearRequest("a").SerializeAsString());
  EXPECT_EQ(a.snapshot.version, 3u);
  ASSERT_EQ(a.snapshot.parameters.size(), 2u);
  EXPECT_EQ(a.snapshot.parameters[0].layer, "fc");
  EXPECT_EQ(a.snapshot.parameters[0].name, "weight");
  ExpectSameTensor(a.snapshot.parameters[0].value, params.values[0].value);
  ExpectSameTensor(a.snapshot.parameters[1].value, params.values[1].value);
  ASSERT_EQ(a.log.size(), 2u);  // versions 4 and 5 follow the snapshot
  for (size_t i = 0; i < a.log.size(); ++i) {
    EXPECT_EQ(a.log[i].version, 4 + i);
    const auto& want = logged[2 + i].updates;
    ASSERT_EQ(a.log[i].updates.size(), want.size());
    for (size_t u = 0; u < want.size(); ++u) {
      EXPECT_EQ(a.log[i].updates[u].layer, want[u].layer);
      EXPECT_EQ(a.log[i].updates[u].name, want[u].name);
      EXPECT_EQ(a.log[i].updates[u].mode, want[u].mode);
      ExpectSameTensor(a.log[i].updates[u].value, want[u].value);
    }
  }
  // Versions continue where they were.
  EXPECT_EQ((*store)->AppendUpdate(a.id, 5, BiasAdd(1).Refs()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*store)->AppendUpdate(a.id, 6, BiasAdd(1).Refs()).ok());
}

TEST(SqliteStore, ConcurrentUpdatesToManyModelsShareCommits) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(FreshDir() + "/state.db");
  ASSERT_TRUE(store.ok()) << store.status();
  const auto params = LinearParameters(1);
  constexpr int kModels = 8;
  constexpr int kUpdates = 25;
  std::vector<ModelId> ids;
  for (int m = 0; m < kModels; ++m) {
    absl::StatusOr<ModelId> id = (*store)->CreateModel(
        LinearRequest("m" + std::to_string(m)), 1, params.Refs());
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  std::vector<std::thread> writers;
  std::vector<absl::Status> results(kModels);
  for (int m = 0; m < kModels; ++m) {
    writers.emplace_back([&, m] {
      for (uint64_t v = 2; v < 2 + kUpdates; ++v) {
        absl::Status s = (*store)->AppendUpdate(ids[m], v, BiasAdd(v).Refs());
        if (!s.ok()) {
          results[m] = s;
          return;
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  absl::StatusOr<std::vector<StoredModel>> models = (*store)->LoadAll();
  ASSERT_TRUE(models.ok());
  for (const StoredModel& model : *models) {
    EXPECT_EQ(model.log.size(), static_cast<size_t>(kUpdates)) << model.request.name();
  }
  std::printf("largest commit group: %lld of %d writers\n",
              static_cast<long long>((*store)->largest_commit_group()), kModels);
}

TEST(SqliteStore, BigCommitsAreCheckpointedInTheBackground) {
  const std::string path = FreshDir() + "/state.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  // One 8 MiB parameter: far past the checkpointer's 4 MiB threshold.
  std::vector<int64_t> shape = {2048, 1024};
  std::vector<float> data(2048 * 1024, 0.25f);
  const ParameterRef big{"fc", "weight", {shape, data}};
  v1::CreateModelRequest request = LinearRequest("big");
  ASSERT_TRUE((*store)->CreateModel(request, 1, {big}).ok());
  bool checkpointed = false;
  for (int i = 0; i < 5000 && !checkpointed; ++i) {
    checkpointed = (*store)->checkpoints() >= 1;
    if (!checkpointed) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(checkpointed) << "no checkpoint within 10 s";
  // And the data is intact after the checkpoint and a reopen.
  store->reset();
  store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok());
  absl::StatusOr<std::vector<StoredModel>> models = (*store)->LoadAll();
  ASSERT_TRUE(models.ok()) << models.status();
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ((*models)[0].snapshot.parameters[0].value.data, data);
}

}  // namespace
}  // namespace brainserve::server::store
