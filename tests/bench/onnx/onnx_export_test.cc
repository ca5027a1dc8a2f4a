// The ONNX export of the benchmark tooling: the graph, weights, attributes
// and shapes it writes, and its errors. That ONNX Runtime computes the
// engine's function from it is checked, element by element, every time
// tests/bench/run_ort_compare.sh runs (ort_bench.mjs refuses a mismatch).
#include "tests/bench/onnx/onnx_export.h"

#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brainserve::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<float> Iota(int64_t n, float start = 0.5f) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i);
  return v;
}

const onnx::TensorProto* FindInitializer(const onnx::GraphProto& g,
                                         const std::string& name) {
  for (const auto& t : g.initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

std::vector<float> Values(const onnx::TensorProto& t) {
  std::vector<float> v(t.raw_data().size() / sizeof(float));
  std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
  return v;
}

std::vector<std::string> OpTypes(const onnx::GraphProto& g) {
  std::vector<std::string> ops;
  for (const auto& n : g.node()) ops.push_back(n.op_type());
  return ops;
}

const onnx::AttributeProto* Attribute(const onnx::NodeProto& node,
                                      const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::vector<std::string> Dims(const onnx::ValueInfoProto& v) {
  std::vector<std::string> dims;
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    dims.push_back(d.has_dim_param() ? d.dim_param()
                                     : std::to_string(d.dim_value()));
  }
  return dims;
}

TEST(OnnxExportTest, MlpIsGemmLayerNormReluWithTheWeightsAsGiven) {
  RawMatmulStep fc{3, Iota(4 * 3), {0.1f, 0.2f, 0.3f}};
  RawLayerNormStep ln;
  ln.epsilon = 1e-5f;  // no scale: the export writes ones
  auto model = OnnxModelFromRawSteps({fc, ln, RawReluStep{}}, {4}, "mlp");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->ir_version(), 8);
  ASSERT_EQ(model->opset_import_size(), 1);
  EXPECT_EQ(model->opset_import(0).version(), kOnnxOpset);
  const onnx::GraphProto& g = model->graph();
  EXPECT_THAT(OpTypes(g), ElementsAre("Gemm", "LayerNormalization", "Relu"));
  EXPECT_THAT(Dims(g.input(0)), ElementsAre("batch", "4"));
  EXPECT_THAT(Dims(g.output(0)), ElementsAre("batch", "3"));
  EXPECT_EQ(g.node(0).input(0), "input");
  EXPECT_EQ(g.node(2).output(0), "output");
  // Each node reads the one before it.
  EXPECT_EQ(g.node(1).input(0), g.node(0).output(0));
  EXPECT_EQ(g.node(2).input(0), g.node(1).output(0));

  const onnx::TensorProto* w = FindInitializer(g, g.node(0).input(1));
  ASSERT_NE(w, nullptr);
  EXPECT_THAT(w->dims(), ElementsAre(4, 3));
  EXPECT_EQ(w->data_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(Values(*w), fc.weight);
  const onnx::TensorProto* b = FindInitializer(g, g.node(0).input(2));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Values(*b), fc.bias);

  const onnx::NodeProto& norm = g.node(1);
  ASSERT_EQ(norm.input_size(), 2);  // no shift
  EXPECT_EQ(Values(*FindInitializer(g, norm.input(1))),
            std::vector<float>(3, 1.0f));
  ASSERT_NE(Attribute(norm, "axis"), nullptr);
  EXPECT_EQ(Attribute(norm, "axis")->i(), -1);
  EXPECT_FLOAT_EQ(Attribute(norm, "epsilon")->f(), 1e-5f);
}

TEST(OnnxExportTest, ChannelsLastConvIsTransposedAroundAChannelsFirstConv) {
  // input [length 10, 2 channels]; kernel 3, stride 2, pads (0, 1) -> 5 x 4.
  RawConv1dStep conv;
  conv.out_channels = 4;
  conv.kernel_size = 3;
  conv.stride = 2;
  conv.pad_lo = 0;
  conv.pad_hi = 1;
  conv.weight = Iota(3 * 2 * 4);  // (kernel, in, out)
  conv.bias = {1, 2, 3, 4};
  RawMatmulStep fc{5, Iota(4 * 5), {}};  // on [5, 4]: MatMul, no Add
  auto model = OnnxModelFromRawSteps({conv, fc}, {10, 2}, "conv");
  ASSERT_TRUE(model.ok()) << model.status();
  const onnx::GraphProto& g = model->graph();
  EXPECT_THAT(OpTypes(g),
              ElementsAre("Transpose", "Conv", "Transpose", "MatMul"));
  EXPECT_THAT(Attribute(g.node(0), "perm")->ints(), ElementsAre(0, 2, 1));
  EXPECT_THAT(Attribute(g.node(2), "perm")->ints(), ElementsAre(0, 2, 1));
  const onnx::NodeProto& c = g.node(1);
  EXPECT_THAT(Attribute(c, "kernel_shape")->ints(), ElementsAre(3));
  EXPECT_THAT(Attribute(c, "strides")->ints(), ElementsAre(2));
  EXPECT_THAT(Attribute(c, "pads")->ints(), ElementsAre(0, 1));
  const onnx::TensorProto* w = FindInitializer(g, c.input(1));
  ASSERT_NE(w, nullptr);
  EXPECT_THAT(w->dims(), ElementsAre(4, 2, 3));  // (out, in, kernel)
  const std::vector<float> oik = Values(*w);
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 2; ++i) {
      for (int o = 0; o < 4; ++o) {
        EXPECT_EQ(oik[(o * 2 + i) * 3 + t], conv.weight[(t * 2 + i) * 4 + o])
            << "t=" << t << " i=" << i << " o=" << o;
      }
    }
  }
  EXPECT_EQ(Values(*FindInitializer(g, c.input(2))), conv.bias);
  EXPECT_THAT(Dims(g.output(0)), ElementsAre("batch", "5", "5"));
  EXPECT_EQ(g.node(3).output(0), "output");
}

TEST(OnnxExportTest, ABiasOnA3dActivationIsMatMulThenAdd) {
  RawMatmulStep fc{2, Iota(3 * 2), {7, 8}};
  auto model = OnnxModelFromRawSteps({fc}, {5, 3}, "seq");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_THAT(OpTypes(model->graph()), ElementsAre("MatMul", "Add"));
  EXPECT_THAT(Dims(model->graph().output(0)), ElementsAre("batch", "5", "2"));
}

TEST(OnnxExportTest, SerializesAndParsesBack) {
  RawMatmulStep fc{3, Iota(4 * 3), {}};
  auto model = OnnxModelFromRawSteps({fc}, {4}, "m");
  ASSERT_TRUE(model.ok()) << model.status();
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(model->SerializeAsString()));
  EXPECT_EQ(parsed.graph().name(), "m");
  EXPECT_EQ(Values(parsed.graph().initializer(0)), fc.weight);
}

TEST(OnnxExportTest, NoStepsIsAnIdentity) {
  auto model = OnnxModelFromRawSteps({}, {4}, "id");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_THAT(OpTypes(model->graph()), ElementsAre("Identity"));
  EXPECT_EQ(model->graph().node(0).output(0), "output");
}

TEST(OnnxExportTest, RejectsShapesItCannotWrite) {
  auto no_input = OnnxModelFromRawSteps({}, {}, "x");
  EXPECT_EQ(no_input.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_input.status().message(), HasSubstr("input_shape"));

  RawMatmulStep short_weight{3, Iota(5), {}};
  auto bad_weight = OnnxModelFromRawSteps({short_weight}, {4}, "x");
  EXPECT_EQ(bad_weight.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_weight.status().message(), HasSubstr("weight has 5 values"));

  RawConv1dStep conv;
  conv.out_channels = 1;
  conv.weight = Iota(4);
  auto flat_conv = OnnxModelFromRawSteps({conv}, {4}, "x");
  EXPECT_EQ(flat_conv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(flat_conv.status().message(), HasSubstr("[length, channels]"));

  RawLayerNormStep ln;
  ln.scale = Iota(2);
  auto bad_scale = OnnxModelFromRawSteps({ln}, {4}, "x");
  EXPECT_EQ(bad_scale.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_scale.status().message(), HasSubstr("scale/shift"));
}

}  // namespace
}  // namespace brainserve::bench
