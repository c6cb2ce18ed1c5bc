#include "connect/sqlite/lookup.h"

#include <sqlite3.h>

#include "connect/sqlite/database.h"
#include "io/error.h"

namespace sp::connect::sqlite {
namespace {

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

KeyQuery::KeyQuery(const std::string& path, const std::string& table, const std::string& key_column,
                   const std::vector<std::string>& columns)
    : path_(path) {
  auto fail = [&](const std::string& what) {
    std::string msg = path + ": " + what + (db_ ? std::string(": ") + sqlite3_errmsg(db_) : std::string());
    if (stmt_) sqlite3_finalize(stmt_), stmt_ = nullptr;
    if (db_) sqlite3_close(db_), db_ = nullptr;
    throw Error(msg);
  };
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
    fail("cannot open the database");
  sqlite3_busy_timeout(db_, 5000);
  columns_ = columns;
  if (columns_.empty()) {
    // Every column of the table but the key, in table order.
    sqlite3_stmt* info = nullptr;
    std::string sql = "SELECT * FROM " + quote_identifier(table) + " LIMIT 0";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &info, nullptr) != SQLITE_OK) fail("table '" + table + "'");
    bool has_key = false;
    for (int i = 0; i < sqlite3_column_count(info); ++i) {
      std::string c = sqlite3_column_name(info, i);
      if (c == key_column) has_key = true;
      else columns_.push_back(c);
    }
    sqlite3_finalize(info);
    if (!has_key) fail("table '" + table + "' has no column '" + key_column + "'");
  }
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns_.size(); ++i) sql += (i ? ", " : "") + quote_identifier(columns_[i]);
  if (columns_.empty()) sql += "1";
  sql += " FROM " + quote_identifier(table) + " WHERE " + quote_identifier(key_column) + " = ?1 LIMIT 1";
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail("cannot query table '" + table + "'");
}

KeyQuery::~KeyQuery() {
  if (stmt_) sqlite3_finalize(stmt_);
  if (db_) sqlite3_close(db_);
}

bool KeyQuery::find(std::string_view key, std::vector<std::string>& values) {
  values.clear();
  sqlite3_reset(stmt_);
  sqlite3_bind_text(stmt_, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) throw Error(path_ + ": query failed: " + sqlite3_errmsg(db_));
  for (int i = 0; i < static_cast<int>(columns_.size()); ++i) {
    std::string v;
    append_column_json(v, stmt_, i);
    values.push_back(std::move(v));
  }
  sqlite3_reset(stmt_);
  return true;
}

}  // namespace sp::connect::sqlite
