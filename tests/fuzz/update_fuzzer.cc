// UpdateParameters without the network: a binary-serialized
// v1.UpdateParametersRequest through the server's ValidateUpdates and the
// engine's Update (the moving overload, as ModelManager uses with a local
// store), against a fresh copy of the fixed model it names ("mlp" or
// "conv", fuzz_models.h), so every input starts from version 1.
//
// Invariants: no client error surfaces as INTERNAL or UNKNOWN; an applied
// update publishes version 2 and the model still computes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "brainserve/v1/model_service.pb.h"
#include "engine/model.h"
#include "server/request_validation.h"
#include "tests/fuzz/fuzz_models.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using brainserve::fuzz::Require;
  brainserve::v1::UpdateParametersRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return -1;
  const brainserve::v1::ModelSpec* spec =
      brainserve::fuzz::FixedSpec(request.model());
  if (spec == nullptr) return 0;
  absl::StatusOr<std::unique_ptr<brainserve::engine::Model>> model =
      brainserve::engine::Model::Create(*spec, /*seed=*/42,
                                        brainserve::fuzz::FuzzEngineOptions());
  Require(model.ok(), "fixed model builds", model.status());
  absl::StatusOr<std::vector<brainserve::engine::ParameterUpdate>> updates =
      brainserve::server::ValidateUpdates(
          request, **model, brainserve::fuzz::LayerNamesOf(*spec));
  if (!updates.ok()) return 0;
  std::optional<uint64_t> expected;
  if (request.has_expected_version()) expected = request.expected_version();
  auto updated = (*model)->Update(*std::move(updates), expected);
  if (!updated.ok()) {
    Require(updated.status().code() != absl::StatusCode::kInternal &&
                updated.status().code() != absl::StatusCode::kUnknown,
            "a refused update is a client error", updated.status());
    return 0;
  }
  Require((*updated)->version() == 2 &&
              (*model)->snapshot()->version() == 2,
          "an applied update publishes version 2");
  std::vector<float> input((*model)->input_sample_size(), 0.5f);
  std::vector<float> output((*model)->output_sample_size());
  absl::Status status =
      (*model)->Forward(*(*model)->snapshot(), input.data(), 1,
                        brainserve::engine::MaskMap(), output.data());
  Require(status.ok(), "forward after an update", status);
  return 0;
}
