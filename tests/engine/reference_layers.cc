#include "tests/engine/reference_layers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace brainserve::engine::testing {

std::vector<double> ReferenceWS(const std::vector<float>& w, int64_t rows,
                                int64_t cols, double eps,
                                const std::vector<float>* gain) {
  std::vector<double> out(w.size());
  for (int64_t j = 0; j < cols; ++j) {
    double mean = 0;
    for (int64_t i = 0; i < rows; ++i) mean += w[i * cols + j];
    mean /= rows;
    double var = 0;
    for (int64_t i = 0; i < rows; ++i) {
      var += (w[i * cols + j] - mean) * (w[i * cols + j] - mean);
    }
    var /= rows;
    double s = 1 / std::sqrt(std::max(var * rows, eps));
    if (gain != nullptr) s *= (*gain)[j];
    for (int64_t i = 0; i < rows; ++i) {
      out[i * cols + j] = w[i * cols + j] * s - mean * s;
    }
  }
  return out;
}

std::vector<double> ReferenceConv(const ConvConfig& c,
                                  const std::vector<float>& x,
                                  const std::vector<double>& w_hat,
                                  const std::vector<float>& bias) {
  auto in = [&](int64_t j, int64_t ch) {
    return c.channel_first ? x[ch * c.length + j] : x[j * c.cin + ch];
  };
  const int64_t ld = (c.length - 1) * c.lhs_dilation + 1;
  const int64_t lp = ld + c.lo + c.hi;
  const int64_t ke = (c.kernel - 1) * c.rhs_dilation + 1;
  const int64_t lout = lp < ke ? 0 : (lp - ke) / c.stride + 1;
  // xp[p] from the formulas of layer-semantics.md 6.4.
  auto xp = [&](int64_t p, int64_t ch) -> double {
    const int64_t j = p - c.lo;
    if (j < 0 || j >= ld || j % c.lhs_dilation != 0) return 0.0;
    return in(j / c.lhs_dilation, ch);
  };
  const int64_t cg = c.cin / c.groups;
  const int64_t og = c.cout / c.groups;
  std::vector<double> y(lout * c.cout);
  for (int64_t t = 0; t < lout; ++t) {
    for (int64_t o = 0; o < c.cout; ++o) {
      const int64_t g = o / og;
      double acc = 0;
      for (int64_t k = 0; k < c.kernel; ++k) {
        for (int64_t ch = 0; ch < cg; ++ch) {
          acc += xp(t * c.stride + k * c.rhs_dilation, g * cg + ch) *
                 w_hat[(k * cg + ch) * c.cout + o];
        }
      }
      if (!bias.empty()) acc += bias[o];
      y[c.channel_first ? o * lout + t : t * c.cout + o] = acc;
    }
  }
  return y;
}

std::vector<double> ReferenceLayerNorm(const std::vector<int64_t>& shape,
                                       const std::vector<int64_t>& reduced,
                                       const std::vector<float>& x,
                                       const std::vector<float>& mask,
                                       double eps, bool fast_variance,
                                       const std::vector<float>& scale,
                                       const std::vector<float>& bias) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  // Group key of an element: its index with the reduced axes zeroed.
  auto key = [&](int64_t flat) {
    int64_t k = 0;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t i = (flat / strides[d]) % shape[d];
      if (std::find(reduced.begin(), reduced.end(), d) == reduced.end()) {
        k += i * strides[d];
      }
    }
    return k;
  };
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<double> y(n);
  for (int64_t e = 0; e < n; ++e) {
    const int64_t k = key(e);
    double sum = 0, sq = 0, cnt = 0;
    for (int64_t f = 0; f < n; ++f) {
      if (key(f) != k || (!mask.empty() && mask[f] == 0)) continue;
      sum += x[f];
      sq += static_cast<double>(x[f]) * x[f];
      cnt += 1;
    }
    const double mean = sum / cnt;  // NaN for an empty group
    double var;
    if (fast_variance) {
      var = std::max(0.0, sq / cnt - mean * mean);
      if (cnt == 0) var = std::numeric_limits<double>::quiet_NaN();
    } else {
      double dev = 0;
      for (int64_t f = 0; f < n; ++f) {
        if (key(f) != k || (!mask.empty() && mask[f] == 0)) continue;
        dev += (x[f] - mean) * (x[f] - mean);
      }
      var = dev / cnt;
    }
    double v = (x[e] - mean) / std::sqrt(var + eps);
    if (!scale.empty()) v *= scale[e];
    if (!bias.empty()) v += bias[e];
    y[e] = v;
  }
  return y;
}

}  // namespace brainserve::engine::testing
