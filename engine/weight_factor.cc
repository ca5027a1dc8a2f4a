#include "engine/weight_factor.h"

#include "absl/strings/str_cat.h"
#include "engine/shape.h"
#include "engine/tensor_proto.h"

namespace brainserve::engine {

absl::StatusOr<std::vector<float>> ParseWeightFactor(
    const brainserve::v1::Tensor& tensor, const LayerSite& site,
    absl::string_view field, absl::Span<const int64_t> weight_shape) {
  const std::string full_field = site.Field(field);
  absl::StatusOr<DenseTensor> factor = DenseTensorFromProto(tensor, full_field);
  if (!factor.ok()) return factor.status();
  absl::Status finite = CheckAllFinite(*factor, full_field);
  if (!finite.ok()) return finite;
  if (!BroadcastsTo(factor->shape, weight_shape)) {
    return site.Invalid(absl::StrCat(field, ".shape"),
                        absl::StrCat(ShapeToString(factor->shape),
                                     " does not broadcast to the weight shape ",
                                     ShapeToString(weight_shape)));
  }
  return BroadcastValues(*factor, weight_shape);
}

}  // namespace brainserve::engine
