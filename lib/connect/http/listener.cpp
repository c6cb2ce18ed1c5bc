#include "connect/http/listener.h"

#include <httplib.h>

#include "connect/http/bind.h"
#include "connect/http/capped_pool.h"

namespace sp::connect::http {

struct Listener::Impl {
  std::string host, path;
  int port;
  httplib::Server server;
  std::atomic<uint64_t> refused{0};
  std::atomic<bool> returned{false};
};

Listener::Listener(std::string host, int port, std::string path, ListenerLimits limits, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->path = std::move(path);
  impl_->server.set_payload_max_length(limits.max_body_bytes);
  std::atomic<uint64_t>* refused = &impl_->refused;
  impl_->server.new_task_queue = [limits, refused] {
    return new CappedPool(limits.workers, limits.max_connections, refused);
  };
  std::string busy = "{\"error\":\"too many connections (--max-connections " + std::to_string(limits.max_connections) +
                     "): try again later\"}\n";
  impl_->server.set_pre_routing_handler([busy](const httplib::Request&, httplib::Response& res) {
    if (!CappedPool::refusing()) return httplib::Server::HandlerResponse::Unhandled;
    res.status = 503;
    res.set_header("Retry-After", "1");
    res.set_header("Connection", "close");
    res.set_content(busy, "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  impl_->server.Post(impl_->path, [handler](const httplib::Request& req, httplib::Response& res) {
    PostRequest r{req.body, req.get_header_value("Content-Type"), req.get_header_value("Authorization")};
    PostReply reply = handler(r);
    res.status = reply.status;
    res.set_content(reply.body + "\n", "application/json");
  });
  impl_->server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      const char* why = res.status == 413 ? "request body too large (--max-body-bytes)"
                        : res.status == 404 ? "no such path"
                                            : "request failed";
      res.set_content(std::string("{\"error\":\"") + why + "\"}\n", "application/json");
    }
  });
}

Listener::~Listener() = default;

int Listener::bind() { return bind_server(impl_->server, impl_->host, impl_->port, "http-listen"); }

void Listener::run() {
  impl_->server.listen_after_bind();
  impl_->returned = true;
}

void Listener::stop() { stop_server(impl_->server, impl_->returned); }

uint64_t Listener::refused() const { return impl_->refused.load(std::memory_order_relaxed); }

}  // namespace sp::connect::http
