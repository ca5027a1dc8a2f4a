#include "engine/dnnl_util.h"

#include <omp.h>

#include "absl/strings/str_cat.h"

namespace brainserve::engine {

const dnnl::engine& CpuEngine() {
  static const dnnl::engine* const engine =
      new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

absl::Status DnnlErrorToStatus(const dnnl::error& error,
                               absl::string_view context) {
  return absl::InternalError(absl::StrCat(context, ": oneDNN error (status ",
                                          static_cast<int>(error.status),
                                          "): ", error.what()));
}

ScopedOmpThreads::ScopedOmpThreads(int num_threads) {
  if (num_threads <= 0) return;
  previous_ = omp_get_max_threads();
  if (previous_ != num_threads) {
    omp_set_num_threads(num_threads);
  } else {
    previous_ = 0;
  }
}

ScopedOmpThreads::~ScopedOmpThreads() {
  if (previous_ > 0) omp_set_num_threads(previous_);
}

const char* CpuIsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic:
      return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "no vector extensions oneDNN uses";
  }
}

std::vector<int> CompiledThreadCounts(int num_threads) {
  const int n = num_threads > 0 ? num_threads : omp_get_max_threads();
  if (n <= 1) return {1};
  return {1, n};
}

int ThreadClass(int num_classes) {
  return num_classes > 1 && omp_get_max_threads() > 1 ? num_classes - 1 : 0;
}

}  // namespace brainserve::engine
