// CRC-32C (Castagnoli), the checksum the stores keep next to every
// parameter blob: SQLite checks its page structure but not the bytes inside
// a value, so a flipped bit in a weight would otherwise be served silently.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked at run
// time), a table otherwise; both give the same value.
#ifndef BRAINSERVE_SERVER_STORE_CRC32C_H_
#define BRAINSERVE_SERVER_STORE_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace brainserve::server::store {

uint32_t Crc32c(const void* data, size_t size);

// The portable implementation, exposed for the test that compares the two.
uint32_t Crc32cPortable(const void* data, size_t size);

}  // namespace brainserve::server::store

#endif  // BRAINSERVE_SERVER_STORE_CRC32C_H_
