// Durable model state, end to end with the brainserve-server binary on a
// real SQLite store: nothing acknowledged is lost across SIGTERM or SIGKILL,
// deleted models stay deleted, --models_file never resets learned
// parameters, and a moved REPLACE buffer is what the store keeps. A store
// that cannot write: store_failure_test.cc.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/durability_util.h"
#include "tests/integration/test_server.h"
#include "tests/testing/server_process.h"

namespace brainserve::testing {
namespace {

using ::testing::HasSubstr;
using Stub = v1::ModelService::Stub;
// One parameter as GetParameters returns it; Params keep its order.
struct Param {
  std::string first;  // "layer/name"
  std::vector<float> second;
  std::vector<int64_t> shape;
};
using Params = std::vector<Param>;

// Every parameter of `model` and its version.
std::pair<Params, uint64_t> ReadAll(Stub& stub, const std::string& model) {
  v1::GetParametersRequest request;
  request.set_model(model);
  v1::GetParametersResponse response;
  grpc::Status status = stub.GetParameters(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  Params params;
  for (const v1::Parameter& p : response.parameters()) {
    params.push_back({p.layer() + "/" + p.name(), TensorData(p.value()),
                      {p.value().shape().begin(), p.value().shape().end()}});
  }
  return {params, response.version()};
}

void ExpectBitwiseEqual(const Params& got, const Params& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].first, want[i].first);
    ASSERT_EQ(got[i].second.size(), want[i].second.size()) << got[i].first;
    EXPECT_EQ(std::memcmp(got[i].second.data(), want[i].second.data(),
                          got[i].second.size() * sizeof(float)),
              0)
        << got[i].first << " differs";
  }
}

// One ADD of `deltas` (one vector per parameter, in `shape_of`'s order).
v1::UpdateParametersRequest AddRequest(const std::string& model,
                                       const Params& deltas,
                                       uint64_t expected_version) {
  v1::UpdateParametersRequest request;
  request.set_model(model);
  request.set_expected_version(expected_version);
  for (const Param& delta : deltas) {
    v1::ParameterUpdate* update = request.add_updates();
    const size_t slash = delta.first.find('/');
    update->set_layer(delta.first.substr(0, slash));
    update->set_name(delta.first.substr(slash + 1));
    update->set_mode(v1::ParameterUpdate::ADD);
    *update->mutable_value() = RawTensor(delta.shape, delta.second);
  }
  return request;
}

// Deltas shaped like `params`, pseudo-random from `seed`.
Params RandomDeltas(const Params& params, uint32_t seed) {
  Params deltas;
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<float> values = RandomValues(
        static_cast<int64_t>(params[i].second.size()), seed * 31 + i);
    for (float& v : values) v *= 0.01f;
    deltas.push_back({params[i].first, std::move(values), params[i].shape});
  }
  return deltas;
}

// `base` plus each of `deltas` in order, as float32 additions: what the
// server computes for a sequence of ADD updates.
void AddInPlace(Params& base, const Params& delta) {
  for (size_t i = 0; i < base.size(); ++i) {
    for (size_t e = 0; e < base[i].second.size(); ++e) {
      base[i].second[e] = base[i].second[e] + delta[i].second[e];
    }
  }
}

TEST(DurabilityTest, RestartKeepsModelsVersionsAndBitsAfter200Adds) {
  const std::string dir = FreshDir("restart");
  Params before;
  v1::ListModelsResponse list_before;
  {
    // A small snapshot interval: the restart reads a snapshot plus a log
    // tail, not only one or the other.
    auto server = StartServer({StoreFlag(dir), "--snapshot_every_updates=64"});
    ASSERT_NE(server, nullptr);
    auto stub = StubFor(*server);
    ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(kLearner)).ok());
    auto [initial, v1] = ReadAll(*stub, "learner");
    ASSERT_EQ(v1, 1u);
    for (uint64_t v = 1; v <= 200; ++v) {
      uint64_t next = 0;
      grpc::Status status = Update(
          *stub, AddRequest("learner", RandomDeltas(initial, v), v), &next);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(next, v + 1);
    }
    uint64_t version = 0;
    std::tie(before, version) = ReadAll(*stub, "learner");
    EXPECT_EQ(version, 201u);
    ASSERT_TRUE(
        stub->ListModels(Context().get(), v1::ListModelsRequest(), &list_before)
            .ok());
    EXPECT_EQ(server->Stop(), 0) << server->log();
  }
  auto server = StartServer({StoreFlag(dir), "--snapshot_every_updates=64"});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->log(), HasSubstr("restored 1 model(s) from sqlite:"));
  auto stub = StubFor(*server);
  auto [after, version] = ReadAll(*stub, "learner");
  EXPECT_EQ(version, 201u);
  ExpectBitwiseEqual(after, before);
  v1::ListModelsResponse list_after;
  ASSERT_TRUE(
      stub->ListModels(Context().get(), v1::ListModelsRequest(), &list_after)
          .ok());
  EXPECT_EQ(list_after.SerializeAsString(), list_before.SerializeAsString());
  // Versions continue where they were.
  uint64_t next = 0;
  ASSERT_TRUE(
      Update(*stub, AddRequest("learner", RandomDeltas(after, 999), 201), &next)
          .ok());
  EXPECT_EQ(next, 202u);
}

TEST(DurabilityTest, KillNineNeverLosesAnAcknowledgedUpdate) {
  const std::string dir = FreshDir("kill9");
  // Snapshots every 5 updates, so many kills land during or right after a
  // compaction.
  const std::vector<std::string> flags = {StoreFlag(dir),
                                          "--snapshot_every_updates=5"};
  std::mt19937 rng(20261130);
  std::uniform_int_distribution<int> kill_after_ms(5, 400);
  Params initial;
  std::map<uint64_t, Params> sent;  // version -> the delta sent for it
  uint64_t last_acked = 1;
  int64_t acknowledged = 0, lost = 0;
  constexpr int kRuns = 20;
  for (int run = 0; run <= kRuns; ++run) {
    auto server = StartServer(flags);
    ASSERT_NE(server, nullptr) << "run " << run;
    auto stub = StubFor(*server);
    if (run == 0) {
      ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(kLearner)).ok());
    }
    auto [params, version] = ReadAll(*stub, "learner");
    if (run == 0) initial = params;
    // Nothing acknowledged is lost, and the parameters are exactly the
    // initial ones plus the deltas of versions 2..V, in order.
    if (version < last_acked) lost += static_cast<int64_t>(last_acked - version);
    EXPECT_GE(version, last_acked) << "run " << run;
    Params expected = initial;
    for (uint64_t v = 2; v <= version; ++v) {
      ASSERT_TRUE(sent.count(v)) << "version " << v << " was never sent";
      AddInPlace(expected, sent[v]);
    }
    ExpectBitwiseEqual(params, expected);
    if (run == kRuns) break;  // the last start only verifies

    uint64_t current = version;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      while (!stop.load()) {
        Params delta = RandomDeltas(initial, static_cast<uint32_t>(
                                                 run * 100000 + current));
        sent[current + 1] = delta;
        uint64_t next = 0;
        grpc::Status status = Update(
            *stub, AddRequest("learner", delta, current), &next);
        if (!status.ok()) return;  // the server is gone
        EXPECT_EQ(next, current + 1);
        current = next;
        last_acked = next;
        ++acknowledged;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(rng)));
    server->Signal(SIGKILL);
    EXPECT_EQ(server->Wait(), 128 + SIGKILL);
    stop = true;
    writer.join();
  }
  std::printf("kill -9: %d runs, %lld updates acknowledged, %lld lost\n", kRuns,
              static_cast<long long>(acknowledged),
              static_cast<long long>(lost));
  EXPECT_EQ(lost, 0);
  EXPECT_GT(acknowledged, kRuns) << "the runs should push real traffic";
}

TEST(DurabilityTest, DeletedModelsStayDeletedAndARecreatedNameStartsFresh) {
  const std::string dir = FreshDir("delete");
  Params recreated;
  {
    auto server = StartServer({StoreFlag(dir)});
    ASSERT_NE(server, nullptr);
    auto stub = StubFor(*server);
    ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(kLearner)).ok());
    auto [initial, v] = ReadAll(*stub, "learner");
    for (uint64_t i = 1; i <= 3; ++i) {
      ASSERT_TRUE(
          Update(*stub, AddRequest("learner", RandomDeltas(initial, i), i)).ok());
    }
    ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(
                                       R"({"name": "gone", "spec": {"input_shape": [2]}})"))
                    .ok());
    for (const char* name : {"gone", "learner"}) {
      v1::DeleteModelRequest request;
      request.set_name(name);
      v1::DeleteModelResponse response;
      ASSERT_TRUE(stub->DeleteModel(Context().get(), request, &response).ok());
    }
    // Same name, another spec and seed.
    ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(R"({
      "name": "learner", "seed": 5,
      "spec": {"input_shape": [3], "layers": [{"name": "head", "linear": {"out_size": 2}}]}})"))
                    .ok());
    auto [fresh, version] = ReadAll(*stub, "learner");
    EXPECT_EQ(version, 1u) << "a recreated model starts at version 1";
    ASSERT_TRUE(
        Update(*stub, AddRequest("learner", RandomDeltas(fresh, 77), 1)).ok());
    recreated = ReadAll(*stub, "learner").first;
    EXPECT_EQ(server->Stop(), 0);
  }
  auto server = StartServer({StoreFlag(dir)});
  ASSERT_NE(server, nullptr);
  auto stub = StubFor(*server);
  v1::ListModelsResponse list;
  ASSERT_TRUE(
      stub->ListModels(Context().get(), v1::ListModelsRequest(), &list).ok());
  ASSERT_EQ(list.models_size(), 1);
  EXPECT_EQ(list.models(0).name(), "learner");
  EXPECT_EQ(list.models(0).version(), 2u);
  EXPECT_EQ(list.models(0).spec().input_shape(0), 3) << "the new spec";
  auto [after, version] = ReadAll(*stub, "learner");
  ExpectBitwiseEqual(after, recreated);
  v1::GetModelRequest get;
  get.set_name("gone");
  v1::ModelInfo info;
  EXPECT_EQ(stub->GetModel(Context().get(), get, &info).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(DurabilityTest, ModelsFileNeverResetsLearnedParameters) {
  const std::string dir = FreshDir("models-file");
  const std::string models = dir + "/models.json";
  std::ofstream(models) << "[" << kLearner << "]";
  const std::vector<std::string> flags = {StoreFlag(dir),
                                          "--models_file=" + models};
  Params learned;
  {
    auto server = StartServer(flags);
    ASSERT_NE(server, nullptr);
    auto stub = StubFor(*server);
    auto [initial, v] = ReadAll(*stub, "learner");
    ASSERT_EQ(v, 1u);
    for (uint64_t i = 1; i <= 5; ++i) {
      ASSERT_TRUE(
          Update(*stub, AddRequest("learner", RandomDeltas(initial, i), i)).ok());
    }
    learned = ReadAll(*stub, "learner").first;
    EXPECT_EQ(server->Stop(), 0);
  }
  // The file now also lists a model the store does not have: it is created.
  std::ofstream(models) << "[" << kLearner
                        << R"(, {"name": "added", "spec": {"input_shape": [2]}}])";
  auto server = StartServer(flags);
  ASSERT_NE(server, nullptr);
  auto stub = StubFor(*server);
  auto [after, version] = ReadAll(*stub, "learner");
  EXPECT_EQ(version, 6u);
  ExpectBitwiseEqual(after, learned);
  EXPECT_EQ(ReadAll(*stub, "added").second, 1u);
}

// With a local store a REPLACE's buffer moves into the engine's snapshot
// (no copy), and the store's commit reads the update from there: what the
// store kept must be exactly the request's bits, as a restart shows.
TEST(DurabilityTest, MovedReplaceValuesAreWhatTheStoreKeeps) {
  const std::string dir = FreshDir("replace");
  auto server = StartServer({StoreFlag(dir)});
  ASSERT_NE(server, nullptr);
  auto stub = StubFor(*server);
  ASSERT_TRUE(CreateModel(*stub, CreateRequestFromJson(kWide)).ok());
  const std::vector<float> weight = RandomValues(256 * 256, 17);
  const std::vector<float> bias = RandomValues(256, 18);
  v1::UpdateParametersRequest request = ReplaceWeight(0.0f);
  *request.mutable_updates(0)->mutable_value() = RawTensor({256, 256}, weight);
  v1::ParameterUpdate* bias_update = request.add_updates();
  bias_update->set_layer("fc");
  bias_update->set_name("bias");
  bias_update->set_mode(v1::ParameterUpdate::REPLACE);
  *bias_update->mutable_value() = ValuesTensor({256}, bias);
  uint64_t version = 0;
  grpc::Status status = Update(*stub, request, &version);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto [live, live_version] = ReadAll(*stub, "wide");
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].first, "fc/weight");
  EXPECT_EQ(live[0].second, weight);
  EXPECT_EQ(live[1].second, bias);
  EXPECT_EQ(server->Stop(), 0);

  server = StartServer({StoreFlag(dir)});
  ASSERT_NE(server, nullptr);
  stub = StubFor(*server);
  const auto [restored, restored_version] = ReadAll(*stub, "wide");
  EXPECT_EQ(restored_version, version);
  ExpectBitwiseEqual(restored, live);
}

}  // namespace
}  // namespace brainserve::testing
