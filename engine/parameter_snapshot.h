// An immutable, versioned set of parameter values, plus whatever the engine
// derived from them (standardized / signed / masked weights reordered for the
// primitives). Shared by shared_ptr<const ParameterSnapshot>; never mutated
// after publication, so any number of threads may read it.
//
// Copy-on-write: each parameter value is its own immutable tensor, held by
// shared_ptr. Consecutive snapshots share every value (and every layer's
// derived weights) that an update did not touch, so an update costs what it
// changes; a value stays alive as long as any snapshot (or caller) holds it.
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

  // Parameter values in the order of Model::parameter_infos(), each never
  // null. A value unchanged by an update is the same object (same storage)
  // in the snapshots before and after it.
  virtual const std::vector<std::shared_ptr<const DenseTensor>>& values()
      const = 0;

  // The value of parameter `i` (in parameter_infos() order).
  const DenseTensor& value(size_t i) const { return *values()[i]; }

  // The value of (layer, name), or nullptr if there is no such parameter.
  virtual const DenseTensor* Find(absl::string_view layer,
                                  absl::string_view name) const = 0;
};

// Deep copies of every value of `snapshot`, in parameter_infos() order (the
// form Model::Restore() and Model::Rebase() take).
inline std::vector<DenseTensor> CopyValues(const ParameterSnapshot& snapshot) {
  std::vector<DenseTensor> copies;
  copies.reserve(snapshot.values().size());
  for (const std::shared_ptr<const DenseTensor>& value : snapshot.values()) {
    copies.push_back(*value);
  }
  return copies;
}

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_PARAMETER_SNAPSHOT_H_
