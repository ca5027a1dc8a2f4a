// A dense, row-major float32 tensor held by value.
#ifndef BRAINSERVE_ENGINE_DENSE_TENSOR_H_
#define BRAINSERVE_ENGINE_DENSE_TENSOR_H_

#include <cstdint>
#include <vector>

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

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_DENSE_TENSOR_H_
