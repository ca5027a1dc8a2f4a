#include "client/loadgen/runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "brainserve/v1/model_service.grpc.pb.h"
#include "client/grpc_status.h"
#include "client/loadgen/channels.h"
#include "client/loadgen/clock.h"
#include "client/loadgen/http_driver.h"
#include "client/loadgen/input_data.h"
#include "client/loadgen/measurement.h"
#include "client/loadgen/protocol_requests.h"
#include "client/loadgen/stability.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "inference/grpc_predict_v2.pb.h"

namespace brainserve::loadgen {
namespace {

void PrintProgress(const LevelReport& report, size_t window_number,
                   const Window& window) {
  const LatencySummary live = window.latency.Summarize();
  std::fprintf(stderr,
               "\r%-20s %-8s window %3zu  %10.1f req/s  p50 %8.3f ms  "
               "p99 %8.3f ms   ",
               report.LoadLabel().c_str(), report.phase.c_str(), window_number,
               window.seconds > 0 ? window.ok / window.seconds : 0,
               live.p50_us / 1e3, live.p99_us / 1e3);
  std::fflush(stderr);
}

// The inference driver of config.protocol, sending `requests` (in their
// brainserve form) in rotation.
absl::StatusOr<std::unique_ptr<RequestDriver>> CreateRequestDriver(
    const LoadgenConfig& config,
    const std::vector<brainserve::v1::ForwardRequest>& requests,
    std::vector<std::shared_ptr<grpc::Channel>> channels,
    VersionTracker* versions) {
  if (config.protocol == Protocol::kHttp) {
    std::vector<HttpInferBody> bodies;
    for (const auto& request : requests) {
      bodies.push_back(ToHttpInferBody(request));
    }
    HttpDriver::Options options;
    options.server = config.http_server;
    options.model = config.model;
    options.timeout_ms = config.timeout_ms;
    options.security = config.security;
    absl::StatusOr<std::unique_ptr<HttpDriver>> driver =
        HttpDriver::Create(options, std::move(bodies), versions);
    if (!driver.ok()) return driver.status();
    return std::unique_ptr<RequestDriver>(*std::move(driver));
  }
  const bool oip = config.protocol == Protocol::kOip;
  std::vector<grpc::ByteBuffer> buffers;
  for (const auto& request : requests) {
    grpc::ByteBuffer buffer;
    bool own = false;
    grpc::Status status =
        oip ? grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                     inference::ModelInferRequest>(
                  ToModelInferRequest(request), &buffer, &own)
            : grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                     brainserve::v1::ForwardRequest>(
                  request, &buffer, &own);
    if (!status.ok())
      return client::FromGrpcStatus(status, "serialize request");
    buffers.push_back(std::move(buffer));
  }
  ForwardDriver::Options options;
  options.completion_threads = config.threads;
  options.timeout_ms = config.timeout_ms;
  options.max_inflight = config.max_inflight;
  if (oip) {
    options.method = "/inference.GRPCInferenceService/ModelInfer";
    options.model_infer = true;
  }
  absl::StatusOr<std::unique_ptr<ForwardDriver>> driver = ForwardDriver::Create(
      options, std::move(channels), std::move(buffers), versions);
  if (!driver.ok()) return driver.status();
  return std::unique_ptr<RequestDriver>(*std::move(driver));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Runner>> Runner::Create(
    const LoadgenConfig& config) {
  if (config.model.empty())
    return absl::InvalidArgumentError("--model is required");
  if (config.window_ms < 1 || config.warmup_ms < 0 ||
      config.stable_windows < 1 || config.max_duration_s <= 0) {
    return absl::InvalidArgumentError(
        "need --window-ms >= 1, --warmup-ms >= 0, --stable-windows >= 1, "
        "--max-duration-s > 0");
  }
  std::unique_ptr<Runner> runner(new Runner(config));
  // One extra connection carries the updates, so a multi-megabyte
  // UpdateParameters does not share a connection with Forward calls.
  absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> channels =
      OpenChannels(config.server, config.security, config.connections + 1,
                   absl::Seconds(10));
  if (!channels.ok()) return channels.status();
  std::shared_ptr<grpc::Channel> update_channel = channels->back();
  channels->pop_back();

  auto stub = brainserve::v1::ModelService::NewStub(channels->front());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(config.timeout_ms));
  brainserve::v1::GetModelRequest get;
  get.set_name(config.model);
  grpc::Status status = stub->GetModel(&context, get, &runner->model_info_);
  if (!status.ok()) {
    return client::FromGrpcStatus(status,
                                  absl::StrCat("GetModel(", config.model, ")"));
  }
  runner->versions_.Observe(runner->model_info_.version());

  std::vector<int64_t> shape(runner->model_info_.input_shape().begin(),
                             runner->model_info_.input_shape().end());
  absl::StatusOr<std::vector<brainserve::v1::ForwardRequest>> requests =
      BuildForwardRequests(config.model, shape, config.input);
  if (!requests.ok()) return requests.status();
  runner->first_request_ = requests->front();
  absl::StatusOr<std::unique_ptr<RequestDriver>> driver =
      CreateRequestDriver(config, *requests, *std::move(channels),
                          &runner->versions_);
  if (!driver.ok()) return driver.status();
  runner->forward_driver_ = *std::move(driver);

  if (config.update_rate_hz > 0) {
    UpdateDriver::Options update_options;
    update_options.model = config.model;
    update_options.rate_hz = config.update_rate_hz;
    update_options.mode = config.update_mode;
    update_options.add_delta = config.update_add_delta;
    update_options.raw_encoding = config.input.raw_encoding;
    update_options.timeout_ms = config.timeout_ms;
    update_options.parameters = config.update_parameters;
    absl::StatusOr<std::unique_ptr<UpdateDriver>> updates =
        UpdateDriver::Create(update_options, update_channel,
                             &runner->versions_);
    if (!updates.ok()) return updates.status();
    runner->update_driver_ = *std::move(updates);
  }
  return runner;
}

absl::StatusOr<std::vector<LevelReport>> Runner::Run() {
  std::vector<std::pair<int, double>> levels;
  for (int c : config_.concurrency) levels.push_back({c, 0});
  for (double r : config_.request_rates) levels.push_back({0, r});
  if (levels.empty()) levels.push_back({1, 0});
  std::vector<LevelReport> reports;
  for (const auto& [concurrency, rate] : levels) {
    if (concurrency <= 0 && !(rate > 0)) {
      return absl::InvalidArgumentError("levels must be positive");
    }
    if (update_driver_ != nullptr) {
      absl::StatusOr<std::vector<LevelReport>> pair =
          RunUpdateLevel(concurrency, rate);
      if (!pair.ok()) return pair.status();
      for (LevelReport& r : *pair) reports.push_back(std::move(r));
      continue;
    }
    absl::StatusOr<LevelReport> report = RunPhase(concurrency, rate);
    if (!report.ok()) return report.status();
    reports.push_back(*std::move(report));
  }
  return reports;
}

void Runner::StartLoad(int concurrency, double rate, int64_t max_calls) {
  if (concurrency > 0) {
    forward_driver_->StartClosedLoop(concurrency, max_calls);
  } else {
    auto schedule = ArrivalSchedule::Create(
        config_.arrival, rate, config_.input.seed + phase_index_++);
    forward_driver_->StartOpenLoop(*std::move(schedule), max_calls);
  }
}

ServerCounters Runner::ScrapeOrEmpty(bool* ok) const {
  *ok = false;
  if (config_.metrics_url.empty()) return {};
  absl::StatusOr<ServerCounters> counters =
      ScrapeCounters(config_.metrics_url, config_.model, absl::Seconds(5));
  if (!counters.ok()) {
    std::fprintf(stderr, "brainserve-loadgen: metrics scrape failed: %s\n",
                 std::string(counters.status().message()).c_str());
    return {};
  }
  *ok = true;
  return *counters;
}

LevelReport Runner::NewReport(int concurrency, double rate,
                              const std::string& phase) const {
  LevelReport report;
  report.model = config_.model;
  report.concurrency = concurrency;
  report.request_rate = rate;
  report.arrival = concurrency > 0                               ? ""
                   : config_.arrival == ArrivalProcess::kPoisson ? "poisson"
                                                                 : "constant";
  report.batch_rows = config_.input.batch_rows;
  report.phase = phase;
  return report;
}

void Runner::WarmUp(int concurrency, double rate) {
  StartLoad(concurrency, rate, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(config_.warmup_ms));
  forward_driver_->StopAndDrain();
  forward_driver_->TakeRecords();
}

absl::StatusOr<LevelReport> Runner::RunPhase(int concurrency, double rate) {
  LevelReport report = NewReport(concurrency, rate, "");
  const int64_t level_end_ns =
      NowNs() + static_cast<int64_t>(config_.max_duration_s * 1e9);
  // 1. Warm-up, then drain so the measured phase starts from an idle server.
  WarmUp(concurrency, rate);

  // 2. Measured phase.
  bool scraped_before = false;
  const ServerCounters before = ScrapeOrEmpty(&scraped_before);
  const double cpu_before = ProcessCpuSeconds();
  StartLoad(concurrency, rate, config_.max_requests);
  PhaseTally tally;
  const std::vector<Window> windows =
      MeasureWindows(level_end_ns, &tally, &report);

  // 3. Drain; late completions count by code but not in the windows.
  forward_driver_->StopAndDrain();
  tally.Add(forward_driver_->TakeRecords(), nullptr);
  report.sent = forward_driver_->issued();
  report.client_cpu_us_per_call =
      report.sent > 0 ? (ProcessCpuSeconds() - cpu_before) * 1e6 / report.sent
                      : 0;
  tally.WriteTo(&report);
  if (scraped_before) report.server = ScrapeAfter(before, report.sent);
  SummarizeWindows(windows, ReportedWindows(), &report);
  return report;
}

std::vector<Window> Runner::MeasureWindows(int64_t level_end_ns,
                                           PhaseTally* tally,
                                           LevelReport* report) {
  const int reported = ReportedWindows();
  std::vector<Window> windows;
  std::vector<double> throughputs;
  int64_t window_start_ns = NowNs();
  while (true) {
    // Sleep to the window's end in short steps, so a run whose request cap
    // is reached ends promptly.
    const int64_t wake_ns =
        std::min(window_start_ns + config_.window_ms * 1000000, level_end_ns);
    while (NowNs() < wake_ns && !forward_driver_->budget_exhausted()) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(
          std::min<int64_t>(wake_ns - NowNs(), 20000000)));
    }
    Window window;
    const int64_t now_ns = NowNs();
    window.seconds = (now_ns - window_start_ns) / 1e9;
    window_start_ns = now_ns;
    tally->Add(forward_driver_->TakeRecords(), &window);
    throughputs.push_back(window.seconds > 0 ? window.ok / window.seconds : 0);
    if (config_.progress) PrintProgress(*report, windows.size() + 1, window);
    windows.push_back(std::move(window));
    report->stable = LastWindowsStable(throughputs, config_.stable_windows,
                                       config_.stability_pct);
    if (report->stable && static_cast<int>(windows.size()) >= reported) {
      report->stop_reason = "stable";
      break;
    }
    if (now_ns >= level_end_ns) {
      report->stop_reason = "max-duration";
      break;
    }
    if (forward_driver_->budget_exhausted()) {
      report->stop_reason = "max-requests";
      break;
    }
  }
  if (config_.progress) std::fprintf(stderr, "\r%100s\r", "");
  return windows;
}

ServerSplit Runner::ScrapeAfter(const ServerCounters& before,
                                int64_t sent) const {
  bool scraped = false;
  const ServerCounters after = ScrapeSettled(before, sent, &scraped);
  return scraped ? DiffCounters(before, after) : ServerSplit();
}

ServerCounters Runner::ScrapeSettled(const ServerCounters& before, int64_t sent,
                                     bool* ok) const {
  // The server may count a call just after its response reached us, so
  // re-scrape (up to 2 s) until it has counted every call we sent.
  const int64_t settle_end_ns = NowNs() + 2000000000LL;
  ServerCounters after;
  do {
    after = ScrapeOrEmpty(ok);
    if (!*ok || after.ForwardTotal() - before.ForwardTotal() >= sent) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (NowNs() < settle_end_ns);
  return after;
}

}  // namespace brainserve::loadgen
