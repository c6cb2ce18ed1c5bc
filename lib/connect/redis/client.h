// A thin C++ face on hiredis (the only file that includes hiredis.h is client.cpp): one
// connection, pipelined commands, replies in order. A lost or refused connection throws
// connect::Transient (reconnect and retry); an authentication failure sp::Error.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "connect/error.h"

struct redisContext;

namespace sp::connect::redis {

struct Reply {
  bool error = false;
  std::string text;  // the error message, or a string/status reply
};

class Client {
 public:
  Client(std::string host, int port, std::string user, std::string password, int db, double timeout_s,
         std::string where);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void ensure();  // connects, authenticates and selects the database when not connected
  void disconnect();
  bool connected() const { return ctx_ != nullptr; }
  // Queues one command (sent with the next reply read).
  void append(const std::vector<std::string_view>& args);
  // The reply of the oldest command not yet answered.
  Reply reply();
  // A command on its own (append + reply), throwing sp::Error on an error reply.
  Reply command(const std::vector<std::string_view>& args);

 private:
  std::string host_;
  int port_;
  std::string user_, password_;
  int db_;
  double timeout_s_;
  std::string where_;
  redisContext* ctx_ = nullptr;
  std::vector<const char*> argv_;
  std::vector<size_t> argvlen_;
};

}  // namespace sp::connect::redis
