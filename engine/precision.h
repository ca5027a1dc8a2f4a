// The arithmetic a model's matmuls and convolutions run in.
//
// kFp32 (the default) is exact to brainstate: float32 weights and inputs.
// kBf16 keeps every parameter in float32 (what updates change and
// GetParameters returns) and derives a bfloat16 copy of the matmul and
// convolution weights from it; each such layer rounds its input to bfloat16
// (round to nearest even) and accumulates in float32 on oneDNN's bf16
// kernels. LayerNorm, activations, biases and outputs stay float32.
// oneDNN 2.6 has bf16 kernels from AVX-512 (avx512_core) up: native dot
// products on avx512_core_bf16 and AMX, emulated on plain avx512_core.
#ifndef BRAINSERVE_ENGINE_PRECISION_H_
#define BRAINSERVE_ENGINE_PRECISION_H_

#include "absl/status/status.h"

namespace brainserve::engine {

enum class Precision { kFp32, kBf16 };

const char* PrecisionName(Precision precision);  // "FP32", "BF16"

// OK if this CPU (as oneDNN sees it, so ONEDNN_MAX_CPU_ISA counts) runs
// `precision`; otherwise UNIMPLEMENTED naming the field `precision` and the
// instruction set oneDNN found.
absl::Status CheckPrecisionSupported(Precision precision);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_PRECISION_H_
