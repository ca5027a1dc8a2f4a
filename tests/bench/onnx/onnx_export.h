// Writes a chain of raw steps (the engine benchmark's derived network: see
// raw_onednn_chain.h) as an ONNX model, so ONNX Runtime can run the same
// function with the same weights as the engine and the raw oneDNN chain.
//
// The graph is what an exporter would write for a brainstate model:
// - a matmul step on a 2-D activation is one Gemm (x . W + b); on a 3-D
//   activation it is MatMul followed by Add;
// - LayerNorm is LayerNormalization over the last axis (opset 17);
// - ReLU is Relu;
// - a channels-last conv step is Transpose to channels-first, Conv (weights
//   (out, in, kernel)), Transpose back, because ONNX's Conv is channels-first.
// The batch axis is symbolic ("batch"), the other axes fixed. Derived weights
// (standardized, |W|) are initializers: ONNX Runtime would constant-fold them
// anyway. Stateless and thread-safe.
#ifndef BRAINSERVE_TESTS_BENCH_ONNX_ONNX_EXPORT_H_
#define BRAINSERVE_TESTS_BENCH_ONNX_ONNX_EXPORT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/bench/onnx/onnx_ir.pb.h"
#include "tests/bench/raw_onednn_chain.h"

namespace brainserve::bench {

// The ONNX opset the export targets (LayerNormalization needs 17).
inline constexpr int64_t kOnnxOpset = 17;

// The model computing `steps` on an input named "input" of shape
// [batch, *input_shape] into an output named "output". INVALID_ARGUMENT if
// the input shape is not 1-D or 2-D per sample, if a conv step meets a 1-D
// activation, or if a weight's size disagrees with the shapes.
absl::StatusOr<onnx::ModelProto> OnnxModelFromRawSteps(
    const std::vector<RawStep>& steps, const std::vector<int64_t>& input_shape,
    absl::string_view graph_name);

}  // namespace brainserve::bench

#endif  // BRAINSERVE_TESTS_BENCH_ONNX_ONNX_EXPORT_H_
