// An HTTP server that accepts POSTed bodies on one path (cpp-httplib, a thread pool): bodies
// over the size limit get 413 before the handler runs; other paths 404.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace sp::connect::http {

struct PostRequest {
  const std::string& body;
  std::string content_type;
  std::string authorization;
};

struct PostReply {
  int status = 200;
  std::string body;  // JSON
};

class Listener {
 public:
  using Handler = std::function<PostReply(const PostRequest&)>;
  Listener(std::string host, int port, std::string path, size_t max_body_bytes, Handler handler);
  ~Listener();
  // Binds the socket; returns the port (useful with port 0). Throws sp::Error.
  int bind();
  // Serves until stop() (from another thread).
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sp::connect::http
