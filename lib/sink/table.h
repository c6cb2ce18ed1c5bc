// Records as table rows, for the SQL sinks (SQLite, PostgreSQL): the columns of a new table
// (from --schema, or inferred from the first batch), and each record's values by column.
// Top-level members become columns; nested objects and arrays are stored as JSON text.
#pragma once
#include <simdjson.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sink/batch.h"
#include "sink/endpoint.h"
#include "sink/options.h"

namespace sp::sink {

enum class ColumnType { kInteger, kReal, kText, kBoolean, kJson };
const char* column_type_name(ColumnType t);

struct Column {
  std::string name;
  ColumnType type = ColumnType::kText;
};

// What the URI and flags say about the table.
struct TableOptions {
  std::string table = "events";
  std::vector<std::string> upsert_keys;  // ?upsert=f1,f2
  std::string raw_column;                // ?raw=NAME: the whole record in this column
  std::vector<Column> schema_columns;    // from --schema (empty: infer)
  bool add_columns = true;               // ?add_columns=0 ignores members with no column
};
TableOptions table_options(const Endpoint& endpoint, const Options& opts);

// Columns from a JSON Schema's "properties" (integer, number, string, boolean, object/array).
std::vector<Column> columns_from_schema(const std::string& file);

struct Value {
  enum Kind { kNull, kInt, kReal, kBool, kText, kJson } kind = kNull;
  int64_t i = 0;
  double d = 0;
  std::string_view s;  // kText: the decoded string; kJson: minified JSON text
};

class RowReader {
 public:
  // Column names -> positions. `raw_column` (when not empty) gets the whole record.
  void set_columns(const std::vector<Column>& columns, const std::string& raw_column);
  // Fills `row` (one Value per column) from `record`. Members with no column are appended to
  // `unknown` (with the type their value suggests) when it is given. Returns false with
  // `error` set when the record is not a JSON object. Views stay valid until the next read().
  bool read(std::string_view record, std::vector<Value>& row, std::vector<Column>* unknown, std::string& error);
  // The types that the members of the records [from, end) of `batch` suggest, in order of
  // first appearance; a member seen with two kinds of value gets the wider type.
  std::vector<Column> infer(const Batch& batch, size_t from, const std::vector<Column>& known);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> index_;
  size_t raw_index_ = SIZE_MAX;
  size_t columns_ = 0;
  simdjson::dom::parser parser_;
  std::vector<std::string> json_;  // minified nested values, per column
};

ColumnType type_of(simdjson::dom::element v, bool& is_null);
ColumnType wider(ColumnType a, ColumnType b);

}  // namespace sp::sink
