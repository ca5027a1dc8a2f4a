// brainserve-store-bench: what the durable store costs an UpdateParameters
// call, measured against running servers (tests/bench/run_store_report.sh
// starts them):
//
//   --mode=latency     W2 updates (1 KiB out/bias, 4 MiB fc2/weight, all
//                      9 MiB) sent to every --servers entry in turn, round
//                      after round, so each store faces the same noise;
//                      prints p50/p99 per case and server.
//   --mode=throughput  --writers threads push 1 KiB updates for --seconds,
//                      each to its own model, then all to one model; prints
//                      updates/s per server (group commit at work).
//   --mode=fill        pushes --updates ADDs of W2's out/bias to one server
//                      (for the restart-time measurement).
//   --mode=propagation replicas on one shared store: the first --servers
//                      entry takes --rate updates/s of --update (bias or
//                      fc2_weight) for --seconds while every entry serves
//                      forwards; for each acknowledged version, the time
//                      until each other replica answers a GetModel with
//                      that min_version (so, at most, propagation plus one
//                      round trip); prints p50/p99/max per update kind.
//
// Not a test: nothing is asserted; figures go to docs/PERFORMANCE.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, servers, "",
          "Comma-separated TAG=HOST:PORT, e.g. memory=127.0.0.1:5001,"
          "sqlite=127.0.0.1:5002.");
ABSL_FLAG(std::string, mode, "latency", "latency, throughput or fill.");
ABSL_FLAG(int, rounds, 200, "latency: updates per case and server.");
ABSL_FLAG(int, writers, 8, "throughput: concurrent writers.");
ABSL_FLAG(double, seconds, 5, "throughput: seconds per measurement.");
ABSL_FLAG(int, updates, 10000, "fill: ADD updates to push.");
ABSL_FLAG(double, rate, 10, "propagation: updates per second.");
ABSL_FLAG(std::string, update, "bias", "propagation: bias or fc2_weight.");
ABSL_FLAG(int, forward_threads, 1,
          "propagation: forward callers per replica.");
ABSL_FLAG(double, forward_rate, 0,
          "propagation: forwards per second per replica, spread over its "
          "callers at a fixed pace; 0 = closed loop (as fast as they can).");

namespace {

using brainserve::v1::ModelService;

constexpr char kW2[] = R"({"name": "w2", "seed": 1, "spec": {
  "input_shape": [1024], "layers": [
    {"name": "fc1", "scaled_ws_linear": {"out_size": 1024}},
    {"name": "ln", "layer_norm": {}},
    {"name": "relu", "activation": {"function": "RELU"}},
    {"name": "fc2", "signed_w_linear": {"out_size": 1024}},
    {"name": "out", "linear": {"out_size": 256}}]}})";

constexpr char kSmall[] = R"({"seed": 1, "spec": {
  "input_shape": [64], "layers": [{"name": "out", "linear": {"out_size": 256}}]}})";

struct Server {
  std::string tag;
  std::unique_ptr<ModelService::Stub> stub;
};

std::vector<Server> Connect(const std::string& list) {
  std::vector<Server> servers;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(entry, '=');
    servers.push_back({parts[0], ModelService::NewStub(grpc::CreateChannel(
                                     parts[1], grpc::InsecureChannelCredentials()))});
  }
  return servers;
}

bool Create(ModelService::Stub& stub, const char* json, const std::string& name) {
  brainserve::v1::CreateModelRequest request;
  if (!google::protobuf::util::JsonStringToMessage(json, &request).ok()) return false;
  if (!name.empty()) request.set_name(name);
  grpc::ClientContext context;
  brainserve::v1::ModelInfo info;
  grpc::Status status = stub.CreateModel(&context, request, &info);
  return status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS;
}

void AddValue(brainserve::v1::UpdateParametersRequest& request,
              const std::string& layer, const std::string& name,
              std::vector<int64_t> shape, float value,
              brainserve::v1::ParameterUpdate::Mode mode) {
  brainserve::v1::ParameterUpdate* update = request.add_updates();
  update->set_layer(layer);
  update->set_name(name);
  update->set_mode(mode);
  int64_t n = 1;
  for (int64_t d : shape) {
    n *= d;
    update->mutable_value()->add_shape(d);
  }
  std::vector<float> values(static_cast<size_t>(n), value);
  update->mutable_value()->set_raw(values.data(), values.size() * sizeof(float));
}

brainserve::v1::UpdateParametersRequest W2Update(const std::string& which, float v) {
  using brainserve::v1::ParameterUpdate;
  brainserve::v1::UpdateParametersRequest request;
  request.set_model("w2");
  if (which == "bias" || which == "all") {
    AddValue(request, "out", "bias", {256}, v, ParameterUpdate::REPLACE);
  }
  if (which == "fc2_weight" || which == "all") {
    AddValue(request, "fc2", "weight", {1024, 1024}, v * 1e-3f, ParameterUpdate::REPLACE);
  }
  if (which == "all") {
    AddValue(request, "fc1", "weight", {1024, 1024}, v * 1e-3f, ParameterUpdate::REPLACE);
    AddValue(request, "fc1", "bias", {1024}, v, ParameterUpdate::REPLACE);
    AddValue(request, "fc1", "gain", {1, 1024}, 1 + v * 1e-3f, ParameterUpdate::REPLACE);
    AddValue(request, "ln", "scale", {1024}, 1, ParameterUpdate::REPLACE);
    AddValue(request, "ln", "bias", {1024}, 0, ParameterUpdate::REPLACE);
    AddValue(request, "out", "weight", {1024, 256}, v * 1e-3f, ParameterUpdate::REPLACE);
  }
  return request;
}

// Sends `request`; returns milliseconds, or -1 on error (printed).
double Send(ModelService::Stub& stub, const brainserve::v1::UpdateParametersRequest& request) {
  grpc::ClientContext context;
  brainserve::v1::UpdateParametersResponse response;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = stub.UpdateParameters(&context, request, &response);
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    std::fprintf(stderr, "update failed: %s\n", status.error_message().c_str());
    return -1;
  }
  return ms;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

int Latency(std::vector<Server>& servers) {
  for (Server& s : servers) {
    if (!Create(*s.stub, kW2, "")) return 1;
  }
  std::printf("| update | bytes | store | p50 ms | p99 ms | p50 vs first | p99 vs first |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const std::string which : {"bias", "fc2_weight", "all"}) {
    std::map<std::string, std::vector<double>> ms;
    const auto probe = W2Update(which, 0.5f);
    for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
      const auto request = W2Update(which, 0.001f * (round % 100));
      for (size_t i = 0; i < servers.size(); ++i) {
        // Alternate the order so neither store always goes first.
        Server& s = servers[(round + i) % servers.size()];
        const double t = Send(*s.stub, request);
        if (t < 0) return 1;
        ms[s.tag].push_back(t);
      }
    }
    const double base50 = Percentile(ms[servers[0].tag], 0.5);
    const double base99 = Percentile(ms[servers[0].tag], 0.99);
    for (Server& s : servers) {
      const double p50 = Percentile(ms[s.tag], 0.5), p99 = Percentile(ms[s.tag], 0.99);
      std::printf("| %s | %zu | %s | %.3f | %.3f | %.2fx | %.2fx |\n", which.c_str(),
                  probe.ByteSizeLong(), s.tag.c_str(), p50, p99, p50 / base50, p99 / base99);
    }
  }
  return 0;
}

// Updates/s with `writers` threads, writer i sending to model names[i].
double Rate(ModelService::Stub& stub, const std::vector<std::string>& names) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  std::vector<std::thread> threads;
  for (const std::string& name : names) {
    threads.emplace_back([&, name] {
      using brainserve::v1::ParameterUpdate;
      brainserve::v1::UpdateParametersRequest request;
      request.set_model(name);
      AddValue(request, "out", "bias", {256}, 1e-4f, ParameterUpdate::ADD);
      while (!stop.load()) {
        if (Send(stub, request) < 0) return;
        done.fetch_add(1);
      }
    });
  }
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
  stop = true;
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return done.load() / seconds;
}

int Throughput(std::vector<Server>& servers) {
  const int writers = absl::GetFlag(FLAGS_writers);
  std::printf("| store | writers | models | updates/s |\n|---|---|---|---|\n");
  for (Server& s : servers) {
    std::vector<std::string> many, one(writers, "g0");
    for (int i = 0; i < writers; ++i) {
      many.push_back("g" + std::to_string(i));
      if (!Create(*s.stub, kSmall, many.back())) return 1;
    }
    std::printf("| %s | %d | 1 | %.0f |\n", s.tag.c_str(), writers, Rate(*s.stub, one));
    std::printf("| %s | %d | %d | %.0f |\n", s.tag.c_str(), writers, writers,
                Rate(*s.stub, many));
  }
  return 0;
}

int Propagation(std::vector<Server>& servers) {
  if (servers.size() < 2) {
    std::fprintf(stderr, "propagation needs a writer and at least one replica\n");
    return 2;
  }
  if (!Create(*servers[0].stub, kW2, "")) return 1;
  // Every replica has the model before the clock starts.
  for (Server& s : servers) {
    for (int i = 0; i < 500; ++i) {
      grpc::ClientContext context;
      brainserve::v1::GetModelRequest request;
      request.set_name("w2");
      request.set_min_version(1);
      brainserve::v1::ModelInfo info;
      if (s.stub->GetModel(&context, request, &info).ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> forwards{0}, forward_errors{0};
  std::vector<std::thread> load;
  // Forward latencies on the replicas that only apply (not the writer).
  std::mutex forward_mu;
  std::vector<double> replica_forward_ms;
  for (size_t index = 0; index < servers.size(); ++index) {
    Server& s = servers[index];
    for (int t = 0; t < absl::GetFlag(FLAGS_forward_threads); ++t) {
      load.emplace_back([&, index, stub = s.stub.get()] {
        brainserve::v1::ForwardRequest request;
        request.set_model("w2");
        request.mutable_input()->add_shape(1);
        request.mutable_input()->add_shape(1024);
        std::vector<float> x(1024, 0.5f);
        request.mutable_input()->set_raw(x.data(), x.size() * sizeof(float));
        std::vector<double> mine;
        // Paced callers: each sends every `period`, from its own start.
        const int callers = absl::GetFlag(FLAGS_forward_threads);
        const double per_replica = absl::GetFlag(FLAGS_forward_rate);
        const auto period = std::chrono::duration<double>(
            per_replica > 0 ? callers / per_replica : 0.0);
        auto next = std::chrono::steady_clock::now();
        while (!stop.load()) {
          if (per_replica > 0) {
            std::this_thread::sleep_until(next);
            next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
          }
          grpc::ClientContext context;
          brainserve::v1::ForwardResponse response;
          const auto start = std::chrono::steady_clock::now();
          if (stub->Forward(&context, request, &response).ok()) {
            forwards.fetch_add(1);
            mine.push_back(std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - start).count());
          } else {
            forward_errors.fetch_add(1);
          }
        }
        if (index > 0) {
          std::lock_guard<std::mutex> lock(forward_mu);
          replica_forward_ms.insert(replica_forward_ms.end(), mine.begin(), mine.end());
        }
      });
    }
  }
  const std::string which = absl::GetFlag(FLAGS_update);
  const double rate = absl::GetFlag(FLAGS_rate);
  if (rate <= 0) {
    // The baseline: forwards only, for as long as a run with updates.
    std::this_thread::sleep_for(std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
    stop = true;
    for (std::thread& t : load) t.join();
    std::printf("| none | 0 | | | | %lld | %lld | %.3f | %.3f |\n",
                static_cast<long long>(forwards.load()),
                static_cast<long long>(forward_errors.load()),
                Percentile(replica_forward_ms, 0.5), Percentile(replica_forward_ms, 0.99));
    return 0;
  }
  const auto period = std::chrono::duration<double>(1.0 / rate);
  const int total = static_cast<int>(absl::GetFlag(FLAGS_seconds) * rate);
  std::vector<double> lag_ms;
  std::mutex lag_mu;
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
    grpc::ClientContext context;
    brainserve::v1::UpdateParametersResponse response;
    if (!servers[0].stub->UpdateParameters(&context, W2Update(which, 0.001f * (i % 100)),
                                           &response).ok()) {
      std::fprintf(stderr, "update failed\n");
      continue;
    }
    const auto acked = std::chrono::steady_clock::now();
    std::vector<std::thread> probes;
    for (size_t r = 1; r < servers.size(); ++r) {
      probes.emplace_back([&, r] {
        grpc::ClientContext probe;
        brainserve::v1::GetModelRequest request;
        request.set_name("w2");
        request.set_min_version(response.version());
        brainserve::v1::ModelInfo info;
        if (!servers[r].stub->GetModel(&probe, request, &info).ok()) return;
        const double ms = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - acked).count();
        std::lock_guard<std::mutex> lock(lag_mu);
        lag_ms.push_back(ms);
      });
    }
    for (std::thread& t : probes) t.join();
  }
  stop = true;
  for (std::thread& t : load) t.join();
  if (lag_ms.empty()) return 1;
  std::printf("| %s | %zu | %.2f | %.2f | %.2f | %lld | %lld | %.3f | %.3f |\n",
              which.c_str(), lag_ms.size(), Percentile(lag_ms, 0.5),
              Percentile(lag_ms, 0.99), *std::max_element(lag_ms.begin(), lag_ms.end()),
              static_cast<long long>(forwards.load()),
              static_cast<long long>(forward_errors.load()),
              Percentile(replica_forward_ms, 0.5), Percentile(replica_forward_ms, 0.99));
  return 0;
}

int Fill(std::vector<Server>& servers) {
  using brainserve::v1::ParameterUpdate;
  Server& s = servers.front();
  if (!Create(*s.stub, kW2, "")) return 1;
  brainserve::v1::UpdateParametersRequest request;
  request.set_model("w2");
  AddValue(request, "out", "bias", {256}, 1e-4f, ParameterUpdate::ADD);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < absl::GetFlag(FLAGS_updates); ++i) {
    if (Send(*s.stub, request) < 0) return 1;
  }
  std::printf("fill: %d updates in %.1f s\n", absl::GetFlag(FLAGS_updates),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<Server> servers = Connect(absl::GetFlag(FLAGS_servers));
  if (servers.empty()) {
    std::fprintf(stderr, "--servers is required\n");
    return 2;
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "latency") return Latency(servers);
  if (mode == "throughput") return Throughput(servers);
  if (mode == "fill") return Fill(servers);
  if (mode == "propagation") return Propagation(servers);
  std::fprintf(stderr, "unknown --mode %s\n", mode.c_str());
  return 2;
}
