// CreateModel without the network: a binary-serialized v1.CreateModelRequest
// through what ModelManager::Create does before it serves a model: name
// check, the layer-count admission, the spec validator and model builder
// (engine::Model::Create, with warm-up admission from the shapes before the
// primitives are compiled), warm-up, then one forward
// of two rows. Caps (fuzz_models.h): 16 layers, 256 KiB of parameters, 4 MiB
// per forward, so no input can make the target allocate much.
//
// Invariants: a spec the builder accepts and admission admits warms up and
// computes without error; the builder never answers INTERNAL or UNKNOWN.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "brainserve/v1/model_service.pb.h"
#include "engine/model.h"
#include "server/admission/admission.h"
#include "server/request_validation.h"
#include "tests/fuzz/fuzz_models.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using brainserve::fuzz::Require;
  namespace admission = brainserve::server::admission;
  brainserve::v1::CreateModelRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return -1;
  if (!brainserve::server::ValidateModelName(request.name(), "name").ok() ||
      !request.has_spec()) {
    return 0;
  }
  const admission::AdmissionLimits limits =
      brainserve::fuzz::FuzzAdmissionLimits();
  if (!admission::AdmitModelSpec(limits, request.name(), request.spec()).ok()) {
    return 0;
  }
  constexpr int64_t kRows = 2;
  // As ModelManager::Create: warm-up admission from the shapes, before any
  // primitive is created.
  brainserve::engine::EngineOptions options =
      brainserve::fuzz::FuzzEngineOptions();
  absl::Status refused_batch;
  options.admit_shapes = [&](const brainserve::engine::Model& shapes) {
    refused_batch =
        admission::AdmitModelWarmup(limits, request.name(), shapes, kRows);
    return refused_batch;
  };
  absl::StatusOr<std::unique_ptr<brainserve::engine::Model>> model =
      brainserve::engine::Model::Create(request.spec(), request.seed(),
                                        options);
  if (!refused_batch.ok()) return 0;
  if (!model.ok()) {
    Require(model.status().code() != absl::StatusCode::kInternal &&
                model.status().code() != absl::StatusCode::kUnknown,
            "the builder refuses a spec with a client error", model.status());
    return 0;
  }
  absl::Status status = (*model)->Warmup(kRows);
  Require(status.ok(), "warm-up of an admitted model", status);
  std::vector<float> input(
      static_cast<size_t>(kRows * (*model)->input_sample_size()));
  for (size_t i = 0; i < input.size(); ++i) {
    input[i] = static_cast<float>(static_cast<int>(i % 9) - 4) * 0.25f;
  }
  std::vector<float> output(
      static_cast<size_t>(kRows * (*model)->output_sample_size()));
  status = (*model)->Forward(*(*model)->snapshot(), input.data(), kRows,
                             brainserve::engine::MaskMap(), output.data());
  Require(status.ok(), "forward of an admitted model", status);
  return 0;
}
