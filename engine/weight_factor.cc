#include "engine/weight_factor.h"

#include "absl/strings/str_cat.h"
#include "engine/shape.h"
#include "engine/tensor_codec.h"

namespace brainserve::engine {

absl::StatusOr<std::vector<float>> ParseWeightFactor(
    const brainserve::v1::Tensor& tensor, const LayerSite& site,
    absl::string_view field, absl::Span<const int64_t> weight_shape,
    int64_t max_bytes) {
  const std::string full_field = site.Field(field);
  absl::StatusOr<DenseTensor> factor = DecodeTensor(tensor, full_field);
  if (!factor.ok()) return factor.status();
  absl::Status finite = CheckAllFinite(*factor, full_field);
  if (!finite.ok()) return finite;
  if (!BroadcastsTo(factor->shape, weight_shape)) {
    return site.Invalid(absl::StrCat(field, ".shape"),
                        absl::StrCat(ShapeToString(factor->shape),
                                     " does not broadcast to the weight shape ",
                                     ShapeToString(weight_shape)));
  }
  // The weight shape's elements were checked against overflow when the
  // layer resolved its sizes.
  const int64_t bytes =
      NumElements(weight_shape) * static_cast<int64_t>(sizeof(float));
  if (max_bytes > 0 && bytes > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        site.Prefix(), ": ", field, ": broadcast to the weight shape ",
        ShapeToString(weight_shape), " it needs ", bytes,
        " bytes, over what the parameter limit leaves (", max_bytes, ")"));
  }
  return BroadcastValues(*factor, weight_shape);
}

}  // namespace brainserve::engine
