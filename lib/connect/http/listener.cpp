#include "connect/http/listener.h"

#include <httplib.h>

#include "connect/http/bind.h"

namespace sp::connect::http {

struct Listener::Impl {
  std::string host, path;
  int port;
  httplib::Server server;
  std::atomic<bool> finished{false};  // run() has returned
};

Listener::Listener(std::string host, int port, std::string path, size_t max_body_bytes, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->path = std::move(path);
  impl_->server.set_payload_max_length(max_body_bytes);
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

void Listener::run() { run_server(impl_->server, impl_->finished); }

void Listener::stop() { stop_server(impl_->server, impl_->finished); }

}  // namespace sp::connect::http
