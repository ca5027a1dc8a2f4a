// The internal layer interface of the engine. A Layer is the validated,
// immutable structure of one LayerSpec (shapes, options, parameter
// definitions, cached primitives); parameter values and the weights derived
// from them live in the snapshot (LayerWeights), never in the layer.
//
// Lifecycle: a builder validates the spec and constructs the layer;
// FuseActivation() may absorb a following activation; Compile() creates the
// primitives that fix weight layouts; then PrepareWeights() (per parameter
// version) and Forward() (per pass) run, concurrently from many threads.
// Methods that touch oneDNN may throw dnnl::error; the Model converts it to
// a Status at its boundary.
#ifndef BRAINSERVE_ENGINE_LAYER_H_
#define BRAINSERVE_ENGINE_LAYER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/activation.h"
#include "engine/dense_tensor.h"
#include "engine/initializer.h"
#include "engine/layer_site.h"
#include "engine/precision.h"
#include "engine/shape.h"
#include "engine/workspace.h"

namespace brainserve::engine {

// Weights derived from one layer's parameters for one version (standardized,
// signed or masked, reordered for the primitive). Immutable once built.
class LayerWeights {
 public:
  virtual ~LayerWeights() = default;
  // The start of every buffer these weights hold, in a fixed order per
  // layer kind (e.g. packed weight layouts, then bias). Two LayerWeights
  // that return the same handle share that buffer; tests use it to check
  // what an update copied.
  virtual std::vector<const void*> DataHandles() const { return {}; }
};

// A parameter the layer owns: brainstate's name and shape, and how the
// initial value is created.
struct ParamDef {
  std::string name;
  Shape shape;
  ParamInit init;
};

struct CompileOptions {
  // Largest number of samples in one pass; plans are cached per pass size.
  int64_t max_rows_per_pass = 64;
  // OpenMP threads per Forward (EngineOptions::num_threads; 0 = default).
  int num_threads = 1;
  // Bytes the layers may still allocate for tables and derived weights
  // (EngineOptions::max_parameter_bytes less what earlier layers took); a
  // layer that would need more is refused with RESOURCE_EXHAUSTED before it
  // allocates them. 0 = no limit.
  int64_t max_table_bytes = 0;
  // The arithmetic of matmuls and convolutions (EngineOptions::precision).
  Precision precision = Precision::kFp32;
};

// Inputs of one pass over `rows` samples.
struct PassContext {
  Workspace* workspace = nullptr;
  int64_t rows = 0;
  // LayerNorm only: the statistics mask for these rows, dense in the layout
  // of the layer input ([rows, *input_shape]), or nullptr for no mask.
  const float* mask = nullptr;
};

class Layer {
 public:
  Layer(LayerSite site, Shape input_shape, Shape output_shape)
      : site_(std::move(site)),
        input_shape_(std::move(input_shape)),
        output_shape_(std::move(output_shape)),
        input_size_(NumElements(input_shape_)),
        output_size_(NumElements(output_shape_)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const LayerSite& site() const { return site_; }
  const std::string& name() const { return site_.name; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  int64_t input_size() const { return input_size_; }
  int64_t output_size() const { return output_size_; }
  const std::vector<ParamDef>& params() const { return params_; }

  // Floats of workspace the layer's Forward may use per sample of a pass
  // beyond its src and dst (e.g. a padded conv input, a LayerNorm gather),
  // an upper bound; what engine::Model::ForwardScratchBytes() adds up.
  virtual int64_t scratch_floats_per_row() const { return 0; }
  // Bytes the weights PrepareWeights() derives take beyond the parameters
  // themselves when they are not proportional to them (a LayerNorm's scale
  // and bias broadcast to the whole sample), an upper bound. The model counts
  // them with the parameters against EngineOptions::max_parameter_bytes
  // before any is allocated.
  virtual int64_t derived_weight_bytes() const { return 0; }
  // True for a LayerNorm (the only layer that accepts a Forward mask).
  virtual bool accepts_mask() const { return false; }
  // True if the layer computes nothing (an identity activation, or one
  // absorbed by the previous layer); the model skips it.
  virtual bool is_noop() const { return false; }
  // Absorbs `activation`, which directly follows this layer, into its output
  // (a oneDNN post-op). Returns false if it cannot.
  virtual bool FuseActivation(const Activation& activation) { return false; }
  // Creates the primitives that fix weight layouts. Called once, after
  // fusion, before PrepareWeights().
  virtual absl::Status Compile(const CompileOptions& options) {
    return absl::OkStatus();
  }
  // Derives this layer's weights from its parameter values (in params()
  // order, each of its declared shape). Null for layers without weights.
  virtual std::shared_ptr<const LayerWeights> PrepareWeights(
      absl::Span<const DenseTensor* const> values) const {
    return nullptr;
  }
  // Like PrepareWeights(), for a version in which only the parameters
  // flagged in `changed` (params() order) differ from those `previous` (this
  // layer's weights of the version before, possibly null) was derived from.
  // Layers whose derived weights split by parameter (a bias kept apart from
  // the packed weight) share the unchanged parts with `previous`, so a bias
  // update does not re-derive the weight. The default derives everything.
  virtual std::shared_ptr<const LayerWeights> UpdateWeights(
      absl::Span<const DenseTensor* const> values,
      const std::shared_ptr<const LayerWeights>& previous,
      absl::Span<const bool> changed) const {
    return PrepareWeights(values);
  }
  // An upper bound on the bytes UpdateWeights() allocates, kept or
  // transient (an effective-weight buffer, the packed layouts, a bias copy),
  // when the parameters flagged in `changed` (params() order) change: what
  // an update's admission counts before anything is prepared. The default,
  // for layers without derived weights, is 0.
  virtual int64_t DerivedWeightBytes(absl::Span<const bool> changed) const {
    return 0;
  }
  // Computes dst[rows, *output_shape] from src[rows, *input_shape]
  // (src != dst). Each output row depends only on its input row.
  virtual void Forward(const LayerWeights* weights, const float* src,
                       float* dst, const PassContext& context) const = 0;

 protected:
  // For UpdateWeights(): true when `changed` flags no parameter but the one
  // at `index` (params() order; -1 = none), e.g. a bias-only update.
  static bool OnlyChanged(absl::Span<const bool> changed, int index) {
    for (size_t p = 0; p < changed.size(); ++p) {
      if (changed[p] && static_cast<int>(p) != index) return false;
    }
    return index >= 0;
  }

  void AddParam(std::string name, Shape shape, ParamInit init) {
    params_.push_back(
        ParamDef{std::move(name), std::move(shape), std::move(init)});
  }

 private:
  const LayerSite site_;
  const Shape input_shape_;
  const Shape output_shape_;
  const int64_t input_size_;
  const int64_t output_size_;
  std::vector<ParamDef> params_;
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_LAYER_H_
