#include "enrich/remote.h"

#include <simdjson.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <unordered_set>

#include "connect/redis/lookup.h"
#include "connect/redis/password.h"
#include "connect/sqlite/lookup.h"
#include "connect/uri.h"
#include "enrich/lru.h"
#include "io/error.h"
#include "json/splice.h"
#include "json/writer.h"

namespace sp::enrich {
namespace {

using connect::percent_decode;

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Redis strings become JSON strings (Redis has no other type), except for GET, whose value is
// used as JSON when it is JSON.
std::string string_json(std::string_view s) {
  std::string out;
  json::append_string(out, s);
  return out;
}

// A cached lookup: a miss is cached as an absent row.
class CachedLookup : public Lookup {
 public:
  explicit CachedLookup(const LookupSpec& spec) : spec_(spec), cache_(spec.cache_size, spec.cache_ttl) {}

  Match find(std::string_view key) override {
    double now = monotonic_seconds();
    if (auto* hit = cache_.get(key, now)) return hit->has_value() ? Match(**hit) : Match();
    if (spec_.cache_size == 0) {
      uncached_ = fetch(key);  // kept only until the next find()
      return uncached_ ? Match(*uncached_) : Match();
    }
    auto* stored = cache_.put(key, fetch(key), now);
    return stored->has_value() ? Match(**stored) : Match();
  }

 protected:
  virtual std::optional<Row> fetch(std::string_view key) = 0;
  bool cached(std::string_view key, double now) { return cache_.get(key, now) != nullptr; }
  void remember(std::string_view key, std::optional<Row> row, double now) { cache_.put(key, std::move(row), now); }
  LookupSpec spec_;

 private:
  LruCache<std::optional<Row>> cache_;
  std::optional<Row> uncached_;
};

class SqliteLookup : public CachedLookup {
 public:
  SqliteLookup(const LookupSpec& spec, const std::string& path, const std::string& table, const std::string& key)
      : CachedLookup(spec), query_(path, table, key, spec.format.fields), builder_(spec.format) {}
  std::vector<std::string> value_names() const override { return query_.columns(); }
  std::string name() const override { return spec_.source; }

 protected:
  std::optional<Row> fetch(std::string_view key) override {
    if (!query_.find(key, values_)) return std::nullopt;
    return builder_.build(query_.columns(), values_);
  }

 private:
  connect::sqlite::KeyQuery query_;
  RowBuilder builder_;
  std::vector<std::string> values_;
};

class RedisLookup : public CachedLookup {
 public:
  RedisLookup(const LookupSpec& spec, connect::redis::Endpoint ep, connect::redis::Reader::Command cmd,
              std::string key_template, std::string shown)
      : CachedLookup(spec), reader_(std::move(ep)), cmd_(cmd), template_(std::move(key_template)),
        shown_(std::move(shown)), builder_(spec.format) {}
  std::vector<std::string> value_names() const override { return spec_.format.fields; }
  std::string name() const override { return shown_; }
  const std::string& key_template() const override { return template_; }
  bool batches() const override { return spec_.cache_size > 0; }

  // The keys not cached yet, asked for in one pipelined round trip (repeats asked once).
  void prefetch(const std::vector<std::string>& keys) override {
    double now = monotonic_seconds();
    keys_.clear();
    seen_.clear();
    for (const auto& k : keys)
      if (seen_.insert(k).second && !cached(k, now)) keys_.push_back(k);
    if (keys_.empty()) return;
    reader_.fetch(cmd_, keys_, spec_.format.fields, replies_);
    for (size_t i = 0; i < keys_.size(); ++i) remember(keys_[i], row_from(replies_[i]), now);
  }

 protected:
  std::optional<Row> fetch(std::string_view key) override {
    keys_.assign(1, std::string(key));
    reader_.fetch(cmd_, keys_, spec_.format.fields, replies_);
    return row_from(replies_[0]);
  }

 private:
  std::optional<Row> row_from(const connect::redis::Reply& r) {
    if (!r.found) return std::nullopt;
    names_.clear();
    values_.clear();
    if (cmd_ == connect::redis::Reader::Command::kGet) {
      // A JSON object gives its members; any other value is one member named by --as.
      simdjson::padded_string padded(r.text);
      simdjson::dom::element doc;
      bool is_json = !parser_.parse(padded).get(doc);
      if (is_json && doc.is_object()) {
        std::vector<json::MemberSpan> members;
        json::scan_object(r.text, members);
        std::string name;
        for (const auto& m : members) {
          json::unescape_string(m.key_raw, name);
          if (!spec_.format.fields.empty() &&
              std::find(spec_.format.fields.begin(), spec_.format.fields.end(), name) == spec_.format.fields.end())
            continue;
          names_.push_back(name);
          values_.emplace_back(m.value);
        }
        return builder_.build(names_, values_);
      }
      // Not an object: one value, which --as names (checked when the lookup was opened).
      std::string v = is_json ? r.text : string_json(r.text);
      Row row;
      auto shape = std::make_shared<Shape>();
      shape->names.push_back(spec_.format.as.empty() ? "value" : spec_.format.as);
      shape->quoted.push_back(string_json(shape->names[0]));
      row.members = shape->quoted[0] + ":" + v;
      row.shape = shape;
      return row;
    }
    for (const auto& [f, v] : r.fields) {
      if (!spec_.format.fields.empty() && cmd_ == connect::redis::Reader::Command::kHgetall &&
          std::find(spec_.format.fields.begin(), spec_.format.fields.end(), f) == spec_.format.fields.end())
        continue;
      names_.push_back(f);
      values_.push_back(string_json(v));
    }
    return builder_.build(names_, values_);
  }

  connect::redis::Reader reader_;
  connect::redis::Reader::Command cmd_;
  std::string template_;
  std::string shown_;
  RowBuilder builder_;
  simdjson::dom::parser parser_;
  std::vector<std::string> keys_, names_, values_;
  std::unordered_set<std::string_view> seen_;  // views of the caller's keys, during prefetch()
  std::vector<connect::redis::Reply> replies_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> uri_query(const std::string& uri, const std::string& option,
                                                           std::initializer_list<const char*> known) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t q = uri.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest(uri);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string name = percent_decode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
    bool ok = false;
    std::string list;
    for (const char* k : known) {
      ok = ok || name == k;
      list += (list.empty() ? "" : ", ") + std::string(k);
    }
    if (!ok) throw UsageError(option + ": unknown parameter '" + name + "' (known: " + list + ")");
    out.emplace_back(name, value);
  }
  return out;
}

std::unique_ptr<Lookup> open_sqlite_lookup(const LookupSpec& spec, const std::string& key_column) {
  std::string rest = spec.source.substr(strlen("sqlite://"));
  std::string path = rest.substr(0, rest.find('?'));
  std::string table;
  for (auto& [k, v] : uri_query(spec.source, "--lookup " + spec.source, {"table"}))
    if (k == "table") table = v;
  if (path.empty()) throw UsageError("--lookup " + spec.source + ": no database path (sqlite:///path/to.db?table=T)");
  if (table.empty()) throw UsageError("--lookup " + spec.source + ": which table? add ?table=NAME");
  if (access(path.c_str(), R_OK) != 0)
    throw UsageError("--lookup " + spec.source + ": cannot read " + path + " (" + errno_text(errno) + ")");
  try {
    return std::make_unique<SqliteLookup>(spec, path, table, key_column);
  } catch (const Error& e) {
    throw UsageError(std::string("--lookup: ") + e.what());
  }
}

std::unique_ptr<Lookup> open_redis_lookup(const LookupSpec& spec, const std::string& key_column) {
  const std::string option = "--lookup redis://...";
  std::string rest = spec.source.substr(strlen("redis://"));
  std::string authority = rest.substr(0, rest.find_first_of("/?"));
  std::string after = rest.substr(authority.size());
  connect::redis::Endpoint ep;
  std::string shown = "redis://";
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    ep.password = percent_decode(userinfo.substr(userinfo.find(':') == std::string::npos ? 0 : userinfo.find(':') + 1));
    authority = authority.substr(at + 1);
    shown += "***@";
  }
  ep.password = connect::redis::password_or_env(ep.password);
  if (!authority.empty()) {
    size_t colon = authority.rfind(':');
    ep.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      try {
        size_t used = 0;
        ep.port = std::stoi(authority.substr(colon + 1), &used);
        if (used != authority.size() - colon - 1 || ep.port <= 0 || ep.port > 65535) throw std::invalid_argument("");
      } catch (const std::exception&) {
        throw UsageError(option + ": bad port in '" + authority + "'");
      }
    }
  }
  shown += ep.host + ":" + std::to_string(ep.port);
  if (!after.empty() && after[0] == '/') {
    std::string db = after.substr(1, after.find('?') - 1);
    if (!db.empty()) {
      try {
        ep.db = std::stoi(db);
      } catch (const std::exception&) {
        throw UsageError(option + ": bad database number '" + db + "'");
      }
    }
  }
  std::string cmd = "hgetall", key_template;
  for (auto& [k, v] : uri_query(spec.source, option, {"cmd", "key", "timeout"})) {
    if (k == "cmd") cmd = v;
    else if (k == "key") key_template = v;
    else if (k == "timeout") {
      try {
        ep.timeout_s = std::stod(v);
      } catch (const std::exception&) {
        throw UsageError(option + ": bad timeout '" + v + "' (seconds)");
      }
    }
  }
  for (char& c : cmd) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  connect::redis::Reader::Command command;
  if (cmd == "hgetall") command = connect::redis::Reader::Command::kHgetall;
  else if (cmd == "hget" || cmd == "hmget") command = connect::redis::Reader::Command::kHmget;
  else if (cmd == "get") command = connect::redis::Reader::Command::kGet;
  else throw UsageError(option + ": unknown cmd '" + cmd + "' (hgetall, hget, hmget or get)");
  if (command == connect::redis::Reader::Command::kHmget && spec.format.fields.empty())
    throw UsageError(option + ": cmd=" + cmd + " needs --fields naming the hash fields to read");
  if (key_template.empty()) {
    if (spec.on.empty()) throw UsageError(option + ": give the key: ?key=user:{user_id}, or --on FIELD");
    key_template = "{" + spec.on + "}";
  }
  (void)key_column;
  shown += " (" + cmd + " " + key_template + ")";
  // A server that cannot be reached is a runtime failure (exit 1), not a usage error.
  return std::make_unique<RedisLookup>(spec, ep, command, key_template, shown);
}

}  // namespace sp::enrich
