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

std::vector<int> CompiledThreadCounts(int num_threads) {
  const int n = num_threads > 0 ? num_threads : omp_get_max_threads();
  if (n <= 1) return {1};
  return {1, n};
}

int ThreadClass(int num_classes) {
  return num_classes > 1 && omp_get_max_threads() > 1 ? num_classes - 1 : 0;
}

}  // namespace brainserve::engine
