// Network functions: cidr_match(ip, cidr) for IPv4 and IPv6 (IPv4-mapped IPv6 addresses match
// IPv4 ranges and the other way round).
#include <arpa/inet.h>

#include <cstring>

#include "expr/functions.h"
#include "io/error.h"

namespace sp::expr {
namespace {

struct Address {
  bool v6 = false;
  unsigned char bytes[16] = {};
};

struct Cidr : Prepared {
  Address net;
  int prefix = 0;
};

bool parse_address(std::string_view text, Address& out) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, out.bytes) == 1) {
    out.v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.bytes) == 1) {
    out.v6 = true;
    return true;
  }
  return false;
}

bool parse_cidr(std::string_view text, Cidr& out) {
  size_t slash = text.find('/');
  if (!parse_address(text.substr(0, slash), out.net)) return false;
  int max = out.net.v6 ? 128 : 32;
  if (slash == std::string_view::npos) {
    out.prefix = max;
    return true;
  }
  std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3) return false;
  int p = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + (c - '0');
  }
  if (p > max) return false;
  out.prefix = p;
  return true;
}

bool prefix_equal(const unsigned char* a, const unsigned char* b, int bits) {
  int whole = bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

bool contains(const Cidr& c, const Address& ip) {
  if (c.net.v6 == ip.v6) return prefix_equal(c.net.bytes, ip.bytes, c.prefix);
  if (ip.v6) {  // ::ffff:a.b.c.d against an IPv4 range
    if (std::memcmp(ip.bytes, kMappedPrefix, 12) != 0) return false;
    return prefix_equal(c.net.bytes, ip.bytes + 12, c.prefix);
  }
  // an IPv4 address against an IPv6 range: compare as ::ffff:a.b.c.d
  unsigned char mapped[16];
  std::memcpy(mapped, kMappedPrefix, 12);
  std::memcpy(mapped + 12, ip.bytes, 4);
  return prefix_equal(c.net.bytes, mapped, c.prefix);
}

std::unique_ptr<Prepared> prepare_cidr(const Node& call, const std::string& source) {
  const Node& arg = *call.kids[1];
  if (arg.op != Op::Literal || arg.value.is_null()) return nullptr;
  auto c = std::make_unique<Cidr>();
  if (arg.value.type != Type::String || !parse_cidr(arg.value.text, *c))
    throw UsageError("not a CIDR range (like '10.0.0.0/8' or '2001:db8::/32')", source, arg.pos);
  return c;
}

Value f_cidr_match(Context& cx, const Value* a, size_t) {
  std::string_view ip_text;
  if (!arg_string(cx, a, 0, ip_text)) return {};
  Address ip;
  if (!parse_address(ip_text, ip)) return cx.fail("'" + std::string(ip_text.substr(0, 60)) + "' is not an IP address");
  const Cidr* c = cx.prepared<Cidr>();
  Cidr dynamic;
  if (!c) {
    std::string_view range;
    if (!arg_string(cx, a, 1, range)) return {};
    if (!parse_cidr(range, dynamic)) return cx.fail("'" + std::string(range.substr(0, 60)) + "' is not a CIDR range");
    c = &dynamic;
  }
  return Value::of_bool(contains(*c, ip));
}

const FunctionDef kFunctions[] = {
    {.name = "cidr_match", .signature = "cidr_match(ip, cidr)", .min_args = 2, .max_args = 2, .impl = f_cidr_match, .returns = Type::Bool, .prepare = prepare_cidr},
};

}  // namespace

std::span<const FunctionDef> net_functions() { return kFunctions; }

}  // namespace sp::expr
