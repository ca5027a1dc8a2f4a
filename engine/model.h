// Public interface of the brainserve inference engine.
//
// A Model is an immutable network structure (built and validated from a
// brainserve.v1.ModelSpec) plus a current, versioned ParameterSnapshot that is
// swapped atomically by Update(). Forward() computes with one snapshot from
// start to end, so a caller that holds a snapshot never sees a half-applied
// update.
//
// Thread safety: every const method may be called concurrently from any
// number of threads. Update() may run concurrently with Forward(); updates are
// serialized among themselves. No dnnl::error escapes: failures are Status.
#ifndef BRAINSERVE_ENGINE_MODEL_H_
#define BRAINSERVE_ENGINE_MODEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brainserve/v1/layers.pb.h"
#include "engine/dense_tensor.h"
#include "engine/forward_mask.h"
#include "engine/parameter_snapshot.h"
#include "engine/precision.h"

namespace brainserve::engine {

class Model;

struct EngineOptions {
  // OpenMP threads one Forward() call may use. 0 = leave OpenMP's default.
  int num_threads = 1;
  // Forward() runs a batch in passes of at most this many samples. oneDNN
  // primitives are created once per distinct pass size (on first use, or by
  // Warmup()), so this also bounds the primitive cache of each layer.
  int64_t max_rows_per_pass = 64;
  // The arithmetic of the matmuls and convolutions (engine/precision.h).
  // Create() and Restore() fail with UNIMPLEMENTED, naming `precision`, on
  // a CPU that has no kernels for it.
  Precision precision = Precision::kFp32;
  // Create() fails with RESOURCE_EXHAUSTED, before allocating anything, if
  // one parameter snapshot would need more bytes (float32). 0 = no limit.
  int64_t max_parameter_bytes = 0;
  // If set, Create() calls it once the model's shapes are known and before
  // any oneDNN primitive is created or any parameter allocated (creating
  // the primitives takes time in proportion to the layer sizes: seconds for
  // a sample of millions of floats). The model passed may only be asked its
  // shapes, sizes and costs (input_sample_size(), ForwardScratchBytes(),
  // parameter_bytes(), ...); a non-OK status is Create()'s answer, as is.
  // The server admits the model's batches by cost here.
  std::function<absl::Status(const Model&)> admit_shapes;
};

enum class UpdateMode { kReplace, kAdd };

// One parameter change inside an atomic Update().
struct ParameterUpdate {
  std::string layer;
  std::string name;
  UpdateMode mode = UpdateMode::kReplace;
  DenseTensor value;  // must have exactly the parameter's shape
};

// Called by Update() once the next snapshot is completely prepared and before
// it is published, with that snapshot's version. A non-OK status abandons the
// update: nothing is published and Update() returns that status. The server
// uses it to commit the change durably before any reader can see it. Runs
// under the model's update lock (updates of one model are serialized).
using UpdateCommitHook = std::function<absl::Status(uint64_t version)>;

// One call of a batch given to Forward(): `rows` consecutive rows of the
// batch and the masks that apply to them (null or empty: none). Rows of a
// segment without a layer's mask are computed as without a mask.
struct ForwardSegment {
  int64_t rows = 0;
  const CheckedMasks* masks = nullptr;  // not owned
};

class Model {
 public:
  // Validates `spec` completely (INVALID_ARGUMENT naming layer and field),
  // infers shapes, and initializes parameters deterministically from `seed`.
  // The initial snapshot has version 1.
  static absl::StatusOr<std::unique_ptr<Model>> Create(
      const brainserve::v1::ModelSpec& spec, uint64_t seed,
      const EngineOptions& options = {});

  // Like Create(), but the first snapshot holds `values` (in the order of
  // parameter_infos(), each with exactly that shape and finite) at `version`
  // (>= 1) instead of initialized parameters: a model restored from a store.
  // No initializer runs. INVALID_ARGUMENT naming the parameter on a count,
  // shape or value mismatch.
  static absl::StatusOr<std::unique_ptr<Model>> Restore(
      const brainserve::v1::ModelSpec& spec, std::vector<DenseTensor> values,
      uint64_t version, const EngineOptions& options = {});

  virtual ~Model() = default;

  // Per-sample shapes (no batch axis).
  virtual const std::vector<int64_t>& input_shape() const = 0;
  virtual const std::vector<int64_t>& output_shape() const = 0;
  // Product of the per-sample shapes.
  virtual int64_t input_sample_size() const = 0;
  virtual int64_t output_sample_size() const = 0;

  // Every parameter, in layer order, with brainstate's names and shapes.
  virtual const std::vector<ParameterInfo>& parameter_infos() const = 0;
  // Bytes of all parameter values (float32) of one snapshot.
  virtual int64_t parameter_bytes() const = 0;
  // The arithmetic it was created with (EngineOptions::precision).
  virtual Precision precision() const = 0;

  // The current snapshot. Cheap (a shared_ptr copy under a mutex held only
  // for that copy, as is the publishing swap); never waits for an Update()
  // that is preparing its snapshot.
  virtual std::shared_ptr<const ParameterSnapshot> snapshot() const = 0;

  // Applies all `updates` atomically, producing snapshot version+1. The new
  // snapshot (including derived weights) is prepared before it is published,
  // so concurrent Forward() calls never wait for it.
  //   NOT_FOUND: unknown layer or parameter name.
  //   INVALID_ARGUMENT: value shape differs from the parameter shape, or a
  //     non-finite value.
  //   FAILED_PRECONDITION: expected_version set and != current version.
  //   Whatever `commit` returns, if it is set and fails.
  //
  // Costs what it changes: the new snapshot shares every parameter value
  // and every layer's derived weights that the update does not touch with
  // the current one (copy-on-write). A REPLACE copies its value once (with
  // the finite check in the same pass); a changed layer's derived weights
  // are re-derived, except that a bias-only change keeps the packed weight.
  virtual absl::StatusOr<std::shared_ptr<const ParameterSnapshot>> Update(
      const std::vector<ParameterUpdate>& updates,
      std::optional<uint64_t> expected_version,
      const UpdateCommitHook& commit = nullptr) = 0;

  // The same, but a REPLACE's value storage is moved into the new snapshot
  // instead of copied (checked in place). Afterwards the callers' REPLACE
  // `value.data` vectors are unspecified (empty if the storage was taken);
  // pointers into the moved storage stay valid while the snapshot built
  // from it lives, so a commit hook may read the update through spans
  // taken before the call.
  virtual absl::StatusOr<std::shared_ptr<const ParameterSnapshot>> Update(
      std::vector<ParameterUpdate>&& updates,
      std::optional<uint64_t> expected_version,
      const UpdateCommitHook& commit = nullptr) = 0;

  // Replaces every parameter with `values` (as in Restore()) at `version`,
  // which must be newer than the current one: a replica that fell behind a
  // snapshot of a shared store jumps to it. INVALID_ARGUMENT naming the
  // parameter, or FAILED_PRECONDITION if `version` is not newer.
  virtual absl::Status Rebase(std::vector<DenseTensor> values,
                              uint64_t version) = 0;

  // Checks one call's masks (MaskMap: layer_norm layer name -> statistics
  // mask, non-zero = included) for `rows` rows and takes them over, ready
  // for Forward(): NOT_FOUND for a name that is not a layer,
  // INVALID_ARGUMENT for a non-layer_norm layer, an inconsistent tensor or a
  // shape that does not broadcast (numpy rules, trailing-aligned) to
  // [rows, *layer_input]; every message names masks["<layer>"]. The one
  // place masks are validated. Masks are never expanded: Forward() reads
  // them through their broadcast strides.
  virtual absl::StatusOr<CheckedMasks> CheckMasks(MaskMap masks,
                                                  int64_t rows) const = 0;

  // Computes output[batch, *output_shape] from input[batch, *input_shape]
  // (both contiguous row-major float32) with `snapshot`'s parameters. Each
  // output row depends only on its own input row (and its own mask rows).
  // `segments` splits the batch into its calls, in order, each with the
  // masks CheckMasks() made for it; their rows must add up to `batch`. An
  // empty `segments` is one segment without masks. INVALID_ARGUMENT for a
  // snapshot or masks of another model, or segments that do not cover the
  // batch; INTERNAL on engine failure. Once warmed up (Warmup()), the
  // engine allocates nothing, masks or not; oneDNN 2.6's primitive execute
  // itself allocates a fixed few times per primitive (engine_allocation_tests).
  //
  // `threads` is the OpenMP team of this call: 0 (the default) for
  // EngineOptions::num_threads, or 1. The primitives are compiled for both,
  // and the results are the same bits either way (a small batch need not
  // pay for an idle partner thread). Any other value is INVALID_ARGUMENT.
  virtual absl::Status Forward(const ParameterSnapshot& snapshot,
                               const float* input, int64_t batch,
                               absl::Span<const ForwardSegment> segments,
                               float* output, int threads) const = 0;
  absl::Status Forward(const ParameterSnapshot& snapshot, const float* input,
                       int64_t batch, absl::Span<const ForwardSegment> segments,
                       float* output) const {
    return Forward(snapshot, input, batch, segments, output, /*threads=*/0);
  }

  // Forward() of one call: checks a copy of `masks` (CheckMasks()) for
  // `batch` rows first, so it allocates when `masks` is not empty.
  absl::Status Forward(const ParameterSnapshot& snapshot, const float* input,
                       int64_t batch, const MaskMap& masks,
                       float* output) const;

  // Creates the cached primitives for every pass size up to
  // min(max_batch, max_rows_per_pass) and both thread settings now, so the
  // first requests of each batch size do not pay for primitive creation (0.1-6
  // ms each). Optional.
  virtual absl::Status Warmup(int64_t max_batch) const {
    return absl::OkStatus();
  }

  // An upper bound on the bytes Forward() allocates for a batch of `batch`
  // rows beyond its caller's input and output: activation buffers between
  // layers, kernel buffers, materialized mask rows and an allowance for the
  // oneDNN scratchpad. Forward runs in passes of at most max_rows_per_pass
  // rows, so this stops growing there. Never negative; saturates at INT64_MAX.
  virtual int64_t ForwardScratchBytes(int64_t batch) const { return 0; }

  // An upper bound on the bytes Update() allocates for derived weights
  // (effective, standardized and packed weights, bias copies, kept or
  // transient) when the parameters flagged in `changed_params`
  // (parameter_infos() order) change. New parameter values are not
  // included. Computed from shapes alone; nothing is allocated.
  virtual int64_t DerivedWeightBytes(
      const std::vector<bool>& changed_params) const {
    return 0;
  }

  // The largest per-sample size (floats) of any layer's input: what one row
  // of a layer_norm mask takes once materialized for a pass.
  virtual int64_t max_layer_input_size() const { return input_sample_size(); }
};

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_MODEL_H_
