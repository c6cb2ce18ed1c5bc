#include "connect/redis/lookup.h"

#include <hiredis/hiredis.h>

#include <cmath>
#include <cstring>

#include "io/error.h"

namespace sp::connect::redis {

Reader::Reader(Endpoint endpoint) : endpoint_(std::move(endpoint)) { connect(); }

Reader::~Reader() {
  if (ctx_) redisFree(ctx_);
}

void Reader::connect() {
  if (ctx_) redisFree(ctx_), ctx_ = nullptr;
  timeval tv;
  tv.tv_sec = static_cast<time_t>(endpoint_.timeout_s);
  tv.tv_usec = static_cast<suseconds_t>((endpoint_.timeout_s - std::floor(endpoint_.timeout_s)) * 1e6);
  ctx_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv);
  if (!ctx_ || ctx_->err) {
    std::string msg = ctx_ ? ctx_->errstr : "out of memory";
    if (ctx_) redisFree(ctx_), ctx_ = nullptr;
    throw Error("redis " + where() + ": cannot connect: " + msg);
  }
  redisSetTimeout(ctx_, tv);
  auto simple = [&](std::vector<std::string> args, const char* what) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto& a : args) argv.push_back(a.data()), lens.push_back(a.size());
    auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    std::string err = r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : std::string(ctx_->errstr);
    if (r) freeReplyObject(r);
    if (!ok) throw Error("redis " + where() + ": " + what + " failed: " + err);
  };
  if (!endpoint_.password.empty()) simple({"AUTH", endpoint_.password}, "AUTH");
  if (endpoint_.db != 0) simple({"SELECT", std::to_string(endpoint_.db)}, "SELECT");
}

bool Reader::try_fetch(Command cmd, const std::vector<std::string>& keys, const std::vector<std::string>& fields,
                       std::vector<Reply>& replies, std::string& error) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& key : keys) {
    argv.clear();
    lens.clear();
    const char* name = cmd == Command::kHgetall ? "HGETALL" : cmd == Command::kHmget ? "HMGET" : "GET";
    argv.push_back(name), lens.push_back(strlen(name));
    argv.push_back(key.data()), lens.push_back(key.size());
    if (cmd == Command::kHmget)
      for (const auto& f : fields) argv.push_back(f.data()), lens.push_back(f.size());
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
      error = ctx_->errstr;
      return false;
    }
  }
  replies.assign(keys.size(), Reply{});
  for (size_t k = 0; k < keys.size(); ++k) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      error = ctx_->errstr[0] ? ctx_->errstr : "connection lost";
      return false;
    }
    auto* r = static_cast<redisReply*>(raw);
    Reply& out = replies[k];
    if (r->type == REDIS_REPLY_ERROR) {
      error = std::string(r->str, r->len);
      freeReplyObject(r);
      throw Error("redis " + where() + ": " + error);
    }
    if (cmd == Command::kGet) {
      if (r->type == REDIS_REPLY_STRING) out.found = true, out.text.assign(r->str, r->len);
    } else if (r->type == REDIS_REPLY_ARRAY) {
      if (cmd == Command::kHgetall) {
        for (size_t i = 0; i + 1 < r->elements; i += 2)
          out.fields.emplace_back(std::string(r->element[i]->str, r->element[i]->len),
                                  std::string(r->element[i + 1]->str, r->element[i + 1]->len));
      } else {
        for (size_t i = 0; i < r->elements && i < fields.size(); ++i)
          if (r->element[i]->type == REDIS_REPLY_STRING)
            out.fields.emplace_back(fields[i], std::string(r->element[i]->str, r->element[i]->len));
      }
      out.found = !out.fields.empty();
    }
    freeReplyObject(r);
  }
  return true;
}

void Reader::fetch(Command cmd, const std::vector<std::string>& keys, const std::vector<std::string>& fields,
                   std::vector<Reply>& replies) {
  std::string error;
  if (ctx_ && try_fetch(cmd, keys, fields, replies, error)) return;
  connect();  // the connection was lost: once more on a new one
  if (!try_fetch(cmd, keys, fields, replies, error)) throw Error("redis " + where() + ": " + error);
}

}  // namespace sp::connect::redis
