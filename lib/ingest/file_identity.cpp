#include "ingest/file_identity.h"

#include <unistd.h>

#include <cerrno>

namespace sp::ingest {

uint64_t hash_bytes(const char* p, size_t n, uint64_t h) {
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool fingerprint_at(int fd, uint64_t offset, size_t length, Fingerprint& out) {
  char buf[kFingerprintBytes];
  if (length > sizeof buf) length = sizeof buf;
  size_t got = 0;
  while (got < length) {
    ssize_t r = ::pread(fd, buf + got, length - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  out = {static_cast<uint32_t>(length), hash_bytes(buf, length)};
  return true;
}

bool head_fingerprint(int fd, uint64_t size, Fingerprint& out) {
  size_t n = size < kFingerprintBytes ? static_cast<size_t>(size) : kFingerprintBytes;
  if (n == 0) {
    out = {};
    return true;
  }
  return fingerprint_at(fd, 0, n, out);
}

bool fingerprint_matches(int fd, uint64_t offset, const Fingerprint& fp) {
  if (fp.length == 0) return true;
  Fingerprint now;
  return fingerprint_at(fd, offset, fp.length, now) && now == fp;
}

std::string hex64(uint64_t v) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = kHex[v & 15];
  return s;
}

bool parse_hex64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

}  // namespace sp::ingest
