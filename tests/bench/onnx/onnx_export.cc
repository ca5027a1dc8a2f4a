#include "tests/bench/onnx/onnx_export.h"

#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace brainserve::bench {
namespace {

// Appends nodes and initializers to one graph, naming every intermediate
// tensor "<prefix><n>".
class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto* graph) : graph_(graph) {}

  std::string Fresh(absl::string_view what) {
    return absl::StrCat(what, "_", next_++);
  }

  // A float32 initializer named `name` of shape `dims`.
  void Initializer(const std::string& name, const std::vector<int64_t>& dims,
                   const std::vector<float>& values) {
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->mutable_raw_data()->assign(reinterpret_cast<const char*>(values.data()),
                                  values.size() * sizeof(float));
  }

  onnx::NodeProto* Node(absl::string_view op,
                        const std::vector<std::string>& inputs,
                        const std::string& output) {
    onnx::NodeProto* node = graph_->add_node();
    node->set_op_type(std::string(op));
    node->set_name(absl::StrCat(op, "_", graph_->node_size()));
    for (const auto& in : inputs) node->add_input(in);
    node->add_output(output);
    return node;
  }

  static void Ints(onnx::NodeProto* node, absl::string_view name,
                   const std::vector<int64_t>& values) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  static void Int(onnx::NodeProto* node, absl::string_view name, int64_t v) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void Float(onnx::NodeProto* node, absl::string_view name, float v) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

 private:
  onnx::GraphProto* graph_;
  int next_ = 0;
};

void SetTensorType(onnx::ValueInfoProto* value, const std::string& name,
                   const std::vector<int64_t>& sample_shape) {
  value->set_name(name);
  auto* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  for (int64_t d : sample_shape) shape->add_dim()->set_dim_value(d);
}

absl::Status SizeError(int index, absl::string_view what, size_t got,
                       int64_t want) {
  return absl::InvalidArgumentError(
      absl::StrCat("onnx export: step ", index, ": ", what, " has ", got,
                   " values, the shapes need ", want));
}

}  // namespace

absl::StatusOr<onnx::ModelProto> OnnxModelFromRawSteps(
    const std::vector<RawStep>& steps, const std::vector<int64_t>& input_shape,
    absl::string_view graph_name) {
  if (input_shape.empty() || input_shape.size() > 2) {
    return absl::InvalidArgumentError(
        "onnx export: input_shape must be [features] or [length, channels]");
  }
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("brainserve-onnx-export");
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(std::string(graph_name));
  SetTensorType(graph->add_input(), "input", input_shape);

  GraphWriter w(graph);
  std::vector<int64_t> shape = input_shape;  // per sample
  std::string current = "input";
  for (int index = 0; index < static_cast<int>(steps.size()); ++index) {
    const RawStep& step = steps[index];
    const int64_t features = shape.back();
    if (const auto* mm = std::get_if<RawMatmulStep>(&step)) {
      if (static_cast<int64_t>(mm->weight.size()) !=
          features * mm->out_features) {
        return SizeError(index, "weight", mm->weight.size(),
                         features * mm->out_features);
      }
      if (!mm->bias.empty() &&
          static_cast<int64_t>(mm->bias.size()) != mm->out_features) {
        return SizeError(index, "bias", mm->bias.size(), mm->out_features);
      }
      const std::string weight = w.Fresh("weight");
      w.Initializer(weight, {features, mm->out_features}, mm->weight);
      std::string bias;
      if (!mm->bias.empty()) {
        bias = w.Fresh("bias");
        w.Initializer(bias, {mm->out_features}, mm->bias);
      }
      const std::string out = w.Fresh("linear");
      if (shape.size() == 1) {
        std::vector<std::string> inputs = {current, weight};
        if (!bias.empty()) inputs.push_back(bias);
        w.Node("Gemm", inputs, out);
      } else if (bias.empty()) {
        w.Node("MatMul", {current, weight}, out);
      } else {
        const std::string product = w.Fresh("matmul");
        w.Node("MatMul", {current, weight}, product);
        w.Node("Add", {product, bias}, out);
      }
      current = out;
      shape.back() = mm->out_features;
    } else if (const auto* ln = std::get_if<RawLayerNormStep>(&step)) {
      for (const auto* v : {&ln->scale, &ln->shift}) {
        if (!v->empty() && static_cast<int64_t>(v->size()) != features) {
          return SizeError(index, "layer norm scale/shift", v->size(),
                           features);
        }
      }
      const std::string scale = w.Fresh("ln_scale");
      w.Initializer(
          scale, {features},
          ln->scale.empty() ? std::vector<float>(features, 1.0f) : ln->scale);
      std::vector<std::string> inputs = {current, scale};
      if (!ln->shift.empty()) {
        inputs.push_back(w.Fresh("ln_bias"));
        w.Initializer(inputs.back(), {features}, ln->shift);
      }
      const std::string out = w.Fresh("layer_norm");
      onnx::NodeProto* node = w.Node("LayerNormalization", inputs, out);
      GraphWriter::Int(node, "axis", -1);
      GraphWriter::Float(node, "epsilon", ln->epsilon);
      current = out;
    } else if (std::holds_alternative<RawReluStep>(step)) {
      const std::string out = w.Fresh("relu");
      w.Node("Relu", {current}, out);
      current = out;
    } else if (const auto* conv = std::get_if<RawConv1dStep>(&step)) {
      if (shape.size() != 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            "onnx export: step ", index, ": a conv needs [length, channels]"));
      }
      const int64_t in = features, out_c = conv->out_channels,
                    k = conv->kernel_size;
      if (static_cast<int64_t>(conv->weight.size()) != k * in * out_c) {
        return SizeError(index, "conv weight", conv->weight.size(),
                         k * in * out_c);
      }
      // (kernel, in, out) row-major -> ONNX's (out, in, kernel).
      std::vector<float> oik(conv->weight.size());
      for (int64_t t = 0; t < k; ++t) {
        for (int64_t i = 0; i < in; ++i) {
          for (int64_t o = 0; o < out_c; ++o) {
            oik[(o * in + i) * k + t] = conv->weight[(t * in + i) * out_c + o];
          }
        }
      }
      const std::string weight = w.Fresh("conv_weight");
      w.Initializer(weight, {out_c, in, k}, oik);
      const std::string ncw = w.Fresh("to_channels_first");
      GraphWriter::Ints(w.Node("Transpose", {current}, ncw), "perm", {0, 2, 1});
      std::vector<std::string> inputs = {ncw, weight};
      if (!conv->bias.empty()) {
        if (static_cast<int64_t>(conv->bias.size()) != out_c) {
          return SizeError(index, "conv bias", conv->bias.size(), out_c);
        }
        inputs.push_back(w.Fresh("conv_bias"));
        w.Initializer(inputs.back(), {out_c}, conv->bias);
      }
      const std::string conv_out = w.Fresh("conv");
      onnx::NodeProto* node = w.Node("Conv", inputs, conv_out);
      GraphWriter::Ints(node, "kernel_shape", {k});
      GraphWriter::Ints(node, "strides", {conv->stride});
      GraphWriter::Ints(node, "pads", {conv->pad_lo, conv->pad_hi});
      const std::string out = w.Fresh("to_channels_last");
      GraphWriter::Ints(w.Node("Transpose", {conv_out}, out), "perm",
                        {0, 2, 1});
      current = out;
      const int64_t padded = shape[0] + conv->pad_lo + conv->pad_hi;
      shape = {(padded - k) / conv->stride + 1, out_c};
    }
  }
  // The last node writes the graph output by name.
  if (graph->node_size() == 0) {
    w.Node("Identity", {current}, "output");
  } else {
    graph->mutable_node(graph->node_size() - 1)->set_output(0, "output");
  }
  SetTensorType(graph->add_output(), "output", shape);
  return model;
}

}  // namespace brainserve::bench
