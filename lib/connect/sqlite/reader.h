// Read-only SQL over one table of an SQLite database, for answering queries from the network
// (sp-serve's /api/query). Every safeguard is SQLite's own: the file is opened with
// SQLITE_OPEN_READONLY; a query must be one statement that sqlite3_stmt_readonly() calls
// read-only; an authorizer allows only SELECT, reads of the served table and function calls (no
// PRAGMA, ATTACH, transactions, other tables, views, or module tables such as dbstat; common
// table expressions, json_each and json_tree are allowed); a progress handler stops a query
// past its time limit; rows and bytes are capped. Connections are pooled, one per concurrent query, so
// that a writer (sp-sink in WAL mode) and several readers work at once.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "io/error.h"

namespace sp::connect::sqlite {

struct ReadLimits {
  std::chrono::milliseconds timeout{5000};  // per query, from prepare to the last row
  size_t max_bytes = 64u << 20;             // of the JSON result
};

class QueryError : public Error {
 public:
  enum class Kind {
    Refused,  // the query: SQL error, not read-only, not allowed, too slow, too large (400)
    Busy,     // SQLITE_BUSY/LOCKED after the busy timeout: try again (503)
    Missing,  // the database file is not there (yet) (503)
    Failed,   // anything else: not a database, I/O error, corruption (500)
  };
  QueryError(Kind k, const std::string& what) : Error(what), kind(k) {}
  Kind kind;
};

struct QueryResult {
  std::string json;        // [{"column":value,...},...] (no newline)
  size_t rows = 0;
  bool truncated = false;  // the query had more than max_rows rows
};

struct ReaderPool;

class TableReader {
 public:
  // Nothing is opened yet: the database may appear later (sp-sink creates it on its first batch).
  TableReader(std::string path, std::string table, ReadLimits limits = {});
  ~TableReader();
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  // Runs one read-only SELECT and returns up to max_rows rows as JSON objects: INTEGER and
  // REAL as numbers (infinities as null), TEXT as strings, NULL as null, BLOB as base64 text.
  // Throws QueryError.
  QueryResult query(std::string_view sql, size_t max_rows);
  // The newest `rows` rows of the table (by rowid), oldest first.
  QueryResult newest(size_t rows);
  // Why the table cannot be read now ("" when it can): for a warning at start.
  std::string check();

  const std::string& path() const { return path_; }
  const std::string& table() const { return table_; }

 private:
  std::string path_, table_;
  ReadLimits limits_;
  std::unique_ptr<ReaderPool> pool_;
};

}  // namespace sp::connect::sqlite
