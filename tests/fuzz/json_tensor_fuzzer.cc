// The client's JSON tensor reader (client/json_tensor.h) on arbitrary text.
// Invariants: a parsed tensor is valid, and FormatJsonTensor writes it back
// to text that parses to the same shape and the same values (NaN as NaN).
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "client/host_tensor.h"
#include "client/json_tensor.h"
#include "tests/fuzz/fuzz_models.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using brainserve::fuzz::Require;
  absl::StatusOr<brainserve::client::HostTensor> parsed =
      brainserve::client::ParseJsonTensor(
          absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) return 0;
  Require(brainserve::client::ValidateHostTensor(*parsed).ok(),
          "a parsed JSON tensor is valid");
  absl::StatusOr<brainserve::client::HostTensor> again =
      brainserve::client::ParseJsonTensor(
          brainserve::client::FormatJsonTensor(*parsed));
  Require(again.ok(), "a formatted JSON tensor parses", again.status());
  Require(again->shape == parsed->shape &&
              again->values.size() == parsed->values.size() &&
              brainserve::fuzz::SameFloats(again->values.data(),
                                           parsed->values.data(),
                                           parsed->values.size()),
          "JSON tensor round trip");
  return 0;
}
