// Loads tests/data/layers.json (brainserve golden vectors v1) into ModelSpecs,
// parameter values, inputs and expected outputs. The file is parsed with
// protobuf's JSON parser (google.protobuf.Struct), and each case's
// `layer` / `layers` objects with JsonStringToMessage into LayerSpec.
#ifndef BRAINSERVE_TESTS_ENGINE_GOLDEN_DATA_H_
#define BRAINSERVE_TESTS_ENGINE_GOLDEN_DATA_H_

#include <optional>
#include <string>
#include <vector>

#include "brainserve/v1/layers.pb.h"
#include "engine/dense_tensor.h"
#include "engine/model.h"

namespace brainserve::engine::testing {

struct GoldenCase {
  std::string name;
  brainserve::v1::ModelSpec spec;
  // Parameters as (layer, name) updates; single-layer cases use layer "0".
  std::vector<ParameterUpdate> params;
  // The LayerNorm statistics mask of a single-layer case, if any.
  std::optional<DenseTensor> mask;
  DenseTensor input;   // [B, *input_shape]
  DenseTensor output;  // [B, *output_sample_shape]
  std::vector<int64_t> output_sample_shape;
  std::string error;       // expected status code name for rejected specs
  std::string load_error;  // non-empty if the case could not be parsed
};

// The path of layers.json (compile definition BRAINSERVE_GOLDEN_PATH).
std::string GoldenPath();

// All cases; a case that cannot be parsed carries load_error. If the file
// cannot be read, returns one case named "unreadable" with load_error set.
std::vector<GoldenCase> LoadGoldenCases(const std::string& path);

// Creates the case's model (seed 0) and replaces its parameters with the
// golden ones. Fails the calling test on error.
std::unique_ptr<Model> CreateGoldenModel(const GoldenCase& golden_case,
                                         const EngineOptions& options = {});

// The name of the layer the golden mask belongs to ("0").
inline constexpr char kGoldenMaskLayer[] = "0";

}  // namespace brainserve::engine::testing

#endif  // BRAINSERVE_TESTS_ENGINE_GOLDEN_DATA_H_
