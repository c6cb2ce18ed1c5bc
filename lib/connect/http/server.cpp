#include "connect/http/server.h"

#include <httplib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "connect/http/bind.h"
#include "connect/http/capped_pool.h"

namespace sp::connect::http {

const std::string* GetRequest::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

struct Server::Impl {
  std::string host;
  int port;
  int worker_nice = 0;
  httplib::Server server;
  std::function<bool(const GetRequest&, GetReply&)> before;
  std::vector<std::pair<std::string, std::string>> headers;
  std::atomic<bool> returned{false};
  std::atomic<uint64_t> refused{0};
  std::string busy;  // the 503 body
};

namespace {

// Called on a connection thread before it serves: lowers that thread's priority, once.
void lower_thread_priority(int nice) {
  thread_local bool done = false;
  if (done || nice == 0) return;
  done = true;
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), getpriority(PRIO_PROCESS, 0) + nice);
}

GetRequest to_get_request(const httplib::Request& req) {
  GetRequest r;
  r.path = req.path;
  r.method = req.method;
  r.authorization = req.get_header_value("Authorization");
  for (const auto& [k, v] : req.params) r.params.emplace_back(k, v);
  return r;
}

void send_reply(const GetReply& reply, const std::vector<std::pair<std::string, std::string>>& always,
          httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [k, v] : always) res.set_header(k, v);
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  if (!reply.stream) {
    res.set_content(reply.body, reply.content_type.c_str());
    return;
  }
  auto stream = reply.stream;
  res.set_chunked_content_provider(reply.content_type, [stream](size_t, httplib::DataSink& sink) {
    stream([&sink](std::string_view data) { return sink.is_writable() && sink.write(data.data(), data.size()); });
    sink.done();
    return true;
  });
}

}  // namespace

Server::Server(std::string host, int port, size_t threads, size_t max_connections) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  size_t held = std::max(max_connections, threads);
  std::atomic<uint64_t>* refused = &impl_->refused;
  impl_->server.new_task_queue = [threads, held, refused] { return new CappedPool(threads, held, refused); };
  impl_->busy = "{\"error\":\"too many connections (--max-connections " + std::to_string(held) + "): try again later\"}\n";
  impl_->server.set_keep_alive_max_count(100000);
  impl_->server.set_tcp_nodelay(true);
  Impl* impl = impl_.get();
  impl_->server.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    if (CappedPool::refusing()) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_header("Connection", "close");
      for (const auto& [k, v] : impl->headers) res.set_header(k, v);
      res.set_content(impl->busy, "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    lower_thread_priority(impl->worker_nice);
    GetReply reply;
    if (req.method == "OPTIONS" && !impl->headers.empty()) {
      reply.status = 204;
      reply.content_type = "text/plain";
      send_reply(reply, impl->headers, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (impl->before && !impl->before(to_get_request(req), reply)) {
      send_reply(reply, impl->headers, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  impl_->server.set_error_handler([impl](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      const char* why = res.status == 404 ? "no such path" : res.status == 405 ? "method not allowed" : "request failed";
      for (const auto& [k, v] : impl->headers) res.set_header(k, v);
      res.set_content(std::string("{\"error\":\"") + why + "\"}\n", "application/json");
    }
  });
}

Server::~Server() = default;

void Server::get(const std::string& path, Handler handler, bool prefix) {
  Impl* impl = impl_.get();
  auto route = [impl, handler, prefix, len = path.size()](const httplib::Request& req, httplib::Response& res) {
    GetRequest r = to_get_request(req);
    if (prefix) r.rest = r.path.substr(len);
    GetReply reply;
    handler(r, reply);
    send_reply(reply, impl->headers, res);
  };
  // cpp-httplib matches a pattern as a regular expression: escape the literal path.
  std::string pattern;
  for (char c : path) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) pattern += '\\';
    pattern += c;
  }
  if (prefix) pattern += ".*";
  impl_->server.Get(pattern, route);
}

void Server::set_worker_nice(int nice) { impl_->worker_nice = nice; }

void Server::before(std::function<bool(const GetRequest&, GetReply&)> hook) { impl_->before = std::move(hook); }

void Server::always_add_headers(std::vector<std::pair<std::string, std::string>> headers) {
  impl_->headers = std::move(headers);
}

int Server::bind() { return bind_server(impl_->server, impl_->host, impl_->port, "http"); }

void Server::run() {
  impl_->server.listen_after_bind();
  impl_->returned = true;
}

void Server::stop() { stop_server(impl_->server, impl_->returned); }

uint64_t Server::refused() const { return impl_->refused.load(std::memory_order_relaxed); }

}  // namespace sp::connect::http
