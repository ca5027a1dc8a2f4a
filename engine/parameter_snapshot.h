// An immutable, versioned set of parameter values, plus whatever the engine
// derived from them (standardized / signed / masked weights reordered for the
// primitives). Shared by shared_ptr<const ParameterSnapshot>; never mutated
// after publication, so any number of threads may read it.
#ifndef BRAINSERVE_ENGINE_PARAMETER_SNAPSHOT_H_
#define BRAINSERVE_ENGINE_PARAMETER_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/dense_tensor.h"

namespace brainserve::engine {

struct ParameterInfo {
  std::string layer;
  std::string name;
  std::vector<int64_t> shape;
};

class ParameterSnapshot {
 public:
  virtual ~ParameterSnapshot() = default;

  // 1 after creation; +1 per successful Model::Update().
  virtual uint64_t version() const = 0;

  // Parameter values in the order of Model::parameter_infos().
  virtual const std::vector<DenseTensor>& values() const = 0;

  // The value of (layer, name), or nullptr if there is no such parameter.
  virtual const DenseTensor* Find(absl::string_view layer,
                                  absl::string_view name) const = 0;
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_PARAMETER_SNAPSHOT_H_
