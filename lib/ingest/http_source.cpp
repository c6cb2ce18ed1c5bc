#include "ingest/http_source.h"

#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "cli/redact.h"
#include "connect/http/fetch.h"
#include "connect/http/listener.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/path.h"
#include "json/writer.h"

namespace sp::ingest {
namespace {

namespace web = sp::connect::http;

void sleep_unless_stopped(double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!io::stop_requested() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::string url_encode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += '%', out += kHex[c >> 4], out += kHex[c & 15];
  }
  return out;
}

std::string with_param(const std::string& url, const std::string& name, const std::string& value) {
  std::string base = url;
  size_t q = base.find('?');
  std::string query = q == std::string::npos ? "" : base.substr(q + 1);
  if (q != std::string::npos) base.resize(q);
  std::string kept;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty() && part.rfind(name + "=", 0) != 0) kept += (kept.empty() ? "" : "&") + part;
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return base + "?" + (kept.empty() ? "" : kept + "&") + name + "=" + url_encode(value);
}

class Poller {
 public:
  Poller(const std::string& url, const HttpOptions& o, Emitter& e) : url_(url), opts_(o), e_(e) {
    if (!o.jsonpath.empty()) path_ = json::FieldPath::parse(o.jsonpath);
    if (!o.next_field.empty()) next_ = json::FieldPath::parse(o.next_field);
  }

  void run() {
    while (!io::stop_requested()) {
      bool ok = poll_once();
      if (!opts_.follow) {
        if (!ok) e_.program().input_failed(error_);
        return;
      }
      if (!ok) e_.program().report().error(error_ + " (trying again in " + std::to_string(opts_.interval) + " s)");
      sleep_unless_stopped(opts_.interval);
    }
  }

 private:
  bool poll_once() {
    std::string url = url_;
    for (int page = 0; page < 10000 && !io::stop_requested(); ++page) {
      web::FetchRequest req{url, opts_.headers, 30, opts_.ca_file, opts_.cert, opts_.key};
      bool first = page == 0;
      if (first && !etag_.empty()) req.headers.emplace_back("If-None-Match", etag_);
      if (first && !last_modified_.empty()) req.headers.emplace_back("If-Modified-Since", last_modified_);
      web::FetchResponse res;
      for (int attempt = 0; attempt < 3; ++attempt) {
        res = web::fetch(req);
        if (res.status != 0 && res.status < 500) break;
        sleep_unless_stopped(0.2 * (attempt + 1));
      }
      std::string where = web::redact_url(url);
      if (res.status == 0) return fail(where + ": " + res.error);
      if (res.status == 304) return true;  // unchanged since the last poll
      if (res.status != 200) return fail(where + ": HTTP " + std::to_string(res.status));
      if (first) {
        etag_ = res.etag;
        last_modified_ = res.last_modified;
      }
      simdjson::padded_string body(res.body);
      simdjson::dom::element root;
      if (parser_.parse(body).get(root)) return fail(where + ": the response is not JSON");
      simdjson::dom::element items = root;
      if (!path_.empty() && path_.find(root).get(items))
        return fail(where + ": no '" + path_.text() + "' in the response (--jsonpath)");
      std::string next;
      if (!next_.empty()) {
        simdjson::dom::element v;
        std::string_view s;
        if (!next_.find(root).get(v) && !v.is_null()) {
          if (!v.get_string().get(s)) next = std::string(s);
          else next = simdjson::minify(v);
        }
      }
      {
        std::lock_guard<std::mutex> lock(e_.mutex());
        e_.refresh_clock();
        e_.stats().bytes_in.add(res.body.size());
        RecordOrigin origin{where, true, nullptr, 0, 0, 0, {}, {}, 0};  // _src.url without a password
        simdjson::dom::array arr;
        if (!items.get_array().get(arr)) {
          for (simdjson::dom::element el : arr) emit(el, origin);
        } else {
          emit(items, origin);
        }
        e_.flush();
      }
      if (next.empty()) return true;
      url = next.find("://") != std::string::npos || next[0] == '/' || next[0] == '?'
                ? web::resolve_url(url, next)
                : with_param(url_, opts_.next_param, next);
    }
    return true;
  }

  void emit(simdjson::dom::element el, const RecordOrigin& origin) {
    e_.stats().records_in.add();
    text_ = simdjson::minify(el);
    e_.write(text_, origin);
  }

  bool fail(std::string msg) {
    error_ = std::move(msg);
    return false;
  }

  std::string url_;
  const HttpOptions& opts_;
  Emitter& e_;
  json::FieldPath path_, next_;
  simdjson::dom::parser parser_;
  std::string etag_, last_modified_, error_, text_;
};

std::string json_error(const std::string& msg) {
  std::string out = "{\"error\":";
  json::append_string(out, msg);
  out += '}';
  return out;
}

// The elements of the JSON array at body[open] (a '['), minified; `body` must be well-formed.
void split_json_array(const std::string& body, size_t open, std::vector<std::string>& records) {
  int depth = 0;
  bool in_string = false;
  size_t start = open + 1;
  auto element = [&](size_t end) {
    std::string_view text(body.data() + start, end - start);
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return;  // "[]" or "[ ]"
    std::string out(text.size(), '\0');
    size_t len = 0;
    if (simdjson::minify(text.data(), text.size(), out.data(), len) == simdjson::SUCCESS) out.resize(len);
    else out.assign(text);  // (minify only fails on unbalanced quotes, which a well-formed body has not)
    records.push_back(std::move(out));
  };
  for (size_t i = open; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) {
        element(i);
        return;
      }
    } else if (c == ',' && depth == 1) {
      element(i);
      start = i + 1;
    }
  }
}

}  // namespace

void poll_http(const std::string& url, const HttpOptions& opts, Emitter& emitter) {
  Poller(url, opts, emitter).run();
}

web::PostReply accept_post(const web::PostRequest& req, const std::string& token, std::vector<std::string>& records) {
  records.clear();
  if (!token.empty() && !cli::same_secret(req.authorization, "Bearer " + token))
    return {401, json_error("missing or wrong bearer token")};
  const std::string& body = req.body;
  size_t first = body.find_first_not_of(" \t\r\n");
  simdjson::dom::parser parser;
  if (first != std::string::npos && body[first] == '[') {
    simdjson::padded_string padded(body);
    simdjson::dom::element root;
    simdjson::dom::array arr;
    if (parser.parse(padded).get(root) || root.get_array().get(arr)) {
      json::Diagnosis d = json::diagnose(body);
      if (!d.ok) return {400, json_error("the body is not a JSON array: " + d.message)};
      // Well-formed, but beyond what simdjson holds (an integer over 64 bits, 1e999): split
      // the array as text.
      split_json_array(body, first, records);
      return {200, ""};
    }
    for (simdjson::dom::element el : arr) records.push_back(simdjson::minify(el));
  } else {
    json::WellFormedChecker checker;
    size_t start = 0, number = 0;
    while (start < body.size()) {
      size_t nl = body.find('\n', start);
      size_t end = nl == std::string::npos ? body.size() : nl;
      ++number;
      std::string line = body.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      start = end + 1;
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      simdjson::padded_string padded(line);
      if (!checker.check(padded.data(), padded.size())) {
        records.clear();
        return {400, json_error("line " + std::to_string(number) + ": " + checker.error())};
      }
      records.push_back(std::move(line));
    }
  }
  return {200, ""};
}

void listen_http(const std::string& uri, const HttpOptions& opts, Emitter& emitter) {
  // http-listen://ADDR:PORT/PATH
  std::string rest = uri.substr(uri.find("://") + 3);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos)
    throw UsageError(uri + ": expected http-listen://ADDRESS:PORT/PATH (or http-listen://:PORT/PATH for 127.0.0.1)");
  std::string host = colon == 0 ? "127.0.0.1" : hostport.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(hostport.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) throw UsageError(uri + ": bad port");
  std::string token;
  if (!opts.auth_token_file.empty()) {
    std::ifstream in(opts.auth_token_file);
    if (!in) throw UsageError("--auth-token-file: cannot read " + opts.auth_token_file);
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) throw UsageError("--auth-token-file: " + opts.auth_token_file + " is empty");
  }
  std::string source = "http-listen://" + (colon == 0 ? host + hostport : hostport) + path;

  auto handler = [&emitter, token, source](const web::PostRequest& req) -> web::PostReply {
    std::vector<std::string> records;
    web::PostReply refused = accept_post(req, token, records);
    if (refused.status != 200) return refused;
    const std::string& body = req.body;
    try {
      std::lock_guard<std::mutex> lock(emitter.mutex());
      emitter.refresh_clock();
      emitter.stats().bytes_in.add(body.size());
      RecordOrigin origin{source, true, nullptr, 0, 0, 0, {}, {}, 0};
      for (const auto& r : records) {
        emitter.stats().records_in.add();
        emitter.write(r, origin);
      }
      emitter.flush();
    } catch (const BrokenPipe&) {
      io::request_stop();
      return {503, json_error("the output is closed")};
    } catch (const Error& e) {
      return {503, json_error(e.what())};
    }
    return {200, "{\"accepted\":" + std::to_string(records.size()) + "}"};
  };

  web::ListenerLimits limits;
  limits.max_body_bytes = opts.max_body_bytes;
  limits.max_connections = opts.max_connections;
  web::Listener listener(host, port, path, limits, handler);
  int bound = listener.bind();
  auto& rep = emitter.program().report();
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  rep.warn("listening on http://" + shown + ":" + std::to_string(bound) + path);
  std::thread server([&] { listener.run(); });
  bool warned = false;
  while (!io::stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!warned && listener.refused() > 0) {
      warned = true;
      rep.warn("more than " + std::to_string(opts.max_connections) +
               " connections at once (--max-connections): answering the others 503");
    }
  }
  listener.stop();
  server.join();
  if (listener.refused() > 0)
    rep.warn(std::to_string(listener.refused()) + " connections refused with 503 (--max-connections " +
             std::to_string(opts.max_connections) + ")");
}

}  // namespace sp::ingest
