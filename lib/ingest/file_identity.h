// File identity: device + inode, plus a fingerprint of the first bytes. The inode alone is not
// enough: inodes are reused after a delete, and copytruncate keeps the inode while replacing the
// content. The fingerprint catches both. A second fingerprint of the bytes just before a read
// position ("tail") lets a copy of a file (logrotate's copytruncate) be recognised as the same
// data, so reading resumes in the copy where it stopped in the original.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::ingest {

// Bytes covered by a full fingerprint. Shorter files get a shorter one, extended as they grow.
constexpr size_t kFingerprintBytes = 256;

struct Fingerprint {
  uint32_t length = 0;  // bytes covered; 0 covers nothing (and matches anything)
  uint64_t hash = 0;    // FNV-1a 64 of those bytes
  bool operator==(const Fingerprint&) const = default;
};

constexpr uint64_t kHashStart = 0xcbf29ce484222325ULL;
// FNV-1a 64 of n bytes; `h`, the hash of the bytes before them, continues a hash.
uint64_t hash_bytes(const char* p, size_t n, uint64_t h = kHashStart);
inline Fingerprint fingerprint_of(std::string_view bytes) {
  return {static_cast<uint32_t>(bytes.size()), hash_bytes(bytes.data(), bytes.size())};
}

struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  Fingerprint head;  // of the first head.length bytes of the raw (possibly compressed) file
};

// Reads `length` bytes at `offset` with pread and fingerprints them. False when the file holds
// fewer bytes there or cannot be read.
bool fingerprint_at(int fd, uint64_t offset, size_t length, Fingerprint& out);
// The fingerprint of the first min(size, kFingerprintBytes) bytes.
bool head_fingerprint(int fd, uint64_t size, Fingerprint& out);
// True when the file's bytes at [offset, offset + fp.length) have fingerprint fp.
bool fingerprint_matches(int fd, uint64_t offset, const Fingerprint& fp);

// Hex text of a hash, for the checkpoint file ("0f1e...": 16 digits); and back.
std::string hex64(uint64_t v);
bool parse_hex64(std::string_view s, uint64_t& out);

}  // namespace sp::ingest
