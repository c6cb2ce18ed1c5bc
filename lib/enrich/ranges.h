// IP address ranges (CIDR blocks or start-end pairs, IPv4 and IPv6) mapped to values, looked
// up by binary search. IPv4 addresses live in the IPv4-mapped part of the IPv6 space
// (::ffff:0:0/96), so one table holds both and "::ffff:10.0.0.1" finds what "10.0.0.1" finds.
// Overlapping ranges are split at build time into disjoint segments: where ranges nest, the
// narrowest one wins (10.1.0.0/16 inside 10.0.0.0/8); where they only overlap, the one that
// starts later wins.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sp::enrich {

using IpAddress = unsigned __int128;

// Parses an IPv4 or IPv6 address (no brackets, no zone); false when it is not one.
bool parse_ip(std::string_view text, IpAddress& out);
// Parses "10.0.0.0/8", "2001:db8::/32", "1.2.3.4" (one address), or "1.2.3.0-1.2.3.255" into
// the first and last address. On failure returns false and says why in `error`.
bool parse_ip_range(std::string_view text, IpAddress& first, IpAddress& last, std::string& error);
// "1.2.3.4" for mapped IPv4 addresses, else the IPv6 text (for messages and tests).
std::string format_ip(IpAddress a);

class RangeTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Adds a range [first, last] (first <= last) carrying `value`. Call build() after the last.
  void add(IpAddress first, IpAddress last, uint32_t value);
  void build();
  // The value of the range holding `a`, or kNone.
  uint32_t find(IpAddress a) const;
  size_t ranges() const { return added_; }
  size_t segments() const { return segments_.size(); }

 private:
  struct Range {
    IpAddress first, last;
    uint32_t value;
  };
  std::vector<Range> pending_;
  std::vector<Range> segments_;  // disjoint, sorted
  size_t added_ = 0;
};

}  // namespace sp::enrich
