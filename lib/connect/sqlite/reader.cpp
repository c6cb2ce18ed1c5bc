#include "connect/sqlite/reader.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "connect/sqlite/database.h"
#include "json/writer.h"

namespace sp::connect::sqlite {

// One pooled connection and what its authorizer and progress handler need.
struct ReaderConnection {
  sqlite3* db = nullptr;
  const std::string* table = nullptr;
  bool checking = false;  // the authorizer judges only the caller's SQL
  // Names a query may not read: the schema's tables and views (reloaded before each query),
  // and the modules, whose eponymous tables (dbstat, sqlite_stmt, pragma_*) show other data.
  std::set<std::string, std::less<>> schema_names, module_names;
  bool modules_known = false;
  std::string denied;     // why the authorizer refused, for the error message
  std::chrono::steady_clock::time_point deadline;
  bool timed_out = false;
  bool broken = false;  // an I/O or format error: do not reuse
  ~ReaderConnection() {
    if (db) sqlite3_close_v2(db);
  }
};

struct ReaderPool {
  std::mutex mu;
  std::vector<std::unique_ptr<ReaderConnection>> idle;
};

namespace {

using Connection = ReaderConnection;
using Kind = QueryError::Kind;

constexpr size_t kMaxIdleConnections = 4;
constexpr int kMaxValueBytes = 32 << 20;  // SQLITE_LIMIT_LENGTH: one string or blob
constexpr int kMaxSqlBytes = 100000;

// Table-valued functions that read only their arguments.
bool is_harmless_table_function(std::string_view name) { return name == "json_each" || name == "json_tree"; }

int authorize_read_only(void* p, int action, const char* a, const char* b, const char* db_name, const char* inner) {
  auto* c = static_cast<Connection*>(p);
  if (!c->checking) return SQLITE_OK;
  const std::string& table = *c->table;
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      // Both are off for this connection already; refused here as well.
      if (b && (std::strcmp(b, "load_extension") == 0 || std::strcmp(b, "fts3_tokenizer") == 0)) {
        c->denied = std::string("the function ") + b + "() is not allowed";
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    case SQLITE_READ: {
      // `inner` (the view or CTE the read is made for) is not trusted: a CTE may take any name.
      (void)inner;
      std::string_view name = a ? a : "";
      bool main = !db_name || std::strcmp(db_name, "main") == 0;
      if (main && name == table) return SQLITE_OK;
      if (is_harmless_table_function(name)) return SQLITE_OK;
      // What is neither in the schema nor a module is a name the query defines (a recursive CTE).
      bool real = !c->modules_known || c->schema_names.count(name) || c->module_names.count(name) ||
                  name.starts_with("sqlite_") || name.starts_with("pragma_");
      if (main && !real) return SQLITE_OK;
      c->denied = "only the table '" + table + "' can be read, not '" + std::string(name) + "'";
      return SQLITE_DENY;
    }
    case SQLITE_PRAGMA: c->denied = "PRAGMA is not allowed: only SELECT"; return SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH: c->denied = "ATTACH and DETACH are not allowed: only SELECT"; return SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT: c->denied = "transactions are not allowed: only SELECT"; return SQLITE_DENY;
    default: c->denied = "only SELECT of the table '" + table + "' is allowed (read-only)"; return SQLITE_DENY;
  }
}

int collect_name(void* p, int, char** values, char**) {
  if (values[0]) static_cast<std::set<std::string, std::less<>>*>(p)->emplace(values[0]);
  return 0;
}

int stop_past_deadline(void* p) {
  auto* c = static_cast<Connection*>(p);
  if (std::chrono::steady_clock::now() < c->deadline) return 0;
  c->timed_out = true;
  return 1;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  std::string out;
  json::append_number(out, static_cast<double>(ms.count()) / 1000.0);
  return out + " s";
}

// What a failed prepare or step means for the caller.
[[noreturn]] void throw_query_error(Connection& c, int rc, const std::string& path, std::chrono::milliseconds timeout) {
  int primary = rc & 0xff;
  if (c.timed_out)
    throw QueryError(Kind::Refused, "the query ran longer than its time limit of " + seconds_text(timeout));
  if (!c.denied.empty()) throw QueryError(Kind::Refused, c.denied);
  std::string msg = sqlite3_errmsg(c.db);
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: throw QueryError(Kind::Busy, path + ": the database is locked: " + msg);
    case SQLITE_ERROR:
    case SQLITE_AUTH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_CONSTRAINT:
    case SQLITE_READONLY:
    case SQLITE_INTERRUPT: throw QueryError(Kind::Refused, msg);
    case SQLITE_CANTOPEN: c.broken = true; throw QueryError(Kind::Missing, path + ": " + msg);
    default: c.broken = true; throw QueryError(Kind::Failed, path + ": " + msg);
  }
}

std::unique_ptr<Connection> open_connection(const std::string& path, const std::string& table, ReadLimits limits) {
  auto c = std::make_unique<Connection>();
  c->table = &table;
  int rc = sqlite3_open_v2(path.c_str(), &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    struct stat st;
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT)
      throw QueryError(Kind::Missing, path + ": no such database (yet)");
    throw QueryError(Kind::Failed, path + ": cannot open: " + msg);
  }
  sqlite3* db = c->db;
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(limits.timeout.count()));
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);  // Debian builds it on
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
  sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, kMaxSqlBytes);
  // Belt and braces beside SQLITE_OPEN_READONLY and the authorizer.
  sqlite3_exec(db, "PRAGMA query_only = ON", nullptr, nullptr, nullptr);
  c->modules_known = sqlite3_exec(db, "SELECT name FROM pragma_module_list", collect_name, &c->module_names, nullptr) ==
                     SQLITE_OK;
  // The first use of an eponymous table registers it, which the authorizer would see as a
  // schema write: done here, before it is installed.
  sqlite3_exec(db, "SELECT 1 FROM json_each('[]'), json_tree('[]')", nullptr, nullptr, nullptr);
  sqlite3_set_authorizer(db, authorize_read_only, c.get());
  sqlite3_progress_handler(db, 1000, stop_past_deadline, c.get());
  return c;
}

struct StatementGuard {
  sqlite3_stmt* st = nullptr;
  ~StatementGuard() {
    if (st) sqlite3_finalize(st);
  }
};

// Only whitespace, semicolons and comments after the first statement.
bool only_trailing_noise(Connection& c, const char* tail, const char* end) {
  while (tail < end) {
    StatementGuard next;
    const char* after = nullptr;
    int rc = sqlite3_prepare_v3(c.db, tail, static_cast<int>(end - tail), 0, &next.st, &after);
    if (rc != SQLITE_OK || next.st) return false;
    if (after == tail) break;
    tail = after;
  }
  return true;
}

}  // namespace

TableReader::TableReader(std::string path, std::string table, ReadLimits limits)
    : path_(std::move(path)), table_(std::move(table)), limits_(limits), pool_(std::make_unique<ReaderPool>()) {}

TableReader::~TableReader() = default;

namespace {

// A connection borrowed from the pool for one query.
class Lease {
 public:
  Lease(ReaderPool& pool, const std::string& path, const std::string& table, ReadLimits limits)
      : mu_(pool.mu), idle_(pool.idle) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        c_ = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!c_) c_ = open_connection(path, table, limits);
  }
  ~Lease() {
    c_->checking = false;
    if (!sqlite3_get_autocommit(c_->db)) sqlite3_exec(c_->db, "ROLLBACK", nullptr, nullptr, nullptr);
    if (c_->broken) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(c_));
  }
  Connection& operator*() { return *c_; }

 private:
  std::mutex& mu_;
  std::vector<std::unique_ptr<Connection>>& idle_;
  std::unique_ptr<Connection> c_;
};

QueryResult run_query(Connection& c, std::string_view sql, size_t max_rows, const std::string& path,
                      ReadLimits limits) {
  c.denied.clear();
  c.timed_out = false;
  c.deadline = std::chrono::steady_clock::now() + limits.timeout;
  c.checking = false;
  c.schema_names.clear();
  int src = sqlite3_exec(c.db, "SELECT name FROM sqlite_schema", collect_name, &c.schema_names, nullptr);
  if (src != SQLITE_OK) throw_query_error(c, src, path, limits.timeout);
  c.checking = true;
  if (sql.size() > static_cast<size_t>(kMaxSqlBytes))
    throw QueryError(Kind::Refused, "the query is longer than " + std::to_string(kMaxSqlBytes) + " bytes");
  StatementGuard st;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(c.db, sql.data(), static_cast<int>(sql.size()), 0, &st.st, &tail);
  if (rc != SQLITE_OK) throw_query_error(c, rc, path, limits.timeout);
  if (!st.st) throw QueryError(Kind::Refused, "no SQL statement");
  if (!only_trailing_noise(c, tail, sql.data() + sql.size()))
    throw QueryError(Kind::Refused, "only one SQL statement is allowed");
  if (!sqlite3_stmt_readonly(st.st)) throw QueryError(Kind::Refused, "only read-only statements (SELECT) are allowed");

  int n = sqlite3_column_count(st.st);
  std::vector<std::string> keys(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const char* name = sqlite3_column_name(st.st, i);
    json::append_string(keys[static_cast<size_t>(i)], name ? name : "");
    keys[static_cast<size_t>(i)] += ':';
  }
  QueryResult r;
  r.json = "[";
  while (true) {
    rc = sqlite3_step(st.st);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw_query_error(c, rc, path, limits.timeout);
    if (r.rows == max_rows) {
      r.truncated = true;
      break;
    }
    if (r.rows++) r.json += ',';
    r.json += '{';
    for (int i = 0; i < n; ++i) {
      if (i) r.json += ',';
      r.json += keys[static_cast<size_t>(i)];
      append_column_json(r.json, st.st, i);
    }
    r.json += '}';
    if (r.json.size() > limits.max_bytes)
      throw QueryError(Kind::Refused, "the result passes " + std::to_string(limits.max_bytes >> 20) +
                                          " MiB: ask for fewer rows (limit=) or columns");
  }
  r.json += ']';
  return r;
}

}  // namespace

QueryResult TableReader::query(std::string_view sql, size_t max_rows) {
  Lease c(*pool_, path_, table_, limits_);
  return run_query(*c, sql, max_rows, path_, limits_);
}

QueryResult TableReader::newest(size_t rows) {
  std::string t = quote_identifier(table_);
  std::string n = std::to_string(rows);
  Lease c(*pool_, path_, table_, limits_);
  try {
    return run_query(*c, "SELECT * FROM " + t + " WHERE rowid IN (SELECT rowid FROM " + t + " ORDER BY rowid DESC LIMIT " +
                             n + ") ORDER BY rowid",
                     rows, path_, limits_);
  } catch (const QueryError& e) {
    std::string_view why = e.what();
    if (e.kind == Kind::Refused && why.starts_with("no such table"))
      throw QueryError(Kind::Missing, path_ + ": no table '" + table_ + "' (yet)");
    if (e.kind != Kind::Refused || !why.starts_with("no such column")) throw;
  }
  // A WITHOUT ROWID table: its first rows in its key order.
  return run_query(*c, "SELECT * FROM " + t + " LIMIT " + n, rows, path_, limits_);
}

std::string TableReader::check() {
  try {
    Lease c(*pool_, path_, table_, limits_);
    run_query(*c, "SELECT * FROM " + quote_identifier(table_) + " LIMIT 0", 0, path_, limits_);
    return "";
  } catch (const QueryError& e) {
    return e.what();
  }
}

}  // namespace sp::connect::sqlite
