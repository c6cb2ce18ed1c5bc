#include "sink/postgres_sink.h"

#include <functional>

#include "connect/postgres/connection.h"
#include "json/writer.h"
#include "sink/table.h"

namespace sp::sink {
namespace {

using connect::postgres::Connection;
using connect::postgres::DataError;

const char* pg_type(ColumnType t) {
  switch (t) {
    case ColumnType::kInteger: return "bigint";
    case ColumnType::kReal: return "double precision";
    case ColumnType::kBoolean: return "boolean";
    case ColumnType::kJson: return "jsonb";
    case ColumnType::kText: return "text";
  }
  return "text";
}

ColumnType from_pg_type(const std::string& t) {
  if (t == "bigint" || t == "integer" || t == "smallint") return ColumnType::kInteger;
  if (t == "double precision" || t == "real" || t == "numeric") return ColumnType::kReal;
  if (t == "boolean") return ColumnType::kBoolean;
  if (t == "jsonb" || t == "json") return ColumnType::kJson;
  return ColumnType::kText;
}

// COPY text format: backslash escapes for \ newline CR tab; \N is NULL.
void append_copy_text(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
}

// SQL literal with standard_conforming_strings (the default since PostgreSQL 9.1).
void append_literal(std::string& out, std::string_view s) {
  out += '\'';
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
}

class PostgresSink : public Sink {
 public:
  PostgresSink(const Endpoint& endpoint, const Options& opts)
      : where_(endpoint.redacted()), topts_(table_options(endpoint, opts)) {
    std::string mode = endpoint.param("mode", "copy");
    if (mode != "copy" && mode != "insert") throw UsageError(where_ + ": mode must be copy or insert, not '" + mode + "'");
    insert_mode_ = mode == "insert";
    std::vector<std::pair<std::string, std::string>> params;
    params.emplace_back("host", endpoint.host());
    params.emplace_back("port", endpoint.port() ? std::to_string(endpoint.port()) : "");
    params.emplace_back("user", endpoint.user());
    params.emplace_back("password", endpoint.password());
    std::string db = endpoint.path();
    if (!db.empty() && db[0] == '/') db.erase(0, 1);
    params.emplace_back("dbname", db);
    params.emplace_back("connect_timeout", std::to_string(std::max(1, static_cast<int>(opts.timeout))));
    params.emplace_back("application_name", "sp-sink");
    // Other parameters are libpq's own (sslmode, sslrootcert, options...).
    for (const auto& [k, v] : endpoint.params()) {
      if (k == "table" || k == "mode" || k == "upsert" || k == "raw" || k == "add_columns") continue;
      endpoint.param(k);
      params.emplace_back(k, v);
    }
    conn_ = std::make_unique<Connection>(std::move(params), where_);
  }

  std::string describe() const override { return where_; }

  void write(Batch& batch) override {
    try {
      conn_->ensure();
      if (!loaded_) load_columns();
      if (columns_.empty()) create_table(batch);
      encode(batch);  // may add columns (committed on their own, before the batch)
      if (!insert_mode_ && !topts_.upsert_keys.empty()) ensure_stage();
      conn_->exec("BEGIN");
      store(batch, 0, row_index_.size());
      conn_->exec("COMMIT");
      batch.confirmed = batch.size();
    } catch (const Transient&) {
      // The connection is gone (or the server said so): reconnect on the next attempt.
      conn_->disconnect();
      loaded_ = false;
      stage_ready_ = false;
      throw;
    } catch (...) {
      try {
        if (conn_->connected()) conn_->exec("ROLLBACK");
      } catch (...) {
      }
      throw;
    }
  }

  void close() override { conn_->disconnect(); }

 private:
  // Rows [lo, hi) of the encoded batch (indices relative to batch.confirmed). A row the server
  // refuses is found by bisection, each half in its own savepoint.
  void store(Batch& batch, size_t lo, size_t hi) {
    if (lo >= hi) return;
    conn_->exec("SAVEPOINT sp_part");
    try {
      send(lo, hi);
      conn_->exec("RELEASE SAVEPOINT sp_part");
      return;
    } catch (const DataError& e) {
      conn_->exec("ROLLBACK TO SAVEPOINT sp_part");
      conn_->exec("RELEASE SAVEPOINT sp_part");
      if (hi - lo == 1) {
        std::string msg = e.what();
        while (!msg.empty() && msg.back() == '\n') msg.pop_back();
        size_t nl = msg.find('\n');  // keep the first line and the CONTEXT-free detail
        batch.refuse(batch.confirmed + row_index_[lo], nl == std::string::npos ? msg : msg.substr(0, nl));
        return;
      }
    }
    size_t mid = lo + (hi - lo) / 2;
    store(batch, lo, mid);
    store(batch, mid, hi);
  }

  void send(size_t lo, size_t hi) {
    size_t b = row_begin_[lo], e = row_begin_[hi];
    std::string_view data(encoded_.data() + b, e - b);
    if (insert_mode_) {
      // Statements of at most 1000 rows, each row already "(...)" followed by ",".
      size_t i = lo;
      while (i < hi) {
        size_t j = std::min(hi, i + 1000);
        std::string sql = insert_head_;
        sql.append(encoded_.data() + row_begin_[i], row_begin_[j] - row_begin_[i] - 1);  // drop the last ','
        sql += insert_tail_;
        conn_->exec(sql);
        i = j;
      }
      return;
    }
    if (topts_.upsert_keys.empty()) {
      conn_->copy_in(copy_sql_, data);
      return;
    }
    conn_->copy_in(stage_copy_sql_, data);
    conn_->exec(stage_merge_sql_);
    conn_->exec("TRUNCATE sp_stage");
  }

  // Encodes rows [batch.confirmed, size) as COPY text (or INSERT tuples); refused records
  // (not objects) are left out. row_begin_ has one more entry than rows.
  void encode(Batch& batch) {
    for (int pass = 0; pass < 2; ++pass) {
      encoded_.clear();
      row_begin_.clear();
      row_index_.clear();
      std::vector<Column> unknown;
      std::string error;
      size_t first_refusal = batch.refused.size();
      for (size_t i = batch.confirmed; i < batch.size(); ++i) {
        if (!rows_.read(batch.record(i), row_, topts_.add_columns ? &unknown : nullptr, error)) {
          batch.refuse(i, error);
          continue;
        }
        row_begin_.push_back(encoded_.size());
        row_index_.push_back(i - batch.confirmed);
        if (insert_mode_) encode_tuple();
        else encode_copy_row();
      }
      row_begin_.push_back(encoded_.size());
      if (unknown.empty()) return;
      batch.refused.resize(first_refusal);
      for (const auto& c : unknown)
        conn_->exec("ALTER TABLE " + conn_->quote_identifier(topts_.table) + " ADD COLUMN IF NOT EXISTS " +
                    conn_->quote_identifier(c.name) + " " + pg_type(c.type));
      load_columns();
    }
  }

  void encode_copy_row() {
    for (size_t c = 0; c < row_.size(); ++c) {
      if (c) encoded_ += '\t';
      const Value& v = row_[c];
      bool json_col = columns_[c].type == ColumnType::kJson;
      switch (v.kind) {
        case Value::kNull: encoded_ += "\\N"; break;
        case Value::kInt: json::append_int(encoded_, v.i); break;
        case Value::kReal: json::append_number(encoded_, v.d); break;
        case Value::kBool: encoded_ += v.i ? (json_col ? "true" : "t") : (json_col ? "false" : "f"); break;
        case Value::kText:
          if (json_col) {
            scratch_.clear();
            json::append_string(scratch_, v.s);
            append_copy_text(encoded_, scratch_);
          } else {
            append_copy_text(encoded_, v.s);
          }
          break;
        case Value::kJson: append_copy_text(encoded_, v.s); break;
      }
    }
    encoded_ += '\n';
  }

  void encode_tuple() {
    encoded_ += '(';
    for (size_t c = 0; c < row_.size(); ++c) {
      if (c) encoded_ += ',';
      const Value& v = row_[c];
      bool json_col = columns_[c].type == ColumnType::kJson;
      switch (v.kind) {
        case Value::kNull: encoded_ += "NULL"; break;
        case Value::kInt:
          if (json_col) encoded_ += '\'';
          json::append_int(encoded_, v.i);
          if (json_col) encoded_ += '\'';
          break;
        case Value::kReal:
          if (json_col) encoded_ += '\'';
          json::append_number(encoded_, v.d);
          if (json_col) encoded_ += '\'';
          break;
        case Value::kBool: encoded_ += v.i ? "true" : "false"; if (json_col) encoded_ += "::jsonb"; break;
        case Value::kText:
          if (json_col) {
            scratch_.clear();
            json::append_string(scratch_, v.s);
            append_literal(encoded_, scratch_);
          } else {
            append_literal(encoded_, v.s);
          }
          break;
        case Value::kJson: append_literal(encoded_, v.s); break;
      }
    }
    encoded_ += "),";
  }

  void load_columns() {
    auto rows = conn_->query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        {topts_.table});
    columns_.clear();
    for (const auto& r : rows) columns_.push_back({r[0], from_pg_type(r[1])});
    loaded_ = true;
    stage_ready_ = false;
    if (columns_.empty()) return;
    if (add_raw_column()) return;
    ensure_upsert_index();
    rows_.set_columns(columns_, topts_.raw_column);
    std::string names;
    for (size_t i = 0; i < columns_.size(); ++i) names += (i ? ", " : "") + conn_->quote_identifier(columns_[i].name);
    std::string table = conn_->quote_identifier(topts_.table);
    copy_sql_ = "COPY " + table + " (" + names + ") FROM STDIN";
    stage_copy_sql_ = "COPY sp_stage (" + names + ") FROM STDIN";
    std::string conflict;
    if (!topts_.upsert_keys.empty()) {
      std::string keys, sets;
      for (const auto& k : topts_.upsert_keys) keys += (keys.empty() ? "" : ", ") + conn_->quote_identifier(k);
      for (const auto& c : columns_) {
        bool is_key = false;
        for (const auto& k : topts_.upsert_keys) is_key |= k == c.name;
        if (!is_key) {
          std::string q = conn_->quote_identifier(c.name);
          sets += (sets.empty() ? "" : ", ") + q + " = EXCLUDED." + q;
        }
      }
      conflict = " ON CONFLICT (" + keys + ") DO " + (sets.empty() ? "NOTHING" : "UPDATE SET " + sets);
      // The last record per key in a batch wins (one row may not be updated twice by one statement).
      stage_merge_sql_ = "INSERT INTO " + table + " (" + names + ") SELECT DISTINCT ON (" + keys + ") " + names +
                         " FROM sp_stage ORDER BY " + keys + ", sp_ord DESC" + conflict;
    }
    insert_head_ = "INSERT INTO " + table + " (" + names + ") VALUES ";
    insert_tail_ = conflict;
  }

  // An existing table without the ?raw= column gets one.
  bool add_raw_column() {
    if (topts_.raw_column.empty()) return false;
    for (const auto& c : columns_)
      if (c.name == topts_.raw_column) return false;
    conn_->exec("ALTER TABLE " + conn_->quote_identifier(topts_.table) + " ADD COLUMN IF NOT EXISTS " +
                conn_->quote_identifier(topts_.raw_column) + " jsonb");
    load_columns();
    return true;
  }

  void ensure_stage() {
    if (stage_ready_) return;
    conn_->exec("DROP TABLE IF EXISTS pg_temp.sp_stage");
    conn_->exec("CREATE TEMP TABLE sp_stage AS SELECT * FROM " + conn_->quote_identifier(topts_.table) +
                " WITH NO DATA");
    conn_->exec("ALTER TABLE sp_stage ADD COLUMN sp_ord bigserial");
    stage_ready_ = true;
  }

  void create_table(const Batch& batch) {
    std::vector<Column> cols = topts_.schema_columns;
    if (cols.empty()) cols = rows_.infer(batch, batch.confirmed, {});
    if (!topts_.raw_column.empty()) {
      bool have = false;
      for (const auto& c : cols) have |= c.name == topts_.raw_column;
      if (!have) cols.push_back({topts_.raw_column, ColumnType::kJson});
    }
    if (cols.empty()) cols.push_back({"raw", ColumnType::kJson}), topts_.raw_column = "raw";
    for (const auto& k : topts_.upsert_keys) {
      bool found = false;
      for (const auto& c : cols) found |= c.name == k;
      if (!found) throw UsageError(where_ + ": upsert key '" + k + "' is not a column of the new table");
    }
    std::string sql = "CREATE TABLE IF NOT EXISTS " + conn_->quote_identifier(topts_.table) + " (";
    for (size_t i = 0; i < cols.size(); ++i)
      sql += (i ? ", " : "") + conn_->quote_identifier(cols[i].name) + " " + pg_type(cols[i].type);
    if (!topts_.upsert_keys.empty()) {
      sql += ", PRIMARY KEY (";
      for (size_t i = 0; i < topts_.upsert_keys.size(); ++i)
        sql += (i ? ", " : "") + conn_->quote_identifier(topts_.upsert_keys[i]);
      sql += ")";
    }
    sql += ")";
    conn_->exec(sql);
    load_columns();
  }

  void ensure_upsert_index() {
    if (topts_.upsert_keys.empty() || upsert_index_done_) return;
    std::string name = topts_.table + "_upsert";
    std::string cols;
    for (const auto& k : topts_.upsert_keys) {
      name += "_" + k;
      cols += (cols.empty() ? "" : ", ") + conn_->quote_identifier(k);
    }
    if (name.size() > 63) name.resize(63);
    conn_->exec("CREATE UNIQUE INDEX IF NOT EXISTS " + conn_->quote_identifier(name) + " ON " +
                conn_->quote_identifier(topts_.table) + " (" + cols + ")");
    upsert_index_done_ = true;
  }

  std::string where_;
  TableOptions topts_;
  bool insert_mode_ = false;
  std::unique_ptr<Connection> conn_;
  bool loaded_ = false, stage_ready_ = false, upsert_index_done_ = false;
  std::vector<Column> columns_;
  RowReader rows_;
  std::vector<Value> row_;
  std::string encoded_, scratch_;
  std::vector<size_t> row_begin_, row_index_;
  std::string copy_sql_, stage_copy_sql_, stage_merge_sql_, insert_head_, insert_tail_;
};

}  // namespace

std::unique_ptr<Sink> open_postgres_sink(const Endpoint& endpoint, const Options& opts) {
  return std::make_unique<PostgresSink>(endpoint, opts);
}

}  // namespace sp::sink
