// Lookups that ask a server per key (SQLite, Redis), through an LRU cache with a TTL.
#pragma once
#include <memory>
#include <string>

#include "enrich/lookup.h"

namespace sp::enrich {

// sqlite:///path/to.db?table=T   (sqlite://relative.db?table=T for a relative path)
std::unique_ptr<Lookup> open_sqlite_lookup(const LookupSpec& spec, const std::string& key_column);
// redis://[:password@]host:port[/db]?cmd=hgetall|hget|hmget|get&key=user:{user_id}
std::unique_ptr<Lookup> open_redis_lookup(const LookupSpec& spec, const std::string& key_column);

// The query parameters of a URI ("a=1&b=2"), percent-decoded; throws sp::UsageError on a
// parameter not in `known`.
std::vector<std::pair<std::string, std::string>> uri_query(const std::string& uri, const std::string& option,
                                                           std::initializer_list<const char*> known);

}  // namespace sp::enrich
