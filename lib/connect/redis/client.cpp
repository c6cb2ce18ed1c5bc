#include "connect/redis/client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace sp::connect::redis {

Client::Client(std::string host, int port, std::string user, std::string password, int db, double timeout_s,
               std::string where)
    : host_(std::move(host)),
      port_(port),
      user_(std::move(user)),
      password_(std::move(password)),
      db_(db),
      timeout_s_(timeout_s),
      where_(std::move(where)) {}

Client::~Client() { disconnect(); }

void Client::disconnect() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

void Client::ensure() {
  if (ctx_) return;
  struct timeval tv;
  tv.tv_sec = static_cast<long>(timeout_s_);
  tv.tv_usec = static_cast<long>((timeout_s_ - static_cast<double>(tv.tv_sec)) * 1e6);
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!c) throw Transient(where_ + ": cannot allocate a connection");
  if (c->err) {
    std::string msg = c->errstr;
    redisFree(c);
    throw Transient(where_ + ": cannot connect: " + msg);
  }
  redisSetTimeout(c, tv);
  ctx_ = c;
  if (!password_.empty()) {
    Reply r = user_.empty() ? command({"AUTH", password_}) : command({"AUTH", user_, password_});
    (void)r;
  } else {
    // A server that wants a password says so here (NOAUTH, exit 1), not once per record.
    command({"PING"});
  }
  if (db_ != 0) {
    std::string n = std::to_string(db_);
    command({"SELECT", n});
  }
}

void Client::append(const std::vector<std::string_view>& args) {
  argv_.clear();
  argvlen_.clear();
  for (auto a : args) {
    argv_.push_back(a.data());
    argvlen_.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv_.size()), argv_.data(), argvlen_.data()) != REDIS_OK) {
    std::string msg = ctx_->errstr;
    disconnect();
    throw Transient(where_ + ": " + msg);
  }
}

Reply Client::reply() {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    std::string msg = ctx_->err ? ctx_->errstr : "connection lost";
    if (msg.empty()) msg = "connection lost";
    disconnect();
    throw Transient(where_ + ": " + msg);
  }
  auto* r = static_cast<redisReply*>(raw);
  Reply out;
  out.error = r->type == REDIS_REPLY_ERROR;
  if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
    out.text.assign(r->str, r->len);
  freeReplyObject(r);
  // A server that is loading its data set or going down answers with errors that pass.
  if (out.error && (out.text.rfind("LOADING", 0) == 0 || out.text.rfind("BUSY", 0) == 0 ||
                    out.text.rfind("TRYAGAIN", 0) == 0 || out.text.rfind("MASTERDOWN", 0) == 0)) {
    disconnect();
    throw Transient(where_ + ": " + out.text);
  }
  return out;
}

Reply Client::command(const std::vector<std::string_view>& args) {
  append(args);
  Reply r = reply();
  if (r.error) {
    std::string msg = r.text;
    disconnect();
    throw Error(where_ + ": " + std::string(args[0]) + ": " + msg);
  }
  return r;
}

}  // namespace sp::connect::redis
