// inference.GRPCInferenceService (the Open Inference Protocol) against a real
// in-process server: every RPC, ModelInfer bitwise equal to Forward for both
// encodings at batch 1 and 7, every documented error with the field it
// names, the shared queue limit and deadline, and the ModelInfer metrics.
// The protocol client uses only the stubs generated from
// proto/inference/grpc_predict_v2.proto; brainserve's own stub serves as the
// reference (Forward) and to change the model (update, delete).
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/grpc_predict_v2.grpc.pb.h"
#include "tests/integration/small_model_fixture.h"
#include "tests/integration/test_server.h"

namespace brainserve::testing {
namespace {

using inference::GRPCInferenceService;
using inference::ModelInferRequest;
using inference::ModelInferResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class InferenceProtocolTest : public ModelServiceTest {
 protected:
  void SetUp() override {
    ModelServiceTest::SetUp();
    oip_ = GRPCInferenceService::NewStub(server_->channel());
  }

  grpc::Status Infer(const ModelInferRequest& request,
                     ModelInferResponse* response) {
    return oip_->ModelInfer(Context().get(), request, response);
  }

  // A typed (fp32_contents) or raw request for `model` of [rows, 4].
  static ModelInferRequest InferRequest(const std::vector<float>& values,
                                        int64_t rows, bool raw,
                                        const std::string& model = "small") {
    ModelInferRequest request;
    request.set_model_name(model);
    auto* input = request.add_inputs();
    input->set_name("input");
    input->set_datatype("FP32");
    input->add_shape(rows);
    input->add_shape(static_cast<int64_t>(values.size()) / rows);
    if (raw) {
      request.add_raw_input_contents(std::string(
          reinterpret_cast<const char*>(values.data()),
          values.size() * sizeof(float)));
    } else {
      input->mutable_contents()->mutable_fp32_contents()->Add(values.begin(),
                                                              values.end());
    }
    return request;
  }

  static std::vector<float> OutputData(const ModelInferResponse& response) {
    if (response.raw_output_contents_size() > 0) {
      const std::string& raw = response.raw_output_contents(0);
      std::vector<float> out(raw.size() / sizeof(float));
      std::memcpy(out.data(), raw.data(), raw.size());
      return out;
    }
    const auto& values = response.outputs(0).contents().fp32_contents();
    return std::vector<float>(values.begin(), values.end());
  }

  void ExpectInvalid(const ModelInferRequest& request,
                     const std::string& field) {
    ModelInferResponse response;
    ExpectStatus(Infer(request, &response),
                 grpc::StatusCode::INVALID_ARGUMENT, field);
  }

  std::unique_ptr<GRPCInferenceService::Stub> oip_;
};

// Bitwise, as uint32 patterns, so -0.0 and NaN payloads count too.
void ExpectBitwiseEqual(const std::vector<float>& a,
                        const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    uint32_t x, y;
    std::memcpy(&x, &a[i], 4);
    std::memcpy(&y, &b[i], 4);
    ASSERT_EQ(x, y) << "element " << i << ": " << a[i] << " vs " << b[i];
  }
}

TEST_F(InferenceProtocolTest, ServerLiveReadyAndMetadata) {
  inference::ServerLiveResponse live;
  ASSERT_TRUE(oip_->ServerLive(Context().get(), {}, &live).ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(oip_->ServerReady(Context().get(), {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
  inference::ServerMetadataResponse metadata;
  ASSERT_TRUE(oip_->ServerMetadata(Context().get(), {}, &metadata).ok());
  EXPECT_EQ(metadata.name(), "brainserve");
  EXPECT_EQ(metadata.version(), server_->server().options().version);
  EXPECT_THAT(metadata.extensions(), ElementsAre("binary_tensor_data"));
}

TEST_F(InferenceProtocolTest, ServerReadyTurnsFalseWhenDraining) {
  server_->server().EnterDraining();
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(oip_->ServerReady(Context().get(), {}, &ready).ok());
  EXPECT_FALSE(ready.ready());
  inference::ServerLiveResponse live;
  ASSERT_TRUE(oip_->ServerLive(Context().get(), {}, &live).ok());
  EXPECT_TRUE(live.live());
}

TEST_F(InferenceProtocolTest, ModelReadyFollowsTheModel) {
  auto model_ready = [&](const std::string& name, const std::string& version,
                         grpc::Status* status = nullptr) {
    inference::ModelReadyRequest request;
    request.set_name(name);
    request.set_version(version);
    inference::ModelReadyResponse response;
    grpc::Status local = oip_->ModelReady(Context().get(), request, &response);
    if (status != nullptr) *status = local;
    EXPECT_TRUE(status != nullptr || local.ok()) << local.error_message();
    return response.ready();
  };
  EXPECT_TRUE(model_ready("small", ""));
  EXPECT_TRUE(model_ready("small", "1"));
  EXPECT_FALSE(model_ready("small", "2"));  // not reached yet
  EXPECT_FALSE(model_ready("nope", ""));
  grpc::Status status;
  model_ready("", "", &status);
  ExpectStatus(status, grpc::StatusCode::INVALID_ARGUMENT, "name");
  model_ready("small", "v1", &status);
  ExpectStatus(status, grpc::StatusCode::INVALID_ARGUMENT, "version");

  v1::DeleteModelRequest del;
  del.set_name("small");
  v1::DeleteModelResponse deleted;
  ASSERT_TRUE(stub().DeleteModel(Context().get(), del, &deleted).ok());
  EXPECT_FALSE(model_ready("small", ""));
}

TEST_F(InferenceProtocolTest, ModelMetadataDescribesOneInputAndOneOutput) {
  inference::ModelMetadataRequest request;
  request.set_name("small");
  inference::ModelMetadataResponse metadata;
  ASSERT_TRUE(oip_->ModelMetadata(Context().get(), request, &metadata).ok());
  EXPECT_EQ(metadata.name(), "small");
  EXPECT_THAT(metadata.versions(), ElementsAre("1"));
  EXPECT_EQ(metadata.platform(), "brainserve");
  ASSERT_EQ(metadata.inputs_size(), 1);
  EXPECT_EQ(metadata.inputs(0).name(), "input");
  EXPECT_EQ(metadata.inputs(0).datatype(), "FP32");
  EXPECT_THAT(metadata.inputs(0).shape(), ElementsAre(-1, 4));
  ASSERT_EQ(metadata.outputs_size(), 1);
  EXPECT_EQ(metadata.outputs(0).name(), "output");
  EXPECT_EQ(metadata.outputs(0).datatype(), "FP32");
  EXPECT_THAT(metadata.outputs(0).shape(), ElementsAre(-1, 3));

  request.set_version("2");
  ExpectStatus(oip_->ModelMetadata(Context().get(), request, &metadata),
               grpc::StatusCode::FAILED_PRECONDITION, "version");
  request.set_version("");
  request.set_name("nope");
  ExpectStatus(oip_->ModelMetadata(Context().get(), request, &metadata),
               grpc::StatusCode::NOT_FOUND, "nope");
  request.set_name("bad name");
  ExpectStatus(oip_->ModelMetadata(Context().get(), request, &metadata),
               grpc::StatusCode::INVALID_ARGUMENT, "name");
}

TEST_F(InferenceProtocolTest, ModelInferEqualsForwardBitwise) {
  for (int64_t rows : {1, 7}) {
    for (bool raw : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "rows " << rows << " raw " << raw);
      const std::vector<float> x = RandomValues(rows * 4, 40 + rows);
      v1::ForwardResponse forward;
      ASSERT_TRUE(ForwardSmall(Input(raw ? RawTensor({rows, 4}, x)
                                         : ValuesTensor({rows, 4}, x)),
                               &forward)
                      .ok());
      ModelInferRequest request = InferRequest(x, rows, raw);
      request.set_id(absl::StrCat("req-", rows));
      ModelInferResponse response;
      ASSERT_TRUE(Infer(request, &response).ok());
      EXPECT_EQ(response.model_name(), "small");
      EXPECT_EQ(response.model_version(), "1");
      EXPECT_EQ(response.id(), absl::StrCat("req-", rows));
      ASSERT_EQ(response.outputs_size(), 1);
      EXPECT_EQ(response.outputs(0).name(), "output");
      EXPECT_EQ(response.outputs(0).datatype(), "FP32");
      EXPECT_THAT(response.outputs(0).shape(), ElementsAre(rows, 3));
      // Answered in the form it was asked in.
      EXPECT_EQ(response.raw_output_contents_size(), raw ? 1 : 0);
      EXPECT_EQ(response.outputs(0).contents().fp32_contents_size(),
                raw ? 0 : rows * 3);
      ExpectBitwiseEqual(OutputData(response), TensorData(forward.output()));
    }
  }
}

TEST_F(InferenceProtocolTest, NamingTheOutputIsAccepted) {
  ModelInferRequest request = InferRequest(RandomValues(4, 1), 1, true);
  request.add_outputs()->set_name("output");
  ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_EQ(OutputData(response).size(), 3u);
}

TEST_F(InferenceProtocolTest, ModelVersionIsTheParameterVersion) {
  v1::UpdateParametersRequest update;
  update.set_model("small");
  auto* bias = update.add_updates();
  bias->set_layer("head");
  bias->set_name("bias");
  bias->set_mode(v1::ParameterUpdate::ADD);
  *bias->mutable_value() = ValuesTensor({3}, {1, 1, 1});
  ASSERT_TRUE(Update(update).ok());  // version 2

  ModelInferRequest request = InferRequest(RandomValues(8, 2), 2, false);
  ModelInferResponse response;
  // Empty, an older version and the current one are answered by version 2.
  for (const char* version : {"", "1", "2"}) {
    request.set_model_version(version);
    ASSERT_TRUE(Infer(request, &response).ok()) << version;
    EXPECT_EQ(response.model_version(), "2");
    response.Clear();
  }
  // A version not applied yet is read-your-writes, like brainserve.v1's
  // min_version: the call waits for it until the client's deadline...
  request.set_model_version("3");
  ExpectStatus(
      oip_->ModelInfer(Context(absl::Milliseconds(300)).get(), request,
                       &response),
      grpc::StatusCode::DEADLINE_EXCEEDED,
      // The server's answer names model_version, but the client's own timer
      // may fire first; the message is checked over HTTP (http_test).
      "");
  // ...or is answered by the update that makes it.
  response.Clear();
  std::thread later([&] {
    absl::SleepFor(absl::Milliseconds(200));
    EXPECT_TRUE(Update(update).ok());  // version 3
  });
  grpc::Status waited = Infer(request, &response);
  later.join();
  ASSERT_TRUE(waited.ok()) << waited.error_message();
  EXPECT_EQ(response.model_version(), "3");
  request.set_model_version("latest");
  ExpectStatus(Infer(request, &response), grpc::StatusCode::INVALID_ARGUMENT,
               "model_version");
}

TEST_F(InferenceProtocolTest, BadRequestsAreRejectedNamingTheField) {
  const std::vector<float> x = RandomValues(8, 3);
  ModelInferResponse response;

  ModelInferRequest unknown = InferRequest(x, 2, false, "nope");
  ExpectStatus(Infer(unknown, &response), grpc::StatusCode::NOT_FOUND, "nope");
  ExpectInvalid(InferRequest(x, 2, false, "bad/name"), "model_name");

  ModelInferRequest datatype = InferRequest(x, 2, false);
  datatype.mutable_inputs(0)->set_datatype("INT32");
  ExpectInvalid(datatype, "inputs[0].datatype");

  ModelInferRequest fp64 = InferRequest(x, 2, false);
  fp64.mutable_inputs(0)->set_datatype("FP64");
  ExpectInvalid(fp64, "inputs[0].datatype: 'FP64'");

  ModelInferRequest two_inputs = InferRequest(x, 2, false);
  *two_inputs.add_inputs() = two_inputs.inputs(0);
  ExpectInvalid(two_inputs, "inputs: 2 tensors");

  ModelInferRequest no_inputs = InferRequest(x, 2, false);
  no_inputs.clear_inputs();
  ExpectInvalid(no_inputs, "inputs: 0 tensors");

  ModelInferRequest input_name = InferRequest(x, 2, false);
  input_name.mutable_inputs(0)->set_name("x");
  ExpectInvalid(input_name, "inputs[0].name");

  ModelInferRequest output_name = InferRequest(x, 2, false);
  output_name.add_outputs()->set_name("logits");
  ExpectInvalid(output_name, "outputs[0].name: 'logits'");

  ExpectInvalid(InferRequest(x, 1, false), "inputs[0].shape: [1, 8]");
  ModelInferRequest batch0 = InferRequest(x, 2, false);
  batch0.mutable_inputs(0)->set_shape(0, 0);
  ExpectInvalid(batch0, "inputs[0].shape[0]");

  ModelInferRequest huge = InferRequest(x, 2, true);
  huge.mutable_inputs(0)->set_shape(0, int64_t{1} << 62);
  ExpectInvalid(huge, "inputs[0].shape[0]: batch size");

  ModelInferRequest short_values = InferRequest(x, 2, false);
  short_values.mutable_inputs(0)->mutable_contents()->mutable_fp32_contents()
      ->RemoveLast();
  ExpectInvalid(short_values, "inputs[0].contents.fp32_contents: 7 elements");

  ModelInferRequest short_raw = InferRequest(x, 2, true);
  short_raw.mutable_raw_input_contents(0)->pop_back();
  ExpectInvalid(short_raw, "raw_input_contents[0]: 31 bytes");

  ModelInferRequest two_raw = InferRequest(x, 2, true);
  two_raw.add_raw_input_contents("");
  ExpectInvalid(two_raw, "raw_input_contents: 2 entries");

  ModelInferRequest both = InferRequest(x, 2, true);
  both.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
  ExpectInvalid(both, "inputs[0].contents");

  ModelInferRequest ints = InferRequest(x, 2, false);
  ints.mutable_inputs(0)->mutable_contents()->add_int_contents(1);
  ExpectInvalid(ints, "inputs[0].contents.int_contents");
}

TEST_F(InferenceProtocolTest, RecordedAsModelInfer) {
  ModelInferResponse response;
  ASSERT_TRUE(Infer(InferRequest(RandomValues(4, 5), 1, true), &response).ok());
  ModelInferRequest bad = InferRequest(RandomValues(4, 5), 1, true);
  bad.mutable_inputs(0)->set_datatype("INT8");
  ASSERT_FALSE(Infer(bad, &response).ok());
  const std::string scrape = server_->Scrape();
  EXPECT_EQ(MetricValue(scrape, "brainserve_requests_total",
                        {{"model", "small"},
                         {"method", "ModelInfer"},
                         {"code", "OK"}}),
            1);
  EXPECT_EQ(MetricValue(scrape, "brainserve_requests_total",
                        {{"model", "small"},
                         {"method", "ModelInfer"},
                         {"code", "INVALID_ARGUMENT"}}),
            1);
  EXPECT_EQ(MetricValue(scrape, "brainserve_batch_size_count",
                        {{"model", "small"}}),
            1);
}

// The same scheduler as Forward: its queue bound and the client's deadline.
v1::CreateModelRequest SlowQueueModel(const std::string& name,
                                      int64_t max_queue_size) {
  auto request = CreateRequestFromJson(kSmallMlp);
  request.set_name(name);
  request.mutable_batching()->set_max_batch_size(64);
  request.mutable_batching()->set_max_queue_delay_us(1'000'000);
  request.mutable_batching()->set_max_queue_size(max_queue_size);
  return request;
}

TEST_F(InferenceProtocolTest, FullQueueIsResourceExhausted) {
  ASSERT_TRUE(CreateModel(stub(), SlowQueueModel("tiny", 2)).ok());
  constexpr int kBurst = 10;
  std::vector<grpc::Status> statuses(kBurst);
  std::vector<std::thread> clients;
  for (int i = 0; i < kBurst; ++i) {
    clients.emplace_back([&, i] {
      ModelInferResponse response;
      statuses[i] = Infer(InferRequest(RandomValues(4, i), 1, i % 2 == 0, "tiny"),
                          &response);
    });
  }
  for (auto& t : clients) t.join();
  int ok = 0, exhausted = 0;
  for (const grpc::Status& status : statuses) {
    if (status.ok()) ++ok;
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_THAT(status.error_message(), HasSubstr("max_queue_size"));
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(exhausted, kBurst - 2);
}

TEST_F(InferenceProtocolTest, DeadlinePassingWhileQueuedIsDeadlineExceeded) {
  auto request = SlowQueueModel("patient", 16);
  request.mutable_batching()->set_max_queue_delay_us(3'000'000);
  ASSERT_TRUE(CreateModel(stub(), request).ok());
  ModelInferResponse response;
  const grpc::Status status = oip_->ModelInfer(
      Context(absl::Milliseconds(300)).get(),
      InferRequest(RandomValues(4, 1), 1, false, "patient"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

}  // namespace
}  // namespace brainserve::testing
