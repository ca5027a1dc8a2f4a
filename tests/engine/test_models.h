// Model specs shared by the engine tests: the benchmark workloads W1-W3 of
// the engine issue, built from protobuf text.
#ifndef BRAINSERVE_TESTS_ENGINE_TEST_MODELS_H_
#define BRAINSERVE_TESTS_ENGINE_TEST_MODELS_H_

#include <string>

#include "absl/status/status.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/model.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace brainserve::engine::testing {

inline brainserve::v1::ModelSpec ParseSpec(const std::string& text) {
  brainserve::v1::ModelSpec spec;
  if (!google::protobuf::TextFormat::ParseFromString(text, &spec)) spec.Clear();
  return spec;
}

// An invalid spec (protobuf text) and a text its error message must contain.
struct InvalidCase {
  const char* name;
  const char* spec;
  const char* field;  // must appear in the message
};

// Model::Create must reject `c.spec` with INVALID_ARGUMENT naming `c.field`.
inline void ExpectRejected(const InvalidCase& c) {
  const brainserve::v1::ModelSpec spec = ParseSpec(c.spec);
  ASSERT_TRUE(spec.input_shape_size() > 0 ||
              std::string(c.spec).find("input_shape") == std::string::npos)
      << c.name << ": the test spec does not parse";
  auto model = Model::Create(spec, 0);
  ASSERT_FALSE(model.ok()) << c.name;
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument)
      << c.name << ": " << model.status();
  EXPECT_THAT(std::string(model.status().message()),
              ::testing::HasSubstr(c.field))
      << c.name;
}

// W1: 64 -> Linear(64) -> LayerNorm -> ReLU -> Linear(10).
inline brainserve::v1::ModelSpec W1Spec() {
  return ParseSpec(R"pb(
    input_shape: 64
    layers {
      name: "fc1"
      linear { out_size: 64 }
    }
    layers {
      name: "norm"
      layer_norm {}
    }
    layers {
      name: "relu"
      activation { function: RELU }
    }
    layers {
      name: "head"
      linear { out_size: 10 }
    }
  )pb");
}

// W2: 1024 -> ScaledWSLinear(1024) -> LayerNorm -> ReLU ->
// SignedWLinear(1024) -> Linear(256).
inline brainserve::v1::ModelSpec W2Spec() {
  return ParseSpec(R"pb(
    input_shape: 1024
    layers {
      name: "ws"
      scaled_ws_linear { out_size: 1024 }
    }
    layers {
      name: "norm"
      layer_norm {}
    }
    layers {
      name: "relu"
      activation { function: RELU }
    }
    layers {
      name: "signed"
      signed_w_linear { out_size: 1024 }
    }
    layers {
      name: "head"
      linear { out_size: 256 }
    }
  )pb");
}

// W3: (128, 64) -> ScaledWSConv1d(64, k=5) -> LayerNorm -> ReLU ->
// ScaledWSConv1d(64, k=3, stride 2) -> Linear(16).
inline brainserve::v1::ModelSpec W3Spec() {
  return ParseSpec(R"pb(
    input_shape: [ 128, 64 ]
    layers {
      name: "conv1"
      scaled_ws_conv1d { out_channels: 64 kernel_size: 5 }
    }
    layers {
      name: "norm"
      layer_norm {}
    }
    layers {
      name: "relu"
      activation { function: RELU }
    }
    layers {
      name: "conv2"
      scaled_ws_conv1d { out_channels: 64 kernel_size: 3 stride: 2 }
    }
    layers {
      name: "head"
      linear { out_size: 16 }
    }
  )pb");
}

}  // namespace brainserve::engine::testing

#endif  // BRAINSERVE_TESTS_ENGINE_TEST_MODELS_H_
