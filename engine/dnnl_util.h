// oneDNN glue shared by the kernels: the process-wide CPU engine, conversion
// of dnnl::error into absl::Status, and a scoped OpenMP thread setting.
#ifndef BRAINSERVE_ENGINE_DNNL_UTIL_H_
#define BRAINSERVE_ENGINE_DNNL_UTIL_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dnnl.hpp"

namespace brainserve::engine {

// The CPU engine every primitive and memory object uses. Created on first
// use; thread-safe (oneDNN engines may be shared across threads).
const dnnl::engine& CpuEngine();

// INTERNAL status describing `error` (oneDNN status code and message).
absl::Status DnnlErrorToStatus(const dnnl::error& error,
                               absl::string_view context);

// Sets the calling thread's OpenMP thread count (the ICV oneDNN reads when it
// creates and executes primitives) for the scope, then restores it. A
// non-positive count leaves the setting alone.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int num_threads);
  ~ScopedOmpThreads();
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_ = 0;
};

// oneDNN's name of an instruction set ("avx512_core_bf16", ...).
const char* CpuIsaName(dnnl::cpu_isa isa);

// The OpenMP thread counts a model's primitives are compiled for: {1} when
// a Forward uses one thread, else {1, n} (n = `num_threads`, or OpenMP's
// default for 0), so each Forward may run on all n threads or on one.
std::vector<int> CompiledThreadCounts(int num_threads);

// Which of those a pass runs with: the index into CompiledThreadCounts() for
// the calling thread's OpenMP setting (0 when it is 1, else the last).
int ThreadClass(int num_classes);

}  // namespace brainserve::engine

#endif  // BRAINSERVE_ENGINE_DNNL_UTIL_H_
