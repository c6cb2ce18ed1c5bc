// GET /api/query: read-only SQL over the table named by --sqlite (written by sp-sink, read
// while it writes: WAL). The safeguards live in connect/sqlite/reader; this maps its answers
// to HTTP.
#include <algorithm>
#include <charconv>

#include "serve/service.h"

namespace sp::serve {

namespace web = sp::connect::http;
using connect::sqlite::QueryError;

void query_route(State& state, const web::GetRequest& req, web::GetReply& reply) {
  if (!state.sql) return reply_error(reply, 404, "no database to query: start sp-serve with --sqlite DB?table=T");
  size_t limit = std::min<size_t>(1000, state.sql_max_rows);
  if (const std::string* v = req.param("limit")) {
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit == 0)
      return reply_error(reply, 400, "limit: expected a positive whole number, got '" + *v + "'");
    if (limit > state.sql_max_rows)
      return reply_error(reply, 400, "limit: at most " + std::to_string(state.sql_max_rows) +
                                         " rows (max_rows= of --sqlite), got " + *v);
  }
  const std::string* sql = req.param("sql");
  try {
    connect::sqlite::QueryResult r = sql && !sql->empty() ? state.sql->query(*sql, limit) : state.sql->newest(limit);
    reply.body = std::move(r.json);
    reply.body += '\n';
    if (r.truncated) reply.headers.emplace_back("X-Rows-Truncated", "true");
  } catch (const QueryError& e) {
    switch (e.kind) {
      case QueryError::Kind::Refused: return reply_error(reply, 400, std::string("sql: ") + e.what());
      case QueryError::Kind::Busy:
      case QueryError::Kind::Missing:
        reply_error(reply, 503, e.what());
        reply.headers.emplace_back("Retry-After", "1");
        return;
      case QueryError::Kind::Failed: return reply_error(reply, 500, e.what());
    }
  }
}

}  // namespace sp::serve
