// Shape helpers shared by the engine: element counts with overflow checks,
// numpy-style (trailing-aligned) broadcasting, axis canonicalization and
// printing. Pure functions, thread-safe.
#ifndef BRAINSERVE_ENGINE_SHAPE_H_
#define BRAINSERVE_ENGINE_SHAPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/dense_tensor.h"

namespace brainserve::engine {

using Shape = std::vector<int64_t>;

// Upper bound on the element count of any tensor the engine allocates (a
// per-sample activation or a parameter). Keeps index arithmetic in range and
// turns absurd specs into INVALID_ARGUMENT instead of a failed allocation.
inline constexpr int64_t kMaxTensorElements = (int64_t{1} << 31) - 1;

// Product of `shape` without checks (1 for a scalar shape).
int64_t NumElements(absl::Span<const int64_t> shape);

// Product of `shape`; INVALID_ARGUMENT if a dimension is negative or the
// product exceeds kMaxTensorElements.
absl::StatusOr<int64_t> CheckedNumElements(absl::Span<const int64_t> shape);

// "[8, 5]".
std::string ShapeToString(absl::Span<const int64_t> shape);

// True if a tensor of shape `from` broadcasts to exactly `to` under numpy's
// trailing-aligned rules (one-directional: `to` is not changed).
bool BroadcastsTo(absl::Span<const int64_t> from, absl::Span<const int64_t> to);

// True if `a` and `b` broadcast against each other (mutually compatible).
bool BroadcastCompatible(absl::Span<const int64_t> a,
                         absl::Span<const int64_t> b);

// Element strides (row-major) for reading a tensor of shape `from` as if it
// had shape `to`: one stride per dimension of `to`, 0 where broadcast.
// Requires BroadcastsTo(from, to).
std::vector<int64_t> BroadcastStrides(absl::Span<const int64_t> from,
                                      absl::Span<const int64_t> to);

// Materializes `from` (data of shape from.shape) broadcast to `to`.
// Requires BroadcastsTo(from.shape, to) and a consistent `from`.
std::vector<float> BroadcastValues(const DenseTensor& from,
                                   absl::Span<const int64_t> to);

// Maps `axis` in [-rank, rank) to [0, rank); returns -1 if out of range.
int64_t CanonicalAxis(int64_t axis, int64_t rank);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_SHAPE_H_
