// float32 -> bfloat16 conversion of a layer's input, as the AVX-512 BF16
// instruction VCVTNEPS2BF16 does it: round to nearest even, a NaN stays a
// (quiet) NaN with its sign, and a denormal input becomes a zero of its sign
// (the instruction always treats denormals as zero). The portable code gives
// the instruction's bits, so the result is the same on every CPU; the
// vectorized form is chosen at run time.
#ifndef BRAINSERVE_ENGINE_BF16_CONVERT_H_
#define BRAINSERVE_ENGINE_BF16_CONVERT_H_

#include <cstdint>

namespace brainserve::engine {

// dst[i] = bfloat16(src[i]) for i < count.
void FloatsToBf16(const float* src, int64_t count, uint16_t* dst);

// The portable loop alone (tests compare it with FloatsToBf16).
void FloatsToBf16Portable(const float* src, int64_t count, uint16_t* dst);

// True if FloatsToBf16 uses the CPU's VCVTNEPS2BF16.
bool Bf16ConvertIsVectorized();

// The float32 a bfloat16 stands for (exact).
float Bf16ToFloat(uint16_t value);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_BF16_CONVERT_H_
