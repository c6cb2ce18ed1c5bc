// Hashing: sha256 and xxh64 as lower-case hex text, and deterministic sampling.
// Non-string arguments are hashed as their text (to_string).
#include <openssl/sha.h>
#include <xxhash.h>

#include "expr/functions.h"

namespace sp::expr {
namespace {

const char kHex[] = "0123456789abcdef";

// The bytes a value hashes as: a string's own bytes, anything else its text.
std::string_view hash_input(Context&, const Value& v, std::string& tmp) {
  if (v.type == Type::String) return v.text;
  tmp.clear();
  append_text(tmp, v);
  return tmp;
}

Value f_sha256(Context& cx, const Value* a, size_t) {
  std::string& tmp = cx.buffer();
  std::string_view in = hash_input(cx, a[0], tmp);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), md);
  char hex[2 * SHA256_DIGEST_LENGTH];
  for (size_t i = 0; i < sizeof md; ++i) {
    hex[2 * i] = kHex[md[i] >> 4];
    hex[2 * i + 1] = kHex[md[i] & 15];
  }
  return cx.string_result(std::string_view(hex, sizeof hex));
}

Value f_xxh64(Context& cx, const Value* a, size_t n) {
  int64_t seed = 0;
  if (n > 1 && !arg_int(cx, a, 1, seed)) return {};
  std::string& tmp = cx.buffer();
  std::string_view in = hash_input(cx, a[0], tmp);
  uint64_t h = XXH64(in.data(), in.size(), static_cast<XXH64_hash_t>(seed));
  char hex[16];
  for (int i = 15; i >= 0; --i, h >>= 4) hex[i] = kHex[h & 15];
  return cx.string_result(std::string_view(hex, 16));
}

// sample(key, rate): true for a fraction `rate` of keys, always the same keys for the same
// rate (XXH64 with seed 0 of the key's bytes, top 53 bits as a fraction in [0, 1)).
Value f_sample(Context& cx, const Value* a, size_t) {
  double rate;
  if (!arg_number(cx, a, 1, rate)) return {};
  std::string& tmp = cx.buffer();
  std::string_view in = hash_input(cx, a[0], tmp);
  return Value::of_bool(sample_bytes(in, rate));
}

}  // namespace

bool sample_bytes(std::string_view bytes, double rate) {
  uint64_t h = XXH64(bytes.data(), bytes.size(), 0);
  return static_cast<double>(h >> 11) * 0x1p-53 < rate;
}

namespace {

const FunctionDef kFunctions[] = {
    {.name = "sha256", .signature = "sha256(x)", .min_args = 1, .max_args = 1, .impl = f_sha256, .returns = Type::String},
    {.name = "xxh64", .signature = "xxh64(x[, seed])", .min_args = 1, .max_args = 2, .impl = f_xxh64, .returns = Type::String},
    {.name = "sample", .signature = "sample(key, rate)", .min_args = 2, .max_args = 2, .impl = f_sample, .returns = Type::Bool},
};

}  // namespace

std::span<const FunctionDef> hash_functions() { return kFunctions; }

}  // namespace sp::expr
