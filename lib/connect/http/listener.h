// An HTTP server that accepts POSTed bodies on one path (cpp-httplib, a thread pool): bodies
// over the size limit get 413 before the handler runs; other paths 404; connections beyond
// the connection limit get 503 (see CappedPool).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sp::connect::http {

struct PostRequest {
  const std::string& body;
  std::string content_type;
  std::string authorization;
};

struct ListenerLimits {
  size_t max_body_bytes = 16u << 20;
  size_t max_connections = 64;  // held at once: served, or waiting for one of `workers`
  size_t workers = 8;
};

struct PostReply {
  int status = 200;
  std::string body;  // JSON
};

class Listener {
 public:
  using Handler = std::function<PostReply(const PostRequest&)>;
  Listener(std::string host, int port, std::string path, ListenerLimits limits, Handler handler);
  ~Listener();
  // Binds the socket; returns the port (useful with port 0). Throws sp::Error.
  int bind();
  // Serves until stop() (from another thread).
  void run();
  void stop();
  // Connections answered 503 because max_connections were held.
  uint64_t refused() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sp::connect::http
