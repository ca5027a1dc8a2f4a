// What only the shared PostgreSQL store does: the database decides each
// model's next version among several writers, the change feed reports every
// commit (and a resync after a lost connection), and replicas can read the
// log after a version or learn that a snapshot replaced it.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/pg_listener.h"
#include "server/store/postgres_store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/postgres_cluster.h"

namespace brainserve::server::store {
namespace {

using ::brainserve::store_testing::BiasAdd;
using ::brainserve::store_testing::LinearParameters;
using ::brainserve::store_testing::LinearRequest;
using ::testing::HasSubstr;

class PostgresStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = brainserve::testing::PostgresCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    absl::StatusOr<std::string> url = cluster_->NewDatabase();
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }
  std::unique_ptr<PostgresStore> Open() {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(url_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static brainserve::testing::PostgresCluster* cluster_;
  std::string url_;
};

brainserve::testing::PostgresCluster* PostgresStoreTest::cluster_ = nullptr;

// Records the change feed.
class Recorder : public StoreSubscriber {
 public:
  void OnEvent(const StoreEvent& event) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }
  void OnResync() override {
    absl::MutexLock lock(&mu_);
    ++resyncs_;
  }
  void OnConnection(bool up) override {
    absl::MutexLock lock(&mu_);
    up_ = up;
  }
  // Polls `ok` (under the lock) until it holds or 20 s pass.
  bool WaitFor(
      const std::function<bool(const std::vector<StoreEvent>&, int, bool)>& ok) {
    for (int i = 0; i < 4000; ++i) {
      {
        absl::MutexLock lock(&mu_);
        if (ok(events_, resyncs_, up_)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  absl::Mutex mu_;
  std::vector<StoreEvent> events_;
  int resyncs_ = 0;
  bool up_ = false;
};

TEST_F(PostgresStoreTest, TwoWritersNeverBothGetTheNextVersion) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  const auto params = LinearParameters(1);
  absl::StatusOr<ModelId> id = a->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(id.ok()) << id.status();
  // Each writer tries versions 2..101 in turn; every version goes to
  // exactly one of them and the loser gets FAILED_PRECONDITION.
  std::atomic<int> won_a{0}, won_b{0}, conflicts{0}, other{0};
  auto writer = [&](PostgresStore* store, std::atomic<int>* won) {
    for (uint64_t v = 2; v <= 101; ++v) {
      absl::Status s = store->AppendUpdate(*id, v, BiasAdd(v).Refs());
      if (s.ok()) {
        ++*won;
      } else if (absl::IsFailedPrecondition(s)) {
        ++conflicts;
      } else {
        ++other;
      }
    }
  };
  std::thread ta(writer, a.get(), &won_a), tb(writer, b.get(), &won_b);
  ta.join();
  tb.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(won_a + won_b, 100);
  EXPECT_EQ(conflicts.load(), 100);
  absl::StatusOr<std::vector<LogEntry>> log = b->ReadLog(*id, 1);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 100u);
  for (size_t i = 0; i < log->size(); ++i) EXPECT_EQ((*log)[i].version, 2 + i);
}

TEST_F(PostgresStoreTest, NamesAreUniqueClusterWideAndFreedByDelete) {
  auto a = Open(), b = Open();
  const auto params = LinearParameters(1);
  absl::StatusOr<ModelId> first = a->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(b->CreateModel(LinearRequest("m"), 1, params.Refs()).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(b->DeleteModel(*first).ok());
  EXPECT_EQ(a->LoadModel(*first).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<ModelId> second = b->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(*second, *first);
  absl::StatusOr<std::vector<ModelHead>> heads = a->ListModels();
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_EQ((*heads)[0].id, *second);
}

TEST_F(PostgresStoreTest, ReadLogAfterASnapshotIsOutOfRange) {
  auto store = Open();
  const auto params = LinearParameters(1);
  absl::StatusOr<ModelId> id = store->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(id.ok());
  for (uint64_t v = 2; v <= 5; ++v) {
    ASSERT_TRUE(store->AppendUpdate(*id, v, BiasAdd(v).Refs()).ok());
  }
  absl::StatusOr<LogSize> rest = store->WriteSnapshot(*id, 4, params.Refs());
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->entries, 1);
  EXPECT_EQ(store->ReadLog(*id, 2).status().code(), absl::StatusCode::kOutOfRange);
  absl::StatusOr<std::vector<LogEntry>> tail = store->ReadLog(*id, 4);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].version, 5u);
  absl::StatusOr<StoredModel> model = store->LoadModel(*id);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->snapshot.version, 4u);
  EXPECT_EQ(model->log.size(), 1u);
}

TEST_F(PostgresStoreTest, TheChangeFeedReportsEveryCommitAndResyncsAfterAnOutage) {
  auto writer = Open(), reader = Open();
  Recorder recorder;
  ASSERT_TRUE(reader->Subscribe(&recorder).ok());
  ASSERT_TRUE(recorder.WaitFor([](auto&, int resyncs, bool up) { return up && resyncs == 1; }));
  const auto params = LinearParameters(1);
  absl::StatusOr<ModelId> id = writer->CreateModel(LinearRequest("m"), 1, params.Refs());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(writer->AppendUpdate(*id, 2, BiasAdd(1).Refs()).ok());
  ASSERT_TRUE(writer->DeleteModel(*id).ok());
  ASSERT_TRUE(recorder.WaitFor([&](const std::vector<StoreEvent>& events, int, bool) {
    return events.size() == 3;
  }));
  // The outage: the feed goes down, comes back by itself, asks for a resync.
  ASSERT_TRUE(cluster_->Stop().ok());
  EXPECT_TRUE(recorder.WaitFor([](auto&, int, bool up) { return !up; }));
  ASSERT_TRUE(cluster_->Restart().ok());
  EXPECT_TRUE(recorder.WaitFor([](auto&, int resyncs, bool up) { return up && resyncs == 2; }));
  reader->Unsubscribe();
}

TEST(StoreEventPayload, ParsesWhatTheStoreSends) {
  StoreEvent event;
  ASSERT_TRUE(ParseStoreEvent("u 12 34 1700000000.25", &event));
  EXPECT_EQ(event.kind, StoreEvent::Kind::kUpdated);
  EXPECT_EQ(event.id, 12);
  EXPECT_EQ(event.version, 34u);
  EXPECT_DOUBLE_EQ(event.committed_unix_seconds, 1700000000.25);
  ASSERT_TRUE(ParseStoreEvent("d 7 1.5", &event));
  EXPECT_EQ(event.kind, StoreEvent::Kind::kDeleted);
  for (const char* bad : {"", "x 1", "u 1", "u a 2", "c"}) {
    EXPECT_FALSE(ParseStoreEvent(bad, &event)) << bad;
  }
}

}  // namespace
}  // namespace brainserve::server::store
