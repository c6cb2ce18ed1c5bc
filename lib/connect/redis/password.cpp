#include "connect/redis/password.h"

#include <cstdlib>

namespace sp::connect::redis {

std::string password_or_env(const std::string& uri_password) {
  if (!uri_password.empty()) return uri_password;
  const char* env = std::getenv("REDISCLI_AUTH");
  return env ? env : "";
}

}  // namespace sp::connect::redis
