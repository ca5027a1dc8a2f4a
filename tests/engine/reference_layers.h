// Naive double-precision reference implementations of the layer formulas in
// layer-semantics.md, written independently of the engine, for option
// combinations the golden file does not cover.
#ifndef BRAINSERVE_TESTS_ENGINE_REFERENCE_LAYERS_H_
#define BRAINSERVE_TESTS_ENGINE_REFERENCE_LAYERS_H_

#include <cstdint>
#include <vector>

namespace brainserve::engine::testing {

// weight_standardization over a (rows, cols) view (stats per column).
std::vector<double> ReferenceWS(const std::vector<float>& w, int64_t rows,
                                int64_t cols, double eps,
                                const std::vector<float>* gain);

struct ConvConfig {
  int64_t length, cin, cout, kernel, stride, lhs_dilation, rhs_dilation, groups,
      lo, hi;
  bool channel_first;
};

// y for one sample; x is (L, Cin) or (Cin, L); w_hat is (K, Cin/G, Cout);
// bias has Cout values or is empty. Output (Lout, Cout) or (Cout, Lout).
std::vector<double> ReferenceConv(const ConvConfig& c,
                                  const std::vector<float>& x,
                                  const std::vector<double>& w_hat,
                                  const std::vector<float>& bias);

// LayerNorm of one sample of shape `shape` over per-sample axes `reduced`;
// `mask` (same size, or empty), scale / bias already broadcast to the sample
// (or empty).
std::vector<double> ReferenceLayerNorm(const std::vector<int64_t>& shape,
                                       const std::vector<int64_t>& reduced,
                                       const std::vector<float>& x,
                                       const std::vector<float>& mask,
                                       double eps, bool fast_variance,
                                       const std::vector<float>& scale,
                                       const std::vector<float>& bias);

}  // namespace brainserve::engine::testing

#endif  // BRAINSERVE_TESTS_ENGINE_REFERENCE_LAYERS_H_
