// The routes of sp-serve. Every JSON answer is built from the records' original bytes.
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

#include "cli/redact.h"
#include "expr/functions.h"
#include "expr/time.h"
#include "io/error.h"
#include "json/writer.h"
#include "serve/service.h"

namespace sp::serve {

namespace web = sp::connect::http;

namespace {

// The types an expression can evaluate to, as far as its compiled tree tells (one bit per
// expr::Type): arithmetic never gives a boolean, nor does a branch whose every outcome does not.
// Fields, indexing and functions of no declared type can give anything.
using TypeSet = unsigned;
constexpr TypeSet type_bit(expr::Type t) { return 1u << static_cast<unsigned>(t); }
constexpr TypeSet kAnyType = ~0u;

TypeSet possible_types(const expr::Node& n) {
  using expr::Op;
  using expr::Type;
  constexpr TypeSet null = type_bit(Type::Null), number = type_bit(Type::Number),
                    duration = type_bit(Type::Duration), time = type_bit(Type::Time);
  switch (n.op) {
    case Op::Literal: return type_bit(n.value.type);
    case Op::Neg:
    case Op::Mul:
    case Op::Div:
    case Op::Mod: return number | duration | null;
    case Op::Add:
    case Op::Sub: return number | duration | time | null;
    case Op::If: return possible_types(*n.kids[1]) | possible_types(*n.kids[2]);
    case Op::Coalesce: {
      TypeSet t = null;
      for (const auto& k : n.kids) t |= possible_types(*k);
      return t;
    }
    case Op::Case: {
      size_t i = n.has_subject ? 1 : 0, pairs_end = n.kids.size() - (n.has_else ? 1 : 0);
      TypeSet t = n.has_else ? possible_types(*n.kids.back()) : null;
      for (i += 1; i < pairs_end; i += 2) t |= possible_types(*n.kids[i]);
      return t;
    }
    case Op::Call: return n.fn && n.fn->returns ? type_bit(*n.fn->returns) | null : kAnyType;
    case Op::Field:
    case Op::Index:
    case Op::Variable:
    case Op::Aggregate:
    case Op::Star: return kAnyType;
    default: return type_bit(Type::Bool) | null;  // comparisons, logic, IN, LIKE, IS NULL, ...
  }
}

// "a number", "a number or a duration", "a number, a duration or a time".
std::string describe_types(TypeSet t) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < 8; ++i)
    if (i != static_cast<unsigned>(expr::Type::Null) && (t & (1u << i))) {
      std::string_view name = expr::type_name(static_cast<expr::Type>(i));
      names.push_back((name[0] == 'a' || name[0] == 'o' ? "an " : "a ") + std::string(name));
    }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

// {"key":record,...} of the latest record per key, ordered by key.
std::shared_ptr<const std::string> build_latest_body(const Store& store) {
  auto body = std::make_shared<std::string>("{");
  bool first = true;
  for (const auto& e : store.latest_all()) {
    if (!first) *body += ',';
    first = false;
    json::append_string(*body, e->key);
    *body += ':';
    *body += e->text;
  }
  *body += "}\n";
  return body;
}

}  // namespace

RecordFilter::RecordFilter(std::string_view where) : program_(expr::Program::compile(where)), ev_(program_) {
  // A filter that can never be true is a mistake the user should hear of (400), not a silent
  // empty answer. A bare field or an untyped function can be true for some records: those are
  // kept where the value is the boolean true.
  TypeSet t = possible_types(program_.root(0));
  if (!(t & type_bit(expr::Type::Bool)) && t != type_bit(expr::Type::Null))
    throw UsageError("where: the filter must be a condition (true or false), but this gives " + describe_types(t));
}

bool RecordFilter::test(const Entry& e) {
  simdjson::ondemand::document doc;
  if (parser_.iterate(e.padded()).get(doc) || ev_.load(doc)) return false;
  return ev_.test(0);
}

std::shared_ptr<const std::string> LatestBody::get(const Store& store) {
  auto now = std::chrono::steady_clock::now();
  uint64_t version = store.version();
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool current = body_ && (version_ == version || now - built_ < kMaxAge);
    if (current || (body_ && building_)) return body_;
    building_ = true;
  }
  std::shared_ptr<const std::string> body;
  try {
    body = build_latest_body(store);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    building_ = false;
    throw;
  }
  std::lock_guard<std::mutex> lock(mu_);
  building_ = false;
  body_ = body;
  version_ = version;  // read before building: a change during the build shows next time
  built_ = now;
  return body;
}

void reply_error(web::GetReply& reply, int status, const std::string& why) {
  reply.status = status;
  reply.body = "{\"error\":";
  json::append_string(reply.body, why);
  reply.body += "}\n";
}

namespace {

// since/until: RFC 3339, epoch seconds or milliseconds, or a duration meaning that long before
// the store's clock (the newest record's time).
bool parse_time_param(const std::string& text, int64_t clock, int64_t& out) {
  if (auto t = expr::parse_rfc3339(text)) return out = *t, true;
  double n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (auto t = expr::time_from_epoch_number(n)) return out = *t, true;
    return false;
  }
  if (auto d = expr::parse_duration(text)) return out = clock - *d, true;
  return false;
}

// Compiles ?where= when present; on a bad expression fills a 400 and returns false.
bool compile_where(const web::GetRequest& req, web::GetReply& reply, std::unique_ptr<RecordFilter>& out) {
  const std::string* where = req.param("where");
  if (!where || where->empty()) return true;
  try {
    out = std::make_unique<RecordFilter>(*where);
  } catch (const UsageError& e) {
    std::string why = std::string("where: ") + e.what();
    if (why.rfind("where: where: ", 0) == 0) why.erase(0, 7);
    if (e.has_position) why += " (column " + std::to_string(e.column + 1) + ")";
    reply_error(reply, 400, why);
    return false;
  }
  return true;
}

void append_sse_event(std::string& out, const Entry& e) {
  out += "id: ";
  out += std::to_string(e.seq);
  out += "\ndata: ";
  size_t at = out.size();
  out += e.text;
  // A lone CR is JSON whitespace but ends a line in SSE.
  for (size_t i = at; i < out.size(); ++i)
    if (out[i] == '\r') out[i] = ' ';
  out += "\n\n";
}

void latest_route(State& state, const web::GetRequest&, web::GetReply& reply) {
  reply.body = *state.latest_body.get(state.store);
}

void latest_key_route(State& state, const web::GetRequest& req, web::GetReply& reply) {
  if (req.rest.empty()) return latest_route(state, req, reply);
  EntryPtr e = state.store.latest(req.rest);
  if (!e) return reply_error(reply, 404, "no record with the key '" + req.rest + "'");
  reply.body.reserve(e->text.size() + 1);
  reply.body = e->text;
  reply.body += '\n';
}

void recent_route(State& state, const web::GetRequest& req, web::GetReply& reply) {
  int64_t clock = state.store.clock();
  int64_t since = std::numeric_limits<int64_t>::min(), until = std::numeric_limits<int64_t>::max();
  for (auto [name, bound] : {std::pair<const char*, int64_t*>{"since", &since}, {"until", &until}}) {
    const std::string* v = req.param(name);
    if (v && !parse_time_param(*v, clock, *bound))
      return reply_error(reply, 400,
                  std::string(name) + ": expected an RFC 3339 time, epoch seconds or milliseconds, or a duration "
                  "before the newest record such as 5m, got '" + *v + "'");
  }
  size_t limit = 1000;
  if (const std::string* v = req.param("limit")) {
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit == 0)
      return reply_error(reply, 400, "limit: expected a positive whole number, got '" + *v + "'");
  }
  std::unique_ptr<RecordFilter> filter;
  if (!compile_where(req, reply, filter)) return;
  // The newest `limit` matches, written oldest first.
  std::vector<const Entry*> picked;
  RecentView view = state.store.recent();
  view.newest_first([&](const EntryPtr& e) {
    if (e->time_ns >= since && e->time_ns < until && (!filter || filter->test(*e))) picked.push_back(e.get());
    return picked.size() < limit;
  });
  std::string& body = reply.body;
  body = "[";
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) {
    if (it != picked.rbegin()) body += ',';
    body += (*it)->text;
  }
  body += "]\n";
}

void stream_route(State& state, const web::GetRequest& req, web::GetReply& reply) {
  std::unique_ptr<RecordFilter> owned;
  if (!compile_where(req, reply, owned)) return;
  std::shared_ptr<RecordFilter> filter = std::move(owned);
  reply.content_type = "text/event-stream";
  reply.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  reply.stream = [&state, filter](const web::StreamWrite& write) {
    auto sub = state.hub.subscribe();
    std::vector<EntryPtr> batch;
    std::string buf = "retry: 2000\n: connected\n\n";
    bool alive = write(buf);
    while (alive) {
      bool open = sub->wait(batch, std::chrono::seconds(10));
      buf.clear();
      for (const auto& e : batch)
        if (!filter || filter->test(*e)) append_sse_event(buf, *e);
      if (!open && sub->dropped())
        buf += "event: dropped\ndata: {\"error\":\"this client read slower than the stream arrives; reconnect\"}\n\n";
      if (open && batch.empty()) buf = ": keepalive\n\n";
      if (!buf.empty()) alive = write(buf);
      if (!open) break;
    }
    state.hub.unsubscribe(sub);
  };
}

void healthz_route(State& state, const web::GetRequest&, web::GetReply& reply) {
  double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - state.started).count();
  reply.body = "{\"status\":\"ok\",\"input\":\"" + std::string(state.input_open ? "open" : "ended") +
               "\",\"records_in\":" + std::to_string(state.stats.records_in.get()) +
               ",\"retained\":" + std::to_string(state.store.retained()) +
               ",\"keys\":" + std::to_string(state.store.keys()) + ",\"uptime_seconds\":" +
               std::to_string(static_cast<int64_t>(up)) + "}\n";
}

}  // namespace

void add_routes(web::Server& server, State& state) {
  const Config& c = state.config;
  if (!c.token.empty()) {
    // Bearer token in the Authorization header, or ?access_token= (RFC 6750) for the page and
    // EventSource, which cannot set headers.
    server.before([&c](const web::GetRequest& req, web::GetReply& reply) {
      const std::string* q = req.param("access_token");
      if (cli::same_secret(req.authorization, "Bearer " + c.token) || (q && cli::same_secret(*q, c.token)))
        return true;
      reply_error(reply, 401, "missing or wrong bearer token");
      reply.headers = {{"WWW-Authenticate", "Bearer"}};
      return false;
    });
  }
  if (!c.cors.empty())
    server.always_add_headers({{"Access-Control-Allow-Origin", c.cors},
                               {"Access-Control-Allow-Headers", "Authorization"},
                               {"Access-Control-Allow-Methods", "GET, OPTIONS"},
                               {"Vary", "Origin"}});
  auto bind = [&state](void (*route)(State&, const web::GetRequest&, web::GetReply&)) {
    return [&state, route](const web::GetRequest& req, web::GetReply& reply) { route(state, req, reply); };
  };
  server.get("/api/latest", bind(latest_route));
  server.get("/api/latest/", bind(latest_key_route), true);
  server.get("/api/recent", bind(recent_route));
  server.get("/api/stream", bind(stream_route));
  server.get("/api/query", bind(query_route));
  server.get("/healthz", bind(healthz_route));
  server.get("/metrics", [&state](const web::GetRequest&, web::GetReply& reply) {
    reply.body = metrics_text(state);
    reply.content_type = "text/plain; version=0.0.4";
  });
  std::string page = dashboard_page(c);
  server.get("/", [page](const web::GetRequest&, web::GetReply& reply) {
    reply.body = page;
    reply.content_type = "text/html; charset=utf-8";
  });
}

}  // namespace sp::serve
