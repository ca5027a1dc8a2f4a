// Human-readable, numpy-style text for a HostTensor, e.g.
//   [[ 1.50, -2.00],
//    [ 0.00,  3.25]]
// One format serves the whole tensor, as in numpy: fixed point with at most
// 4 decimals (as many as the values need; integers print without any) when
// every finite value is below 1e6 in magnitude and no non-zero value is
// below 1e-4, else scientific with 4 decimals. Elements are right-aligned in
// columns; rows wrap at `line_width`. A tensor with more than
// `summarize_above_elements` elements shows only the first and last
// `edge_items` entries of each dimension with "..." between.
#ifndef BRAINSERVE_CLIENT_TENSOR_FORMAT_H_
#define BRAINSERVE_CLIENT_TENSOR_FORMAT_H_

#include <cstdint>
#include <string>

#include "client/host_tensor.h"

namespace brainserve::client {

struct TensorFormatOptions {
  // Tensors with more elements than this are summarized.
  int64_t summarize_above_elements = 1000;
  // Entries kept at each end of a summarized dimension.
  int64_t edge_items = 3;
  // Soft limit on the characters per output line.
  int line_width = 80;
};

// Formats `tensor` (which must be valid). No trailing newline.
std::string FormatTensor(const HostTensor& tensor,
                         const TensorFormatOptions& options = {});

}  // namespace brainserve::client

#endif  // BRAINSERVE_CLIENT_TENSOR_FORMAT_H_
