// Returning freed memory to the operating system.
//
// glibc keeps freed memory in its arenas: blocks under the (dynamic, up to
// 32 MiB) mmap threshold come from heaps that are only trimmed at their top,
// so after a large model is deleted the process keeps its resident set
// until something calls malloc_trim(). ReleaseFreeMemory() does: glibc's
// malloc_trim(0) releases the free pages of every arena (madvise), not only
// the top of the main heap. Measured in docs/PERFORMANCE.md (hardening):
// a ~1 GiB model's memory comes back within milliseconds of the call.
//
// Called after a model is deleted (ModelManager::Retire), never on a
// request's path. Thread-safe (glibc locks each arena in turn). A no-op on
// other C libraries.
#ifndef BRAINSERVE_SERVER_FREE_MEMORY_H_
#define BRAINSERVE_SERVER_FREE_MEMORY_H_

namespace brainserve::server {

// Returns the allocator's free pages to the OS; true if anything was
// released.
bool ReleaseFreeMemory();

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_FREE_MEMORY_H_
