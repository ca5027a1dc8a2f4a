// Runs the load generator briefly against a real brainserve-server
// subprocess and checks that what it reports agrees with the server's own
// counters (brainserve_requests_total deltas), with and without updates.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "client/loadgen/input_data.h"
#include "client/loadgen/runner.h"
#include "client/loadgen/server_metrics.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace brainserve::loadgen {
namespace {

using ::brainserve::testing::RunToCompletion;
using ::brainserve::testing::ServerProcess;

class LoadgenIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // BRAINSERVE_LOADGEN_TEST_MODELS overrides the bundled models file (it
    // must define `identity` and `mlp` as examples/models.json does).
    const char* models = std::getenv("BRAINSERVE_LOADGEN_TEST_MODELS");
    auto server = ServerProcess::Start(
        BRAINSERVE_SERVER_BINARY,
        {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
         absl::StrCat("--models_file=", models != nullptr && *models
                                            ? models
                                            : BRAINSERVE_MODELS_FILE),
         "--shutdown_grace_seconds=5"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(), 0) << "server did not shut down cleanly";
      delete server_;
      server_ = nullptr;
    }
  }

  // A short, bounded configuration against the test server.
  LoadgenConfig ShortConfig(const std::string& model) const {
    LoadgenConfig config;
    config.server = server_->address();
    config.metrics_url = server_->metrics_url();
    config.model = model;
    config.warmup_ms = 200;
    config.window_ms = 250;
    config.max_duration_s = 3;
    config.timeout_ms = 5000;
    return config;
  }

  ServerCounters Scrape(const std::string& model) const {
    auto counters =
        ScrapeCounters(server_->metrics_url(), model, absl::Seconds(5));
    EXPECT_TRUE(counters.ok()) << counters.status();
    return counters.ok() ? *counters : ServerCounters();
  }

  // Every call the report counts is in the server's delta, code by code.
  static void ExpectCountsMatchServer(const LevelReport& r) {
    ASSERT_TRUE(r.server.available);
    int64_t total = 0;
    for (const auto& [code, count] : r.codes) total += count;
    EXPECT_EQ(total, r.sent);
    EXPECT_EQ(r.server.forward_total, static_cast<double>(r.sent));
    for (const auto& [code, count] : r.codes) {
      auto it = r.server.forward_by_code.find(code);
      ASSERT_NE(it, r.server.forward_by_code.end()) << code;
      EXPECT_EQ(it->second, static_cast<double>(count)) << code;
    }
    EXPECT_EQ(r.server.forward_by_code.size(), r.codes.size());
  }

  static ServerProcess* server_;
};

ServerProcess* LoadgenIntegrationTest::server_ = nullptr;

TEST_F(LoadgenIntegrationTest, ClosedLoopCountsEqualServerCounters) {
  LoadgenConfig config = ShortConfig("mlp");
  config.concurrency = {1, 8};
  const ServerCounters before = Scrape("mlp");
  auto runner = Runner::Create(config);
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto reports = (*runner)->Run();
  ASSERT_TRUE(reports.ok()) << reports.status();
  const ServerCounters after = Scrape("mlp");
  ASSERT_EQ(reports->size(), 2u);
  int64_t sent = 0;
  for (const LevelReport& r : *reports) {
    SCOPED_TRACE(r.LoadLabel());
    ExpectCountsMatchServer(r);
    EXPECT_GT(r.sent, 0);
    EXPECT_EQ(r.Failed(), 0);
    EXPECT_EQ(r.version_regressions, 0);
    EXPECT_GE(r.windows_measured, 3);
    EXPECT_GT(r.throughput_rps, 0);
    EXPECT_GT(r.latency.count, 0);
    EXPECT_LE(r.latency.count, r.sent);
    EXPECT_LE(r.latency.p50_us, r.latency.p99_us);
    EXPECT_LE(r.latency.p99_us, r.latency.max_us);
    EXPECT_GE(r.server.batches, 1);
    EXPECT_GE(r.server.batch_size_mean, 1);
    sent += r.sent;
  }
  // The independent scrape around the whole run also covers the warm-ups.
  EXPECT_GT(after.ForwardTotal() - before.ForwardTotal(), sent);
}

// The Open Inference Protocol over gRPC and HTTP: the same counts (the
// server records them as method="ModelInfer"), no failures.
TEST_F(LoadgenIntegrationTest, OipAndHttpProtocolsCountLikeTheServer) {
  for (Protocol protocol : {Protocol::kOip, Protocol::kHttp}) {
    for (bool raw : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "protocol "
                                        << static_cast<int>(protocol)
                                        << " raw " << raw);
      LoadgenConfig config = ShortConfig("mlp");
      config.protocol = protocol;
      config.http_server = absl::StrCat("127.0.0.1:", server_->http_port());
      config.input.raw_encoding = raw;
      config.concurrency = {4};
      auto runner = Runner::Create(config);
      ASSERT_TRUE(runner.ok()) << runner.status();
      auto reports = (*runner)->Run();
      ASSERT_TRUE(reports.ok()) << reports.status();
      ASSERT_EQ(reports->size(), 1u);
      const LevelReport& r = reports->front();
      ExpectCountsMatchServer(r);
      EXPECT_GT(r.sent, 0);
      EXPECT_EQ(r.Failed(), 0);
      EXPECT_EQ(r.bad_responses, 0);
      EXPECT_EQ(r.version_regressions, 0);
    }
  }
}

TEST_F(LoadgenIntegrationTest,
       OpenLoopWithReplaceUpdatesKeepsCountsAndVersions) {
  LoadgenConfig config = ShortConfig("mlp");
  config.request_rates = {300};
  config.arrival = ArrivalProcess::kPoisson;
  config.update_rate_hz = 20;
  config.update_mode = UpdateMode::kReplace;
  auto runner = Runner::Create(config);
  ASSERT_TRUE(runner.ok()) << runner.status();
  const uint64_t start_version = (*runner)->model_info().version();
  const ServerCounters before = Scrape("mlp");
  auto reports = (*runner)->Run();
  ASSERT_TRUE(reports.ok()) << reports.status();
  const ServerCounters after = Scrape("mlp");
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].phase, "baseline");
  EXPECT_FALSE((*reports)[0].has_updates);
  const LevelReport& r = (*reports)[1];
  EXPECT_EQ(r.phase, "updates");
  ASSERT_TRUE(r.has_updates);
  for (const LevelReport& level : *reports) {
    ExpectCountsMatchServer(level);
    EXPECT_EQ(level.Failed(), 0);
    EXPECT_EQ(level.version_regressions, 0);
  }
  EXPECT_GT(r.update_latency.count, 0);
  EXPECT_EQ(r.update_codes.at("OK"), r.update_latency.count);
  EXPECT_EQ(r.update_payload_bytes,
            (64 * 64 + 64 + 64 + 64 + 64 * 10 + 10) * 4);
  // Every update the server timed came from this run (warm-up ones included).
  const double server_updates = after.update_count - before.update_count;
  EXPECT_GE(server_updates, r.update_latency.count);
  // Versions grew by exactly the number of successful updates.
  auto stub = brainserve::v1::ModelService::NewStub(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  brainserve::v1::GetModelRequest get;
  get.set_name("mlp");
  brainserve::v1::ModelInfo info;
  ASSERT_TRUE(stub->GetModel(&context, get, &info).ok());
  EXPECT_EQ(info.version() - start_version, server_updates);
}

TEST_F(LoadgenIntegrationTest, ErrorsAreCountedByCodeNotHidden) {
  // A model whose queue holds one request: 16 closed-loop callers overflow
  // it, so some calls fail RESOURCE_EXHAUSTED.
  auto stub = brainserve::v1::ModelService::NewStub(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  brainserve::v1::CreateModelRequest create;
  create.set_name("loadgen_tiny_queue");
  create.mutable_spec()->add_input_shape(256);
  create.mutable_spec()->add_layers()->mutable_linear()->set_out_size(256);
  create.mutable_batching()->set_max_batch_size(1);
  create.mutable_batching()->set_max_queue_size(1);
  create.mutable_batching()->set_num_batch_workers(1);
  grpc::ClientContext context;
  brainserve::v1::ModelInfo info;
  grpc::Status status = stub->CreateModel(&context, create, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();

  LoadgenConfig config = ShortConfig("loadgen_tiny_queue");
  config.concurrency = {16};
  config.input.batch_rows = 8;
  auto runner = Runner::Create(config);
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto reports = (*runner)->Run();
  ASSERT_TRUE(reports.ok()) << reports.status();
  const LevelReport& r = reports->front();
  ExpectCountsMatchServer(r);
  ASSERT_TRUE(r.codes.count("RESOURCE_EXHAUSTED")) << "no overflow provoked";
  EXPECT_GT(r.codes.at("RESOURCE_EXHAUSTED"), 0);
  EXPECT_GT(r.codes.at("OK"), 0);
  EXPECT_EQ(r.Failed(), r.codes.at("RESOURCE_EXHAUSTED"));
}

TEST_F(LoadgenIntegrationTest, BinaryWritesJsonCsvAndHonoursRequestCap) {
  const std::string dir = server_->temp_dir();
  const std::string json_path = dir + "/report.json";
  const std::string csv_path = dir + "/report.csv";
  auto exit_code = RunToCompletion(
      {BRAINSERVE_LOADGEN_BINARY, "--server=" + server_->address(),
       "--model=identity", "--concurrency=2", "--encoding=values",
       "--warmup-ms=100", "--window-ms=100000", "--max-requests=500",
       "--max-duration-s=20", "--update-rate=5", "--update-mode=add",
       "--metrics-url=" + server_->metrics_url(), "--json=" + json_path,
       "--csv=" + csv_path},
      dir + "/loadgen.log", absl::Seconds(60));
  // identity has no parameters: updates are refused up front, clearly.
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 1);

  exit_code = RunToCompletion(
      {BRAINSERVE_LOADGEN_BINARY, "--server=" + server_->address(),
       "--model=mlp", "--concurrency=2", "--encoding=values", "--warmup-ms=100",
       "--window-ms=100000", "--max-requests=500", "--max-duration-s=20",
       "--update-rate=5", "--update-mode=add",
       "--metrics-url=" + server_->metrics_url(), "--json=" + json_path,
       "--csv=" + csv_path},
      dir + "/loadgen.log", absl::Seconds(60));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  ASSERT_EQ(*exit_code, 0) << "see " << dir << "/loadgen.log";
  std::stringstream text;
  text << std::ifstream(json_path).rdbuf();
  google::protobuf::Struct json;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(text.str(), &json).ok())
      << text.str();
  const auto& levels = json.fields().at("levels").list_value();
  ASSERT_EQ(levels.values_size(), 2);  // baseline + updates
  for (const auto& level : levels.values()) {
    const auto& f = level.struct_value().fields();
    EXPECT_EQ(f.at("stop_reason").string_value(), "max-requests");
    EXPECT_EQ(f.at("sent").number_value(), 500);
    EXPECT_EQ(f.at("codes").struct_value().fields().at("OK").number_value(),
              500);
    EXPECT_EQ(f.at("server")
                  .struct_value()
                  .fields()
                  .at("forward_total")
                  .number_value(),
              500);
  }
  const auto& updates = levels.values(1)
                            .struct_value()
                            .fields()
                            .at("updates")
                            .struct_value()
                            .fields();
  EXPECT_EQ(updates.at("mode").string_value(), "add");
  std::stringstream csv_stream;
  csv_stream << std::ifstream(csv_path).rdbuf();
  const std::string csv = csv_stream.str();
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header + 2 rows

  // --dump-request writes one gRPC-framed ForwardRequest for h2load.
  const std::string body_path = dir + "/body.bin";
  exit_code = RunToCompletion(
      {BRAINSERVE_LOADGEN_BINARY, "--server=" + server_->address(),
       "--model=mlp", "--dump-request=" + body_path},
      dir + "/dump.log", absl::Seconds(30));
  ASSERT_TRUE(exit_code.ok() && *exit_code == 0);
  std::stringstream body;
  body << std::ifstream(body_path, std::ios::binary).rdbuf();
  const std::string frame = body.str();
  ASSERT_GT(frame.size(), 5u);
  brainserve::v1::ForwardRequest request;
  ASSERT_TRUE(request.ParseFromString(frame.substr(5)));
  EXPECT_EQ(frame, GrpcFrame(request.SerializeAsString()));
  EXPECT_EQ(request.model(), "mlp");
  EXPECT_EQ(request.input().shape_size(), 2);
  EXPECT_EQ(request.input().raw().size(), 64 * sizeof(float));
}

}  // namespace
}  // namespace brainserve::loadgen
