// Key lookups in an SQLite table: one prepared, indexed query per key
// (SELECT columns FROM table WHERE key_column = ?), values returned as JSON text.
// With database.cpp and reader.cpp, the only files that include sqlite3.h.
#pragma once
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace sp::connect::sqlite {

class KeyQuery {
 public:
  // Opens `path` read-only and prepares the query. `columns` empty: every column but the key.
  // Throws sp::Error with SQLite's message when the file, table or a column is not there.
  KeyQuery(const std::string& path, const std::string& table, const std::string& key_column,
           const std::vector<std::string>& columns);
  ~KeyQuery();
  KeyQuery(const KeyQuery&) = delete;
  KeyQuery& operator=(const KeyQuery&) = delete;

  const std::vector<std::string>& columns() const { return columns_; }
  // The first row whose key column equals `key` (compared with the column's affinity, so
  // "42" finds the INTEGER 42): one JSON text per column (INTEGER and REAL as numbers, TEXT as
  // strings, NULL as null, BLOB as a base64 string). False when there is no such row.
  bool find(std::string_view key, std::vector<std::string>& values);

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::vector<std::string> columns_;
  std::string path_;
};

}  // namespace sp::connect::sqlite
