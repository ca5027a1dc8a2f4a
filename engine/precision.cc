#include "engine/precision.h"

#include "absl/strings/str_cat.h"
#include "dnnl.hpp"
#include "engine/dnnl_util.h"

namespace brainserve::engine {

const char* PrecisionName(Precision precision) {
  return precision == Precision::kBf16 ? "BF16" : "FP32";
}

absl::Status CheckPrecisionSupported(Precision precision) {
  if (precision == Precision::kFp32) return absl::OkStatus();
  // oneDNN 2.6 implements bf16 matmul and convolution on avx512_core and
  // every later x64 instruction set; the cpu_isa values of those are
  // supersets of avx512_core's bits (the Xeon Phi ones are not).
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  const auto bits = static_cast<unsigned>(isa);
  const auto core = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  if ((bits & core) == core) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat(
      "precision: BF16 needs a CPU with AVX-512 (oneDNN's avx512_core or "
      "later); oneDNN found ",
      CpuIsaName(isa),
      " here. Use precision FP32 (the default) on this machine"));
}

}  // namespace brainserve::engine
