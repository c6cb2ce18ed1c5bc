#include "enrich/ranges.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sp::enrich {
namespace {

constexpr IpAddress kMax = ~IpAddress(0);
constexpr IpAddress kV4Mapped = IpAddress(0xffff) << 32;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// An address and whether it was written as IPv4 (its prefix lengths count from bit 96).
bool parse_address(std::string_view text, IpAddress& out, bool& v4) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return false;
  memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char bytes[16];
  if (inet_pton(AF_INET, buf, bytes) == 1) {
    out = kV4Mapped | (IpAddress(bytes[0]) << 24) | (IpAddress(bytes[1]) << 16) | (IpAddress(bytes[2]) << 8) |
          IpAddress(bytes[3]);
    v4 = true;
    return true;
  }
  if (inet_pton(AF_INET6, buf, bytes) == 1) {
    out = 0;
    for (unsigned char b : bytes) out = (out << 8) | b;
    v4 = false;
    return true;
  }
  return false;
}

}  // namespace

bool parse_ip(std::string_view text, IpAddress& out) {
  bool v4;
  return parse_address(text, out, v4);
}

bool parse_ip_range(std::string_view text, IpAddress& first, IpAddress& last, std::string& error) {
  text = trim(text);
  bool v4 = false, v4b = false;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view addr = trim(text.substr(0, slash)), len = trim(text.substr(slash + 1));
    if (!parse_address(addr, first, v4)) {
      error = "'" + std::string(addr) + "' is not an IP address";
      return false;
    }
    unsigned bits = 0;
    auto r = std::from_chars(len.data(), len.data() + len.size(), bits);
    unsigned max_bits = v4 ? 32 : 128;
    if (len.empty() || r.ec != std::errc() || r.ptr != len.data() + len.size() || bits > max_bits) {
      error = "bad prefix length '" + std::string(len) + "' (0 to " + std::to_string(max_bits) + ")";
      return false;
    }
    if (v4) bits += 96;
    IpAddress host_mask = bits == 128 ? 0 : (kMax >> bits);
    first &= ~host_mask;  // 10.1.2.3/8 means 10.0.0.0/8, as most tools read it
    last = first | host_mask;
    return true;
  }
  // "a-b": a '-' that is not part of an address (IPv6 has none).
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    std::string_view a = trim(text.substr(0, dash)), b = trim(text.substr(dash + 1));
    if (!parse_address(a, first, v4)) {
      error = "'" + std::string(a) + "' is not an IP address";
      return false;
    }
    if (!parse_address(b, last, v4b)) {
      error = "'" + std::string(b) + "' is not an IP address";
      return false;
    }
    if (last < first) {
      error = "the range ends before it starts";
      return false;
    }
    return true;
  }
  if (!parse_address(text, first, v4)) {
    error = "'" + std::string(text) + "' is not an IP address, CIDR block or start-end range";
    return false;
  }
  last = first;
  return true;
}

std::string format_ip(IpAddress a) {
  char buf[INET6_ADDRSTRLEN];
  unsigned char bytes[16];
  if ((a >> 32) == 0xffff) {
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<unsigned char>(a >> (24 - 8 * i));
    return inet_ntop(AF_INET, bytes, buf, sizeof buf);
  }
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<unsigned char>(a >> (120 - 8 * i));
  return inet_ntop(AF_INET6, bytes, buf, sizeof buf);
}

void RangeTable::add(IpAddress first, IpAddress last, uint32_t value) {
  pending_.push_back({first, last, value});
  ++added_;
}

void RangeTable::build() {
  // Wider ranges first among those starting together, so that the narrower one is on top.
  std::sort(pending_.begin(), pending_.end(), [](const Range& a, const Range& b) {
    return a.first != b.first ? a.first < b.first : a.last > b.last;
  });
  segments_.clear();
  std::vector<Range> open;  // ranges covering `cur`, innermost last
  IpAddress cur = 0;
  bool exhausted = false;  // a range ended at the very last address
  auto emit = [&](IpAddress first, IpAddress last, uint32_t value) {
    if (first > last) return;
    if (!segments_.empty() && segments_.back().value == value && segments_.back().last + 1 == first)
      segments_.back().last = last;
    else
      segments_.push_back({first, last, value});
  };
  // Closes the open ranges that end before `limit` (all of them when `all`).
  auto close = [&](IpAddress limit, bool all) {
    while (!open.empty() && (all || open.back().last < limit)) {
      Range top = open.back();
      open.pop_back();
      if (exhausted || top.last < cur) continue;  // already covered by an inner range
      emit(cur, top.last, top.value);
      if (top.last == kMax) exhausted = true;
      else cur = top.last + 1;
    }
  };
  for (const Range& r : pending_) {
    close(r.first, false);
    if (!open.empty() && cur < r.first) emit(cur, r.first - 1, open.back().value);
    cur = r.first;
    open.push_back(r);
  }
  close(0, true);
  pending_.clear();
  pending_.shrink_to_fit();
}

uint32_t RangeTable::find(IpAddress a) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), a,
                             [](IpAddress x, const Range& r) { return x < r.first; });
  if (it == segments_.begin()) return kNone;
  --it;
  return a <= it->last ? it->value : kNone;
}

}  // namespace sp::enrich
