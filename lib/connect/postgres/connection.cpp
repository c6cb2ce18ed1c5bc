#include "connect/postgres/connection.h"

#include <libpq-fe.h>

#include <cstring>

namespace sp::connect::postgres {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool transient_state(const std::string& st) {
  return st.rfind("08", 0) == 0 || st.rfind("53", 0) == 0 || st == "57P01" || st == "57P02" || st == "57P03" ||
         st == "40001" || st == "40P01" || st == "55P03";
}

}  // namespace

Connection::Connection(std::vector<std::pair<std::string, std::string>> params, std::string where)
    : params_(std::move(params)), where_(std::move(where)) {}

Connection::~Connection() { disconnect(); }

void Connection::disconnect() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

void Connection::ensure() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return;
  disconnect();
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params_) {
    if (v.empty()) continue;
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 0);
  if (!c) throw Transient(where_ + ": out of memory connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = trim(PQerrorMessage(c));
    PQfinish(c);
    // The server answered and said no: waiting will not help.
    if (msg.find("authentication failed") != std::string::npos || msg.find("does not exist") != std::string::npos ||
        msg.find("no password supplied") != std::string::npos || msg.find("no pg_hba.conf entry") != std::string::npos)
      throw Error(where_ + ": " + msg);
    throw Transient(where_ + ": cannot connect: " + msg);
  }
  conn_ = c;
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

void Connection::fail(const std::string& what, const char* sqlstate) {
  std::string st = sqlstate ? sqlstate : "";
  std::string msg = trim(what);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK || transient_state(st) || (st.empty())) {
    disconnect();
    throw Transient(where_ + ": " + msg);
  }
  if (st.rfind("22", 0) == 0 || st.rfind("23", 0) == 0 || st == "21000") throw DataError(msg, st);
  throw Error(where_ + ": " + msg);
}

void Connection::exec(const std::string& sql) {
  ensure();
  PGresult* r = PQexec(conn_, sql.c_str());
  ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
    PQclear(r);
    return;
  }
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  std::string st = r && PQresultErrorField(r, PG_DIAG_SQLSTATE) ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : "";
  PQclear(r);
  fail(msg, st.c_str());
}

std::vector<std::vector<std::string>> Connection::query(const std::string& sql, const std::vector<std::string>& args) {
  ensure();
  std::vector<const char*> vals;
  for (const auto& a : args) vals.push_back(a.c_str());
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(vals.size()), nullptr, vals.data(), nullptr,
                             nullptr, 0);
  if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    std::string st = r && PQresultErrorField(r, PG_DIAG_SQLSTATE) ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : "";
    PQclear(r);
    fail(msg, st.c_str());
  }
  std::vector<std::vector<std::string>> rows;
  int n = PQntuples(r), m = PQnfields(r);
  for (int i = 0; i < n; ++i) {
    rows.emplace_back();
    for (int j = 0; j < m; ++j) rows.back().emplace_back(PQgetvalue(r, i, j));
  }
  PQclear(r);
  return rows;
}

void Connection::copy_in(const std::string& copy_sql, std::string_view data) {
  ensure();
  PGresult* r = PQexec(conn_, copy_sql.c_str());
  if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    std::string st = r && PQresultErrorField(r, PG_DIAG_SQLSTATE) ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : "";
    PQclear(r);
    fail(msg, st.c_str());
  }
  PQclear(r);
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; off < data.size(); off += kChunk) {
    size_t n = std::min(kChunk, data.size() - off);
    if (PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) != 1) {
      std::string msg = PQerrorMessage(conn_);
      disconnect();
      throw Transient(where_ + ": " + trim(msg));
    }
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    std::string msg = PQerrorMessage(conn_);
    disconnect();
    throw Transient(where_ + ": " + trim(msg));
  }
  std::string err, st;
  bool ok = true;
  while ((r = PQgetResult(conn_)) != nullptr) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      ok = false;
      if (err.empty()) {
        err = PQresultErrorMessage(r);
        const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        st = s ? s : "";
      }
    }
    PQclear(r);
  }
  if (!ok) fail(err, st.c_str());
}

std::string Connection::quote_identifier(std::string_view name) const {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace sp::connect::postgres
