#include "client/loadgen/forward_driver.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "brainserve/v1/model_service.pb.h"
#include "inference/grpc_predict_v2.pb.h"
#include "client/loadgen/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace brainserve::loadgen {
struct ForwardDriver::Call {
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  int64_t intended_ns = 0;
  uint64_t version_floor = 0;
  int lane = 0;
};

absl::StatusOr<std::unique_ptr<ForwardDriver>> ForwardDriver::Create(
    const Options& options,
    std::vector<std::shared_ptr<grpc::Channel>> channels,
    std::vector<grpc::ByteBuffer> requests, VersionTracker* versions) {
  if (channels.empty()) return absl::InvalidArgumentError("no channels");
  if (requests.empty()) return absl::InvalidArgumentError("no requests");
  if (options.completion_threads < 1) {
    return absl::InvalidArgumentError("--threads must be >= 1");
  }
  if (options.timeout_ms < 1) {
    return absl::InvalidArgumentError("--timeout-ms must be >= 1");
  }
  return std::unique_ptr<ForwardDriver>(new ForwardDriver(
      options, std::move(channels), std::move(requests), versions));
}

ForwardDriver::ForwardDriver(
    const Options& options,
    std::vector<std::shared_ptr<grpc::Channel>> channels,
    std::vector<grpc::ByteBuffer> requests, VersionTracker* versions)
    : options_(options),
      channels_(std::move(channels)),
      requests_(std::move(requests)),
      versions_(versions) {
  for (const auto& channel : channels_) {
    stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
  for (int i = 0; i < options_.completion_threads; ++i) {
    cqs_.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  for (auto& cq : cqs_) {
    pollers_.emplace_back([this, q = cq.get()] { PollLoop(q); });
  }
}

ForwardDriver::~ForwardDriver() {
  StopAndDrain();
  for (auto& cq : cqs_) cq->Shutdown();
  for (auto& poller : pollers_) poller.join();
}

void ForwardDriver::StartClosedLoop(int concurrency, int64_t max_calls) {
  {
    absl::MutexLock lock(&mu_);
    issuing_ = true;
    closed_loop_ = true;
    max_calls_ = max_calls;
    issued_ = 0;
  }
  const int64_t now = NowNs();
  for (int lane = 0; lane < concurrency; ++lane) {
    if (!TryIssue(lane, now)) break;
  }
}

void ForwardDriver::StartOpenLoop(std::unique_ptr<ArrivalSchedule> schedule,
                                  int64_t max_calls) {
  {
    absl::MutexLock lock(&mu_);
    issuing_ = true;
    closed_loop_ = false;
    max_calls_ = max_calls;
    issued_ = 0;
  }
  dispatcher_ = std::thread([this, s = std::move(schedule)]() mutable {
    DispatchLoop(std::move(s));
  });
}

void ForwardDriver::StopAndDrain() {
  {
    absl::MutexLock lock(&mu_);
    issuing_ = false;
    closed_loop_ = false;
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int64_t* inflight) { return *inflight == 0; }, &inflight_));
}

std::vector<CallRecord> ForwardDriver::TakeRecords() {
  absl::MutexLock lock(&mu_);
  std::vector<CallRecord> out;
  out.swap(records_);
  return out;
}

int64_t ForwardDriver::issued() const {
  absl::MutexLock lock(&mu_);
  return issued_;
}

bool ForwardDriver::budget_exhausted() const {
  absl::MutexLock lock(&mu_);
  return max_calls_ > 0 && issued_ >= max_calls_;
}

bool ForwardDriver::TryIssue(int lane, int64_t intended_ns) {
  int64_t index;
  {
    absl::MutexLock lock(&mu_);
    if (!issuing_ || (max_calls_ > 0 && issued_ >= max_calls_)) return false;
    index = issued_++;
    ++inflight_;
  }
  auto* call = new Call;
  call->lane = lane;
  call->intended_ns = intended_ns;
  call->version_floor = versions_->Floor();
  call->context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::milliseconds(options_.timeout_ms));
  grpc::GenericStub* stub = stubs_[lane % stubs_.size()].get();
  grpc::CompletionQueue* cq = cqs_[lane % cqs_.size()].get();
  call->reader = stub->PrepareUnaryCall(
      &call->context, options_.method, requests_[index % requests_.size()],
      cq);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, call);
  return true;
}

bool ForwardDriver::ResponseVersion(grpc::ByteBuffer* response,
                                    uint64_t* version) const {
  if (!options_.model_infer) {
    brainserve::v1::ForwardResponse forward;
    if (!grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                  brainserve::v1::ForwardResponse>(response,
                                                                   &forward)
             .ok()) {
      return false;
    }
    *version = forward.version();
    return true;
  }
  inference::ModelInferResponse infer;
  return grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                  inference::ModelInferResponse>(response,
                                                                 &infer)
             .ok() &&
         absl::SimpleAtoi(infer.model_version(), version);
}

void ForwardDriver::PollLoop(grpc::CompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    CallRecord record;
    record.done_ns = NowNs();
    record.intended_ns = call->intended_ns;
    record.code = static_cast<int32_t>(call->status.error_code());
    if (call->status.ok()) {
      uint64_t version = 0;
      if (!ResponseVersion(&call->response, &version)) {
        record.bad_response = true;
      } else {
        record.version_regressed = version < call->version_floor;
        versions_->Observe(version);
      }
    }
    const int lane = call->lane;
    call.reset();
    bool reissue;
    {
      absl::MutexLock lock(&mu_);
      records_.push_back(record);
      --inflight_;
      reissue = closed_loop_;
    }
    if (reissue) TryIssue(lane, NowNs());
  }
}

void ForwardDriver::DispatchLoop(std::unique_ptr<ArrivalSchedule> schedule) {
  const int64_t start_ns = NowNs();
  const int lanes = static_cast<int>(stubs_.size() * cqs_.size());
  for (int lane = 0;; lane = (lane + 1) % lanes) {
    const int64_t intended_ns = start_ns + schedule->NextOffsetNs();
    {
      absl::MutexLock lock(&mu_);
      if (intended_ns > NowNs()) {
        mu_.AwaitWithDeadline(
            absl::Condition(this, &ForwardDriver::IssuingStoppedLocked),
            SteadyToAbsl(intended_ns));
      }
      auto can_send = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !issuing_ || inflight_ < options_.max_inflight;
      };
      mu_.Await(absl::Condition(&can_send));
      if (!issuing_) return;
    }
    if (!TryIssue(lane, intended_ns)) return;
  }
}

}  // namespace brainserve::loadgen
