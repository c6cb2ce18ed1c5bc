// An HTTP server for GET routes (cpp-httplib, a thread pool), for programs that serve data:
// routes by exact path or by a prefix whose rest is a parameter, a hook that runs before every
// route (authentication), headers added to every response (CORS), and streamed responses
// (Server-Sent Events) that a handler keeps writing until the client goes away.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sp::connect::http {

struct GetRequest {
  std::string path;  // decoded
  std::string rest;  // for a prefix route: the decoded path after the prefix
  std::vector<std::pair<std::string, std::string>> params;  // decoded query parameters
  std::string authorization;                                 // the Authorization header
  std::string method;

  // The first value of a query parameter; nullptr when absent.
  const std::string* param(std::string_view name) const;
};

// A writer for a streamed response: returns false once the client is gone.
using StreamWrite = std::function<bool(std::string_view)>;

struct GetReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed: `stream` is called with a writer and returns when the
  // stream ends (the client left, or the server stops).
  std::function<void(const StreamWrite&)> stream;
};

class Server {
 public:
  using Handler = std::function<void(const GetRequest&, GetReply&)>;
  // `threads`: connections served at once (a keep-alive connection or a stream holds one);
  // `max_connections`: connections held at once, served or waiting for a thread (0: as many
  // as threads); one more is answered 503 with Retry-After, and the kernel's backlog holds
  // the rest (see CappedPool).
  Server(std::string host, int port, size_t threads, size_t max_connections = 0);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // GET `path` exactly; or, with prefix, every GET path that starts with `path`.
  void get(const std::string& path, Handler handler, bool prefix = false);
  // Runs before every route (also for unknown paths and OPTIONS); returning false sends the
  // reply it filled instead of the route's.
  void before(std::function<bool(const GetRequest&, GetReply&)> hook);
  // Added to every response, e.g. Access-Control-Allow-Origin; also answers OPTIONS preflights.
  void always_add_headers(std::vector<std::pair<std::string, std::string>> headers);

  // Runs the connection threads this much nicer than the process (Linux: per thread), so that
  // under load they yield the CPU to the program's own work (sp-serve: reading its input).
  void set_worker_nice(int nice);

  // Connections answered 503 because max_connections were held.
  uint64_t refused() const;

  // Binds; returns the port (useful with port 0). Throws sp::Error.
  int bind();
  // Serves until stop() (from another thread).
  void run();
  // Ends run(); when run() has not begun yet, waits for it to begin (so it must be called).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sp::connect::http
