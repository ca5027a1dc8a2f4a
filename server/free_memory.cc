#include "server/free_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace brainserve::server {

bool ReleaseFreeMemory() {
#if defined(__GLIBC__)
  return malloc_trim(0) != 0;
#else
  return false;
#endif
}

}  // namespace brainserve::server
