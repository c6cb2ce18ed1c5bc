// Where a Redis password comes from, for the sink and the lookups alike.
#pragma once
#include <string>

namespace sp::connect::redis {

// The password of a redis:// URI, or else the environment's REDISCLI_AUTH (the variable
// redis-cli reads), so that it need not be on a command line.
std::string password_or_env(const std::string& uri_password);

}  // namespace sp::connect::redis
