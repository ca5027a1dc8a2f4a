// Turns a ModelSpec into the validated, compiled layer sequence of a model:
// checks the input shape and layer names, builds each layer against the
// previous layer's output shape (INVALID_ARGUMENT naming the layer and
// field on any error), fuses activations into the preceding matmul /
// convolution where oneDNN has the post-op; then, separately, compiles the
// primitives (so the caller can admit the model by its shapes in between).
#ifndef BRAINSERVE_ENGINE_MODEL_BUILDER_H_
#define BRAINSERVE_ENGINE_MODEL_BUILDER_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/layer.h"

namespace brainserve::engine {

// Layers in spec order (activations absorbed by fusion stay in the list and
// report is_noop()), not yet compiled. An empty spec.layers gives an empty
// list (identity).
absl::StatusOr<std::vector<std::unique_ptr<Layer>>> BuildLayers(
    const brainserve::v1::ModelSpec& spec, const CompileOptions& options);

// Layer::Compile() on each layer built by BuildLayers(), in order; an error
// names the layer.
absl::Status CompileLayers(absl::Span<const std::unique_ptr<Layer>> layers,
                           const CompileOptions& options);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_MODEL_BUILDER_H_
