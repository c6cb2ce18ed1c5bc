// Reading lookups from Redis: HGETALL, HMGET and GET, one connection, optional pipelining
// of a batch of keys. The only place besides the sink's Redis code that includes hiredis.h.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct redisContext;

namespace sp::connect::redis {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // never printed
  int db = 0;
  double timeout_s = 5;
};

// What one key gave: nothing (absent), a hash's fields, or a string.
struct Reply {
  bool found = false;
  std::vector<std::pair<std::string, std::string>> fields;  // HGETALL / HMGET (present fields)
  std::string text;                                         // GET
};

class Reader {
 public:
  // Connects (and AUTH/SELECT); throws sp::Error naming host:port when it cannot.
  explicit Reader(Endpoint endpoint);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  enum class Command { kHgetall, kHmget, kGet };
  // Sends the command for every key at once (one round trip), then reads the replies in order.
  // `fields` is for HMGET. Reconnects once when the connection was lost; throws sp::Error when
  // the server stays unreachable or answers with an error.
  void fetch(Command cmd, const std::vector<std::string>& keys, const std::vector<std::string>& fields,
             std::vector<Reply>& replies);
  std::string where() const { return endpoint_.host + ":" + std::to_string(endpoint_.port); }

 private:
  void connect();
  bool try_fetch(Command cmd, const std::vector<std::string>& keys, const std::vector<std::string>& fields,
                 std::vector<Reply>& replies, std::string& error);
  Endpoint endpoint_;
  redisContext* ctx_ = nullptr;
};

}  // namespace sp::connect::redis
