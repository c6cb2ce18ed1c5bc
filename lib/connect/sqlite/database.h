// A thin C++ face on SQLite:
// a connection, prepared statements, errors as exceptions. SQLITE_BUSY and SQLITE_LOCKED
// (another writer holds the database) throw connect::Transient; other failures sp::Error.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sp::connect::sqlite {

class Statement {
 public:
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  // Parameters are 1-based, as in SQLite.
  void bind_null(int i);
  void bind_int(int i, int64_t v);
  void bind_double(int i, double v);
  void bind_text(int i, std::string_view v);  // not copied: must live until step()
  // Runs the statement to completion (or to the next row). Returns true when a row is ready.
  // A constraint or type error of this row throws RowError, the statement reset.
  bool step();
  void reset();
  int64_t column_int(int i);
  std::string column_text(int i);
  int column_count();

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
  sqlite3* db_;
  sqlite3_stmt* st_;
};

// This row was refused (constraint, datatype mismatch); the transaction goes on.
class RowError : public Error {
 public:
  using Error::Error;
};

class Database {
 public:
  // Opens (creating) the database file. Throws sp::Error.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  void exec(const std::string& sql);
  std::unique_ptr<Statement> prepare(const std::string& sql);
  const std::string& path() const { return path_; }
  bool in_transaction() const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// "name" -> "\"name\"" with embedded quotes doubled.
std::string quote_identifier(std::string_view name);

// Appends column `i` of the row `st` stands on as JSON: a number, a string, a blob as base64,
// or null (the lookup tables of sp-enrich and sp-serve's /api/query).
void append_column_json(std::string& out, sqlite3_stmt* st, int i);

}  // namespace sp::connect::sqlite
