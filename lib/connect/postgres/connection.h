// A thin C++ face on libpq (the only file that includes libpq-fe.h is connection.cpp).
// Failures are classified for the caller: connect::Transient when the server is unreachable,
// restarting or the connection broke (retry on a new connection); DataError when the server
// refused the data of a statement (SQLSTATE classes 22 and 23: bisect to find the rows);
// sp::Error for anything else (authentication, a missing database, bad SQL).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "connect/error.h"

struct pg_conn;

namespace sp::connect::postgres {

class DataError : public Error {
 public:
  DataError(const std::string& what, std::string sqlstate) : Error(what), sqlstate(std::move(sqlstate)) {}
  std::string sqlstate;
};

class Connection {
 public:
  // `params`: libpq keywords and values (host, port, user, password, dbname, sslmode...);
  // empty values are left to libpq's defaults and PG* environment variables.
  // `where` names the server in messages (without a password).
  Connection(std::vector<std::pair<std::string, std::string>> params, std::string where);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects when not connected. Throws Transient (server down) or sp::Error (refused us).
  void ensure();
  bool connected() const { return conn_ != nullptr; }
  void disconnect();

  void exec(const std::string& sql);
  // Rows of the first column... of every column, as text ("" for NULL).
  std::vector<std::vector<std::string>> query(const std::string& sql, const std::vector<std::string>& args = {});
  // COPY ... FROM STDIN with `data` in text format.
  void copy_in(const std::string& copy_sql, std::string_view data);
  std::string quote_identifier(std::string_view name) const;

 private:
  [[noreturn]] void fail(const std::string& what, const char* sqlstate);
  std::vector<std::pair<std::string, std::string>> params_;
  std::string where_;
  pg_conn* conn_ = nullptr;
};

}  // namespace sp::connect::postgres
