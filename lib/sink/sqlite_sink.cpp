#include "sink/sqlite_sink.h"

#include "connect/sqlite/database.h"
#include "sink/table.h"

namespace sp::sink {
namespace {

using connect::sqlite::Database;
using connect::sqlite::quote_identifier;
using connect::sqlite::RowError;
using connect::sqlite::Statement;

const char* sqlite_type(ColumnType t) {
  switch (t) {
    case ColumnType::kInteger: return "INTEGER";
    case ColumnType::kReal: return "REAL";
    case ColumnType::kBoolean: return "INTEGER";
    case ColumnType::kJson: return "TEXT";
    case ColumnType::kText: return "TEXT";
  }
  return "TEXT";
}

class SqliteSink : public Sink {
 public:
  SqliteSink(const Endpoint& endpoint, const Options& opts)
      : where_(endpoint.redacted()), topts_(table_options(endpoint, opts)) {
    std::string path = endpoint.location();
    if (path.empty()) throw UsageError(where_ + ": no database path (sqlite:///abs/path.db or sqlite://rel.db)");
    db_ = std::make_unique<Database>(path);
    db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=FULL");  // a committed batch survives a power cut
    load_columns();
  }

  std::string describe() const override { return where_; }

  void write(Batch& batch) override {
    try {
      if (columns_.empty()) create_table(batch);
      db_->exec("BEGIN IMMEDIATE");
      std::string error;
      std::vector<Column> unknown;
      for (size_t i = batch.confirmed; i < batch.size(); ++i) {
        unknown.clear();
        if (!rows_.read(batch.record(i), row_, topts_.add_columns ? &unknown : nullptr, error)) {
          batch.refuse(i, error);
          continue;
        }
        if (!unknown.empty()) {
          add_columns(unknown);
          rows_.read(batch.record(i), row_, nullptr, error);
        }
        for (size_t c = 0; c < row_.size(); ++c) {
          const Value& v = row_[c];
          int p = static_cast<int>(c + 1);
          switch (v.kind) {
            case Value::kNull: insert_->bind_null(p); break;
            case Value::kInt:
            case Value::kBool: insert_->bind_int(p, v.i); break;
            case Value::kReal: insert_->bind_double(p, v.d); break;
            case Value::kText:
            case Value::kJson: insert_->bind_text(p, v.s); break;
          }
        }
        try {
          insert_->step();
          insert_->reset();
        } catch (const RowError& e) {
          batch.refuse(i, e.what());
          insert_->reset();
        }
      }
      db_->exec("COMMIT");
      batch.confirmed = batch.size();
    } catch (...) {
      if (db_->in_transaction()) {
        try {
          db_->exec("ROLLBACK");
        } catch (...) {
        }
      }
      throw;
    }
  }

  void close() override {
    // Fold the WAL into the database file so that it is complete on its own.
    try {
      db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const Error&) {
      // A reader holding the WAL open: the data is committed all the same.
    }
  }

 private:
  void load_columns() {
    auto st = db_->prepare("SELECT name FROM pragma_table_info(?1)");
    st->bind_text(1, topts_.table);
    columns_.clear();
    while (st->step()) columns_.push_back({st->column_text(0), ColumnType::kText});
    if (!columns_.empty()) {
      bool have_raw = topts_.raw_column.empty();
      for (const auto& c : columns_) have_raw |= c.name == topts_.raw_column;
      if (!have_raw) {
        add_columns({{topts_.raw_column, ColumnType::kJson}});
        return;
      }
      ensure_upsert_index();
      prepare_insert();
    }
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
    std::string sql = "CREATE TABLE IF NOT EXISTS " + quote_identifier(topts_.table) + " (";
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i) sql += ", ";
      sql += quote_identifier(cols[i].name) + " " + sqlite_type(cols[i].type);
    }
    if (!topts_.upsert_keys.empty()) {
      sql += ", PRIMARY KEY (";
      for (size_t i = 0; i < topts_.upsert_keys.size(); ++i)
        sql += (i ? ", " : "") + quote_identifier(topts_.upsert_keys[i]);
      sql += ")";
    }
    sql += ")";
    db_->exec(sql);
    load_columns();
  }

  void ensure_upsert_index() {
    if (topts_.upsert_keys.empty() || upsert_index_done_) return;
    upsert_index_done_ = true;
    std::string name = topts_.table + "_upsert";
    std::string cols;
    for (const auto& k : topts_.upsert_keys) {
      name += "_" + k;
      cols += (cols.empty() ? "" : ", ") + quote_identifier(k);
    }
    db_->exec("CREATE UNIQUE INDEX IF NOT EXISTS " + quote_identifier(name) + " ON " + quote_identifier(topts_.table) +
              " (" + cols + ")");
  }

  void add_columns(const std::vector<Column>& cols) {
    for (const auto& c : cols)
      db_->exec("ALTER TABLE " + quote_identifier(topts_.table) + " ADD COLUMN " + quote_identifier(c.name) + " " +
                sqlite_type(c.type));
    load_columns();
  }

  void prepare_insert() {
    rows_.set_columns(columns_, topts_.raw_column);
    std::string names, params;
    for (size_t i = 0; i < columns_.size(); ++i) {
      names += (i ? ", " : "") + quote_identifier(columns_[i].name);
      params += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    std::string sql = "INSERT INTO " + quote_identifier(topts_.table) + " (" + names + ") VALUES (" + params + ")";
    if (!topts_.upsert_keys.empty()) {
      std::string keys, sets;
      for (const auto& k : topts_.upsert_keys) keys += (keys.empty() ? "" : ", ") + quote_identifier(k);
      for (const auto& c : columns_) {
        bool is_key = false;
        for (const auto& k : topts_.upsert_keys) is_key |= k == c.name;
        if (!is_key)
          sets += (sets.empty() ? "" : ", ") + quote_identifier(c.name) + " = excluded." + quote_identifier(c.name);
      }
      sql += " ON CONFLICT (" + keys + ") DO " + (sets.empty() ? "NOTHING" : "UPDATE SET " + sets);
    }
    insert_ = db_->prepare(sql);
  }

  std::string where_;
  TableOptions topts_;
  std::unique_ptr<Database> db_;
  std::vector<Column> columns_;
  std::unique_ptr<Statement> insert_;
  RowReader rows_;
  std::vector<Value> row_;
  bool upsert_index_done_ = false;
};

}  // namespace

std::unique_ptr<Sink> open_sqlite_sink(const Endpoint& endpoint, const Options& opts) {
  return std::make_unique<SqliteSink>(endpoint, opts);
}

}  // namespace sp::sink
