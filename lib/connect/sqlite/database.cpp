#include "connect/sqlite/database.h"

#include <sqlite3.h>

#include "connect/error.h"
#include "json/writer.h"

namespace sp::connect::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Transient(msg);
  throw Error(msg);
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Statement::~Statement() { sqlite3_finalize(st_); }
void Statement::bind_null(int i) { sqlite3_bind_null(st_, i); }
void Statement::bind_int(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
void Statement::bind_double(int i, double v) { sqlite3_bind_double(st_, i, v); }
void Statement::bind_text(int i, std::string_view v) {
  sqlite3_bind_text64(st_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
}

bool Statement::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(db_);
  sqlite3_reset(st_);
  int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_TOOBIG ||
      primary == SQLITE_RANGE)
    throw RowError(msg);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Transient(msg);
  throw Error(msg);
}

void Statement::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}
int64_t Statement::column_int(int i) { return sqlite3_column_int64(st_, i); }
std::string Statement::column_text(int i) {
  const unsigned char* t = sqlite3_column_text(st_, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st_, i))) : "";
}
int Statement::column_count() { return sqlite3_column_count(st_); }

Database::Database(const std::string& path) : path_(path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = path + ": cannot open: " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Wait for another writer (e.g. a reader holding a lock briefly) before reporting BUSY.
  sqlite3_busy_timeout(db_, 5000);
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

void Database::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Transient(path_ + ": " + msg);
    throw Error(path_ + ": " + msg);
  }
}

std::unique_ptr<Statement> Database::prepare(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, path_);
  return std::unique_ptr<Statement>(new Statement(db_, st));
}

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void append_column_json(std::string& out, sqlite3_stmt* st, int i) {
  switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: json::append_int(out, sqlite3_column_int64(st, i)); break;
    case SQLITE_FLOAT: json::append_number(out, sqlite3_column_double(st, i)); break;
    case SQLITE_TEXT: {
      const char* t = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
      json::append_string(out, std::string_view(t, static_cast<size_t>(sqlite3_column_bytes(st, i))));
      break;
    }
    case SQLITE_BLOB: {
      const char* b = static_cast<const char*>(sqlite3_column_blob(st, i));
      json::append_base64(out, std::string_view(b, static_cast<size_t>(sqlite3_column_bytes(st, i))));
      break;
    }
    default: out += "null";
  }
}

}  // namespace sp::connect::sqlite
