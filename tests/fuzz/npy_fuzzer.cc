// The client's .npy reader (client/npy.h) on arbitrary bytes. Invariants: a
// parsed tensor is valid (values match the shape), and it writes back to a
// .npy image that parses to the same shape and bitwise the same values.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "client/host_tensor.h"
#include "client/npy.h"
#include "tests/fuzz/fuzz_models.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using brainserve::fuzz::Require;
  absl::StatusOr<brainserve::client::HostTensor> parsed =
      brainserve::client::ParseNpy(
          absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) return 0;
  Require(brainserve::client::ValidateHostTensor(*parsed).ok(),
          "a parsed .npy tensor is valid");
  absl::StatusOr<brainserve::client::HostTensor> again =
      brainserve::client::ParseNpy(brainserve::client::SerializeNpy(*parsed));
  Require(again.ok(), "a written .npy parses", again.status());
  Require(again->shape == parsed->shape &&
              again->values.size() == parsed->values.size() &&
              brainserve::fuzz::SameFloats(again->values.data(),
                                           parsed->values.data(),
                                           parsed->values.size()),
          ".npy round trip");
  return 0;
}
