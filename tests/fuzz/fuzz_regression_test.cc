// Unit tests of what fuzzing found (tests/fuzz/README.md, "Findings"), one
// per finding, each reproducing the fuzzer's input. The inputs themselves
// are in the corpus as crash-* files, replayed by fuzz_corpus_test.
#include <cmath>
#include <cstdint>
#include <vector>

#include "client/host_tensor.h"
#include "client/json_tensor.h"
#include "engine/model.h"
#include "engine/shape.h"
#include "engine/tensor_codec.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "server/admission/admission.h"

namespace brainserve {
namespace {

v1::Tensor TensorOfShape(std::vector<int64_t> shape) {
  v1::Tensor tensor;
  tensor.mutable_shape()->Add(shape.begin(), shape.end());
  return tensor;
}

// Finding 1 (tensor_decode_fuzzer, crash-zero-dim-order.pb): the element
// count of a shape with a zero dim was refused as too large when large dims
// came before the zero, and accepted as 0 when they came after it, and the
// engine and the server disagreed on which (they share one codec now). A zero
// dim anywhere means no elements.
TEST(FuzzRegressionTest, ZeroDimMeansNoElementsWhereverItIs) {
  const std::vector<std::vector<int64_t>> shapes = {
      {1, 88080383, 1, 47, 0, 4, 4, 0, 3151356161499},  // the fuzzer's input
      {int64_t{1} << 31, 0},
      {0, int64_t{1} << 31},
      {int64_t{1} << 40, int64_t{1} << 40, 0},
      {0, INT64_MAX, INT64_MAX},
  };
  for (const auto& shape : shapes) {
    SCOPED_TRACE(engine::ShapeToString(shape));
    const v1::Tensor tensor = TensorOfShape(shape);
    absl::StatusOr<engine::DenseTensor> decoded =
        engine::DecodeTensor(tensor, "input");
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(decoded->data.empty());
    EXPECT_EQ(decoded->shape, shape);
  }
}

TEST(FuzzRegressionTest, NegativeAndOversizedShapesAreStillRefused) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{
           {-1, 0}, {0, -1}, {int64_t{1} << 40, int64_t{1} << 40}}) {
    SCOPED_TRACE(engine::ShapeToString(shape));
    const v1::Tensor tensor = TensorOfShape(shape);
    EXPECT_FALSE(engine::DecodeTensor(tensor, "input").ok());
    EXPECT_FALSE(client::FromProto(tensor).ok());
  }
}

// Finding 2 (tensor_decode_fuzzer, crash-client-zero-dim-overflow.pb): the
// client's NumElements called [12, 10, 38, 3940649673949183, 18, 4, 0, ...]
// an int64 overflow, so the client refused a tensor the server accepts.
TEST(FuzzRegressionTest, ClientCountsZeroDimShapesAsEmpty) {
  const std::vector<int64_t> shape = {12, 10, 38, 3940649673949183, 18,
                                      4,  0,  100, 8064};
  absl::StatusOr<int64_t> count = client::NumElements(shape);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 0);
  absl::StatusOr<client::HostTensor> decoded =
      client::FromProto(TensorOfShape(shape));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->values.empty());
  EXPECT_FALSE(client::NumElements({INT64_MAX, 2}).ok());
}

// Finding 3 (json_tensor_fuzzer, crash-negative-zero.json): -0 was written
// as "-0", which protobuf's JSON parser reads into a float field as +0, so
// FormatJsonTensor's output did not read back to the same tensor.
TEST(FuzzRegressionTest, NegativeZeroSurvivesAJsonTensorRoundTrip) {
  absl::StatusOr<client::HostTensor> parsed =
      client::ParseJsonTensor("[1e39, -0e31,0]");  // the fuzzer's input
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->values.size(), 3u);
  EXPECT_TRUE(std::isinf(parsed->values[0]));
  EXPECT_TRUE(std::signbit(parsed->values[1]));
  absl::StatusOr<client::HostTensor> again =
      client::ParseJsonTensor(client::FormatJsonTensor(*parsed));
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->values.size(), 3u);
  EXPECT_TRUE(std::isinf(again->values[0]));
  EXPECT_TRUE(std::signbit(again->values[1]));
  EXPECT_FALSE(std::signbit(again->values[2]));
  EXPECT_EQ(client::FormatFloat(-0.0f), "-0.0");
  EXPECT_EQ(client::FormatFloat(0.0f), "0");
}

// Finding 4 (model_spec_fuzzer, crash-layer-norm-derived-weights.pb, a
// timeout): a LayerNorm's scale and bias are broadcast to the whole sample
// when the snapshot is prepared, so three LayerNorms with [13] parameters on
// a sample of 110 million floats allocated gigabytes inside Model::Create,
// under every parameter limit. The derived weights now count against
// max_parameter_bytes before anything is prepared.
TEST(FuzzRegressionTest, LayerNormDerivedWeightsCountAgainstTheParameterLimit) {
  v1::ModelSpec spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: [ 5, 5, 5, 5, 18, 15, 50, 13 ]
           layers { layer_norm {} }
           layers { layer_norm {} }
           layers { layer_norm {} })pb",
      &spec));
  engine::EngineOptions options;
  options.max_parameter_bytes = int64_t{2} << 30;  // the server's default
  absl::StatusOr<std::unique_ptr<engine::Model>> model =
      engine::Model::Create(spec, 1, options);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(model.status().message(), ::testing::HasSubstr("tables"));

  // Small models are unaffected: [64] with a LayerNorm counts 512 bytes of
  // parameters and 1 KiB derived (scale and bias, each broadcast and
  // reordered).
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: 64 layers { layer_norm {} })pb", &spec));
  options.max_parameter_bytes = 512 + 1024;
  EXPECT_TRUE(engine::Model::Create(spec, 1, options).ok());
  options.max_parameter_bytes = 512 + 1023;
  EXPECT_EQ(engine::Model::Create(spec, 1, options).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Finding 5 (model_spec_fuzzer, crash-layer-norm-gather-table.pb, an
// out-of-memory): a LayerNorm reducing over a leading axis builds an int64
// gather order of its whole sample when the layer is constructed, before
// any limit was checked: malloc(5.6 GB) for a 708-million-float sample. The
// builder now refuses it against what the parameter limit leaves, first.
TEST(FuzzRegressionTest, LayerNormGatherTableIsRefusedBeforeItIsBuilt) {
  v1::ModelSpec spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: [ 109, 45, 109, 1, 53, 5, 5 ]
           layers { layer_norm { reduction_axes: 1 } }
           layers { activation { function: SILU } })pb",
      &spec));
  engine::EngineOptions options;
  options.max_parameter_bytes = int64_t{2} << 30;  // the server's default
  absl::StatusOr<std::unique_ptr<engine::Model>> model =
      engine::Model::Create(spec, 7, options);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(model.status().message(), ::testing::HasSubstr("gather"));

  // Many LayerNorms, each under the limit, share one budget.
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: [ 64, 64 ]
           layers { layer_norm { reduction_axes: 1 } }
           layers { layer_norm { reduction_axes: 1 } }
           layers { layer_norm { reduction_axes: 1 } })pb",
      &spec));
  // Each layer: scale and bias [64] (512 B) and 6 floats per sample element
  // of tables (96 KiB).
  options.max_parameter_bytes = 3 * (512 + 6 * 4096 * 4);
  EXPECT_TRUE(engine::Model::Create(spec, 7, options).ok());
  options.max_parameter_bytes = 2 * (512 + 6 * 4096 * 4) + 6 * 4096 * 4;
  EXPECT_EQ(engine::Model::Create(spec, 7, options).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Finding 6 (model_spec_fuzzer in CI, crash-linear-mask-broadcast.pb, an
// out-of-memory): a w_mask (or w_sign) is broadcast to the whole weight when
// the layer is built, before the parameter limit was checked, so a 60-byte
// request, [3] -> linear(190804734) with a [3, 1] mask, allocated 2.3 GB. The
// builder now refuses the broadcast against what the parameter limit
// leaves, and the broadcast factor counts against that limit.
TEST(FuzzRegressionTest, WeightFactorIsRefusedBeforeItIsBroadcast) {
  v1::ModelSpec spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: 3
           layers {
             linear {
               out_size: 190804734
               w_mask {
                 shape: [ 3, 1 ]
                 values: [ 1, 0, 1 ]
               }
             }
           })pb",
      &spec));
  engine::EngineOptions options;
  options.max_parameter_bytes = int64_t{2} << 30;  // the server's default
  absl::StatusOr<std::unique_ptr<engine::Model>> model =
      engine::Model::Create(spec, 7, options);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(model.status().message(),
              ::testing::HasSubstr(
                  "w_mask: broadcast to the weight shape [3, 190804734]"));

  // The same for the other layers with a factor: w_sign, and a conv mask.
  for (const char* text : {
           R"pb(input_shape: 3
                layers {
                  signed_w_linear {
                    out_size: 190804734
                    w_sign { shape: 1 values: -1 }
                  }
                })pb",
           R"pb(input_shape: [ 8, 3 ]
                layers {
                  scaled_ws_conv1d {
                    out_channels: 190804734
                    kernel_size: 1
                    w_mask { shape: 1 values: 1 }
                  }
                })pb"}) {
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec));
    model = engine::Model::Create(spec, 7, options);
    EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted)
        << model.status();
  }

  // A factor counts like the weight it is broadcast to: [16] ->
  // linear(16) with a mask holds 1 KiB of weight, 64 B of bias and 1 KiB of
  // mask.
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: 16
           layers { linear { out_size: 16 w_mask { shape: 1 values: 1 } } })pb",
      &spec));
  options.max_parameter_bytes = 1024 + 64 + 1024;
  EXPECT_TRUE(engine::Model::Create(spec, 7, options).ok());
  options.max_parameter_bytes = 1024 + 64 + 1023;
  EXPECT_EQ(engine::Model::Create(spec, 7, options).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Finding 7 (model_spec_fuzzer, crash-conv-lhs-dilation-timeout.pb, a
// timeout): [45, 2] -> scaled_ws_conv1d with lhs_dilation 42238 has an
// output of 1.86 million positions. Creating its oneDNN primitives (one per
// pass size) took 50 s of the admin thread before warm-up admission refused
// the model for its memory. Model::Create now calls the caller's admission
// (EngineOptions::admit_shapes) once the shapes are known, before it
// compiles anything; the server's warm-up admission runs there.
TEST(FuzzRegressionTest, AdmissionRunsBeforePrimitivesAreCreated) {
  v1::ModelSpec spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: [ 45, 2 ]
           layers {
             scaled_ws_conv1d {
               out_channels: 2
               kernel_size: 3
               padding { lo: 1 hi: 2 }
               lhs_dilation: 42238
             }
           })pb",
      &spec));
  server::admission::AdmissionLimits limits;  // the server's defaults
  engine::EngineOptions options;
  int calls = 0;
  int64_t output_size = 0;
  options.admit_shapes = [&](const engine::Model& shapes) {
    ++calls;
    output_size = shapes.output_sample_size();
    return server::admission::AdmitModelWarmup(limits, "conv", shapes, 64);
  };
  absl::StatusOr<std::unique_ptr<engine::Model>> model =
      engine::Model::Create(spec, 7, options);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(model.status().message(),
              ::testing::HasSubstr("a batch of 64 rows"));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(output_size, 2 * ((45 - 1) * 42238 + 1 + 1 + 2 - 3 + 1));

  // An admitted model is built and computes; a hook's own error is
  // Create()'s answer as it is.
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(input_shape: 8 layers { linear { out_size: 4 } })pb", &spec));
  calls = 0;
  model = engine::Model::Create(spec, 7, options);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(calls, 1);
  std::vector<float> input(8, 1.0f), output(4);
  EXPECT_TRUE((*model)
                  ->Forward(*(*model)->snapshot(), input.data(), 1,
                            engine::MaskMap(), output.data())
                  .ok());
  options.admit_shapes = [](const engine::Model&) {
    return absl::FailedPreconditionError("not now");
  };
  model = engine::Model::Create(spec, 7, options);
  EXPECT_EQ(model.status(), absl::FailedPreconditionError("not now"));
}

}  // namespace
}  // namespace brainserve
