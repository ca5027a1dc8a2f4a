/* Where glibc puts an update-sized buffer allocated on a thread (as the
 * server's update threads do): from the heap (arena) or a fresh mmap
 * (hblks/hblkhd). Three rounds per size, each malloc + touch + free, so the
 * effect of glibc's dynamic mmap threshold shows from the second round on.
 * docs/PERFORMANCE.md section 3 ("allocator") quotes its output:
 *
 *   gcc -O0 -pthread tests/bench/malloc_probe.c -o /tmp/malloc_probe
 *   /tmp/malloc_probe
 *   MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 \
 *     /tmp/malloc_probe
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void* Run(void* arg) {
  const size_t bytes = (size_t)arg;
  for (int round = 0; round < 3; ++round) {
    char* volatile p = malloc(bytes);
    if (p == NULL) return NULL;
    p[0] = 1;
    p[bytes - 1] = 1;
    const struct mallinfo2 info = mallinfo2();
    printf("%3zu MiB round %d: mmapped chunks %zu (%zu bytes), arenas %zu bytes\n",
           bytes >> 20, round, info.hblks, info.hblkhd, info.arena);
    free(p);
  }
  return NULL;
}

int main(void) {
  const size_t sizes[] = {(size_t)9 << 20, (size_t)40 << 20, (size_t)100 << 20};
  for (int i = 0; i < 3; ++i) {
    pthread_t thread;
    pthread_create(&thread, NULL, Run, (void*)sizes[i]);
    pthread_join(thread, NULL);
  }
  return 0;
}
