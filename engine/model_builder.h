// Turns a ModelSpec into the validated, compiled layer sequence of a model:
// checks the input shape and layer names, builds each layer against the
// previous layer's output shape (INVALID_ARGUMENT naming the layer and
// field on any error), fuses activations into the preceding matmul /
// convolution where oneDNN has the post-op, and compiles the primitives.
#ifndef BRAINSERVE_ENGINE_MODEL_BUILDER_H_
#define BRAINSERVE_ENGINE_MODEL_BUILDER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/layer.h"

namespace brainserve::engine {

// Layers in spec order (activations absorbed by fusion stay in the list and
// report is_noop()). An empty spec.layers gives an empty list (identity).
absl::StatusOr<std::vector<std::unique_ptr<Layer>>> BuildLayers(
    const brainserve::v1::ModelSpec& spec, const CompileOptions& options);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_MODEL_BUILDER_H_
