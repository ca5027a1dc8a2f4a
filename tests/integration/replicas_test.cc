// Replicas that learn together: several brainserve-server processes on one
// throwaway PostgreSQL database. Versions are decided by the database and
// applied by every replica in order, so all replicas end bitwise equal; a
// replica that restarts or joins late catches up before it serves; losing
// PostgreSQL stops changes (UNAVAILABLE, fast) but not forwards.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/test_server.h"
#include "tests/testing/postgres_cluster.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;
using Stub = v1::ModelService::Stub;

constexpr char kModel[] = R"({"name": "shared", "seed": 4,
  "spec": {"input_shape": [6], "layers": [
    {"name": "fc", "linear": {"out_size": 8}},
    {"name": "norm", "layer_norm": {}},
    {"name": "head", "scaled_ws_linear": {"out_size": 3}}]}})";

struct Replica {
  std::unique_ptr<ServerProcess> process;
  std::unique_ptr<Stub> stub;
};

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PostgresCluster>> cluster =
        PostgresCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  Replica StartReplica(std::vector<std::string> flags = {}) {
    flags.push_back("--store=" + cluster_->url());
    flags.push_back("--engine_threads=1");
    flags.push_back("--shutdown_grace_seconds=1");
    absl::StatusOr<std::unique_ptr<ServerProcess>> process =
        ServerProcess::Start(BRAINSERVE_SERVER_BINARY, flags);
    EXPECT_TRUE(process.ok()) << process.status();
    Replica replica;
    if (!process.ok()) return replica;
    replica.process = *std::move(process);
    replica.stub = v1::ModelService::NewStub(grpc::CreateChannel(
        replica.process->address(), grpc::InsecureChannelCredentials()));
    return replica;
  }

  std::unique_ptr<PostgresCluster> cluster_;
};

v1::UpdateParametersRequest MixedUpdate(int writer, int i, uint64_t expected) {
  v1::UpdateParametersRequest request;
  request.set_model("shared");
  request.set_expected_version(expected);
  v1::ParameterUpdate* update = request.add_updates();
  if (i % 2 == 0) {
    update->set_layer("fc");
    update->set_name("bias");
    update->set_mode(v1::ParameterUpdate::REPLACE);
    *update->mutable_value() = RawTensor({8}, RandomValues(8, writer * 1000 + i));
  } else {
    update->set_layer("head");
    update->set_name("weight");
    update->set_mode(v1::ParameterUpdate::ADD);
    std::vector<float> delta = RandomValues(24, writer * 1000 + i);
    for (float& d : delta) d *= 0.01f;
    *update->mutable_value() = RawTensor({8, 3}, delta);
  }
  return request;
}

// GetParameters, waiting (min_version) until the replica has `version`.
v1::GetParametersResponse ParamsAt(Stub& stub, uint64_t version) {
  v1::GetParametersRequest request;
  request.set_model("shared");
  if (version > 0) request.set_min_version(version);
  v1::GetParametersResponse response;
  grpc::Status status = stub.GetParameters(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

void ExpectSameBits(const v1::GetParametersResponse& a,
                    const v1::GetParametersResponse& b) {
  EXPECT_EQ(a.version(), b.version());
  ASSERT_EQ(a.parameters_size(), b.parameters_size());
  for (int i = 0; i < a.parameters_size(); ++i) {
    const std::vector<float> x = TensorData(a.parameters(i).value());
    const std::vector<float> y = TensorData(b.parameters(i).value());
    ASSERT_EQ(x.size(), y.size());
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0)
        << a.parameters(i).layer() << "/" << a.parameters(i).name();
  }
}

uint64_t VersionOn(Stub& stub) {
  v1::GetModelRequest request;
  request.set_name("shared");
  v1::ModelInfo info;
  grpc::Status status = stub.GetModel(Context().get(), request, &info);
  return status.ok() ? info.version() : 0;
}

v1::ForwardResponse ForwardAt(Stub& stub, uint64_t min_version) {
  v1::ForwardRequest request;
  request.set_model("shared");
  request.set_min_version(min_version);
  *request.mutable_input() = ValuesTensor({2, 6}, RandomValues(12, 99));
  v1::ForwardResponse response;
  grpc::Status status = Forward(stub, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

TEST_F(ReplicasTest, CreateOnAUpdateOnBForwardOnCWithMinVersion) {
  Replica a = StartReplica(), b = StartReplica(), c = StartReplica();
  ASSERT_TRUE(a.stub && b.stub && c.stub);
  ASSERT_TRUE(CreateModel(*a.stub, CreateRequestFromJson(kModel)).ok());
  // The name is taken cluster-wide.
  EXPECT_EQ(CreateModel(*b.stub, CreateRequestFromJson(kModel)).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::UpdateParametersResponse updated;
  grpc::Status status = b.stub->UpdateParameters(
      Context().get(), MixedUpdate(0, 1, /*expected=*/1), &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(updated.version(), 2u);
  const v1::ForwardResponse on_c = ForwardAt(*c.stub, 2);
  EXPECT_EQ(on_c.version(), 2u);
  for (Replica* other : {&a, &b}) {
    const v1::ForwardResponse there = ForwardAt(*other->stub, 2);
    EXPECT_EQ(there.version(), 2u);
    EXPECT_EQ(TensorData(there.output()), TensorData(on_c.output()));
  }
  // A stale expected_version is checked against the cluster, not the
  // replica: C's own copy may lag, the database decides.
  status = c.stub->UpdateParameters(Context().get(), MixedUpdate(0, 2, 1),
                                    &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("2"));
  // Delete anywhere: gone everywhere.
  v1::DeleteModelRequest del;
  del.set_name("shared");
  v1::DeleteModelResponse deleted;
  ASSERT_TRUE(c.stub->DeleteModel(Context().get(), del, &deleted).ok());
  for (Replica* r : {&a, &b}) {
    EXPECT_TRUE(WaitFor([&] { return VersionOn(*r->stub) == 0; }))
        << "the deletion reaches every replica";
  }
}

TEST_F(ReplicasTest, MixedUpdatesFromTwoWritersConvergeBitwiseThroughAKillAndALateJoiner) {
  Replica replicas[3] = {StartReplica(), StartReplica(), StartReplica()};
  for (const Replica& r : replicas) ASSERT_TRUE(r.stub);
  ASSERT_TRUE(CreateModel(*replicas[0].stub, CreateRequestFromJson(kModel)).ok());

  std::mutex mu;
  std::vector<uint64_t> acked;
  std::atomic<int> conflicts{0}, other_errors{0};
  // Each writer pushes `count` successful updates to the replicas in
  // `targets`, with expected_version set, retrying each conflict after
  // re-reading the version.
  auto writer = [&](int id, int first, int count, std::vector<int> targets) {
    uint64_t expected = 1;
    for (int i = first; i < first + count; ++i) {
      for (int attempt = 0;; ++attempt) {
        ASSERT_LT(attempt, 200) << "writer " << id << " starved";
        Stub& stub = *replicas[targets[(i + attempt) % targets.size()]].stub;
        v1::UpdateParametersResponse response;
        grpc::Status status = stub.UpdateParameters(
            Context().get(), MixedUpdate(id, i, expected), &response);
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(response.version());
          expected = response.version();
          break;
        }
        if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
          ++conflicts;
        } else {
          ++other_errors;
          ADD_FAILURE() << status.error_message();
        }
        expected = std::max(expected, VersionOn(stub));
      }
    }
  };
  // Phase 1: 250 updates spread over all three replicas.
  {
    std::thread w1(writer, 1, 0, 125, std::vector<int>{0, 1, 2});
    std::thread w2(writer, 2, 0, 125, std::vector<int>{2, 1, 0});
    w1.join();
    w2.join();
  }
  // Phase 2: replica 2 is killed while 250 more go to replicas 0 and 1,
  // then restarted: it reports SERVING only once caught up.
  {
    std::thread w1(writer, 1, 125, 125, std::vector<int>{0, 1});
    std::thread w2(writer, 2, 125, 125, std::vector<int>{1, 0});
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    replicas[2].process->Signal(SIGKILL);
    replicas[2].process->Wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    replicas[2] = StartReplica();
    w1.join();
    w2.join();
  }
  ASSERT_TRUE(replicas[2].stub);
  EXPECT_EQ(other_errors.load(), 0);
  std::sort(acked.begin(), acked.end());
  ASSERT_EQ(acked.size(), 500u);
  for (size_t i = 0; i < acked.size(); ++i) {
    ASSERT_EQ(acked[i], i + 2) << "versions are exactly 2..501";
  }
  std::printf("500 updates by 2 writers over 3 replicas: %d conflicts\n",
              conflicts.load());
  // Every replica, and a fourth one started now, ends bitwise equal.
  Replica late = StartReplica();
  ASSERT_TRUE(late.stub);
  const v1::GetParametersResponse reference = ParamsAt(*replicas[0].stub, 501);
  EXPECT_EQ(reference.version(), 501u);
  ExpectSameBits(ParamsAt(*replicas[1].stub, 501), reference);
  ExpectSameBits(ParamsAt(*replicas[2].stub, 501), reference);
  // The late joiner was caught up before it reported ready: no min_version.
  ExpectSameBits(ParamsAt(*late.stub, 0), reference);
  EXPECT_GT(MetricValue(HttpGet(replicas[2].process->metrics_port(), "/metrics"),
                        "brainserve_replication_apply_lag_seconds_count")
                .value_or(0),
            0);
}

TEST_F(ReplicasTest, LosingPostgresStopsChangesNotForwardsAndRecovers) {
  Replica a = StartReplica(), b = StartReplica();
  ASSERT_TRUE(a.stub && b.stub);
  ASSERT_TRUE(CreateModel(*a.stub, CreateRequestFromJson(kModel)).ok());
  v1::UpdateParametersResponse updated;
  ASSERT_TRUE(a.stub->UpdateParameters(Context().get(), MixedUpdate(0, 0, 1),
                                       &updated).ok());
  // Both replicas have version 2 before the database goes away.
  ASSERT_EQ(ParamsAt(*b.stub, 2).version(), 2u);

  ASSERT_TRUE(cluster_->Stop().ok());
  // Forwards go on from memory.
  for (Replica* r : {&a, &b}) EXPECT_EQ(ForwardAt(*r->stub, 2).version(), 2u);
  // Changes fail fast with UNAVAILABLE and change nothing.
  const absl::Time start = absl::Now();
  grpc::Status status = b.stub->UpdateParameters(
      Context().get(), MixedUpdate(0, 1, 2), &updated);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_LT(took, absl::Seconds(5)) << "documented bound: connect_timeout 3 s";
  EXPECT_EQ(VersionOn(*b.stub), 2u);
  EXPECT_TRUE(WaitFor([&] {
    return MetricValue(HttpGet(a.process->metrics_port(), "/metrics"),
                       "brainserve_store_up") == 0;
  }));

  // PostgreSQL returns: changes work again without restarting anything,
  // and both replicas converge.
  ASSERT_TRUE(cluster_->Restart().ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return b.stub->UpdateParameters(Context().get(), MixedUpdate(0, 1, 2),
                                         &updated).ok();
      },
      absl::Seconds(30)));
  EXPECT_EQ(updated.version(), 3u);
  ExpectSameBits(ParamsAt(*a.stub, 3), ParamsAt(*b.stub, 3));
  EXPECT_TRUE(WaitFor([&] {
    return MetricValue(HttpGet(a.process->metrics_port(), "/metrics"),
                       "brainserve_store_up") == 1;
  }));
}

TEST_F(ReplicasTest, MinVersionNeverAnswersFromAnOlderVersion) {
  Replica a = StartReplica({"--max_min_version_wait_ms=300"});
  ASSERT_TRUE(a.stub);
  ASSERT_TRUE(CreateModel(*a.stub, CreateRequestFromJson(kModel)).ok());
  v1::GetModelRequest get;
  get.set_name("shared");
  get.set_min_version(7);
  v1::ModelInfo info;
  grpc::Status status = a.stub->GetModel(Context().get(), get, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("min_version"));
  // The call's own deadline, when sooner, gives DEADLINE_EXCEEDED.
  status = a.stub->GetModel(Context(absl::Milliseconds(100)).get(), get, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  v1::ForwardRequest forward;
  forward.set_model("shared");
  forward.set_min_version(7);
  *forward.mutable_input() = ValuesTensor({1, 6}, RandomValues(6, 1));
  v1::ForwardResponse out;
  EXPECT_EQ(Forward(*a.stub, forward, &out).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A waiting call (on a replica with the default 5 s cap) is answered as
  // soon as the version arrives, here from another replica.
  Replica b = StartReplica();
  ASSERT_TRUE(b.stub);
  std::thread waiter([&] {
    v1::GetParametersRequest request;
    request.set_model("shared");
    request.set_min_version(2);
    v1::GetParametersResponse response;
    grpc::Status s = b.stub->GetParameters(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.version(), 2u);
  });
  v1::UpdateParametersResponse updated;
  ASSERT_TRUE(a.stub->UpdateParameters(Context().get(), MixedUpdate(0, 0, 1),
                                       &updated).ok());
  waiter.join();
}

}  // namespace
}  // namespace brainserve::testing
