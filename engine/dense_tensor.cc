#include "engine/dense_tensor.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace brainserve::engine {

absl::Status CheckAllFinite(const DenseTensor& tensor,
                            absl::string_view field) {
  for (size_t i = 0; i < tensor.data.size(); ++i) {
    if (!std::isfinite(tensor.data[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": element ", i, " is not finite (", tensor.data[i], ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace brainserve::engine
