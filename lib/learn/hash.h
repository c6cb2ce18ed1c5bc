// Feature hashing: MurmurHash3 (x86, 32-bit), the hash Vowpal Wabbit uses, so that a
// categorical token maps to a weight slot without a dictionary. The model file names the
// hash ("murmur3-32"); changing it would change every index and needs a new format version.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sp::learn {

inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

inline uint32_t murmur3_32(const void* key, size_t len, uint32_t seed) {
  const auto* data = static_cast<const unsigned char*>(key);
  const size_t nblocks = len / 4;
  uint32_t h1 = seed;
  const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  for (size_t i = 0; i < nblocks; ++i) {
    uint32_t k1;
    std::memcpy(&k1, data + i * 4, 4);  // little-endian machines only, like the model files
    k1 *= c1;
    k1 = rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl32(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  const unsigned char* tail = data + nblocks * 4;
  uint32_t k1 = 0;
  switch (len & 3) {
    case 3: k1 ^= uint32_t(tail[2]) << 16; [[fallthrough]];
    case 2: k1 ^= uint32_t(tail[1]) << 8; [[fallthrough]];
    case 1:
      k1 ^= tail[0];
      k1 *= c1;
      k1 = rotl32(k1, 15);
      k1 *= c2;
      h1 ^= k1;
  }
  h1 ^= static_cast<uint32_t>(len);
  return fmix32(h1);
}

inline uint32_t hash_text(std::string_view s, uint32_t seed) { return murmur3_32(s.data(), s.size(), seed); }

// The hash of a quadratic interaction of two hashed features (order matters: a:b != b:a).
inline uint32_t hash_pair(uint32_t a, uint32_t b) { return fmix32(a * 0x9E3779B1u ^ rotl32(b, 16) ^ 0x7F4A7C15u); }

}  // namespace sp::learn
