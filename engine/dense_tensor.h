// A dense, row-major float32 tensor held by value, and its finiteness check.
#ifndef BRAINSERVE_ENGINE_DENSE_TENSOR_H_
#define BRAINSERVE_ENGINE_DENSE_TENSOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace brainserve::engine {

struct DenseTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // size == product of shape

  int64_t num_elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// INVALID_ARGUMENT naming `field` and the first offending index if any
// element of `tensor.data` is NaN or infinite.
absl::Status CheckAllFinite(const DenseTensor& tensor, absl::string_view field);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_DENSE_TENSOR_H_
