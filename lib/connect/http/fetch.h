// HTTP GET for sources that poll an API (cpp-httplib; https through OpenSSL). The only place,
// with listener.h, that includes the HTTP library.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace sp::connect::http {

struct FetchRequest {
  std::string url;  // http://host[:port]/path?query or https://…
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_s = 30;
  std::string ca_file;  // https: trust these CA certificates (PEM) instead of the system's
  std::string cert, key;  // https: a client certificate and its key (PEM)
};

struct FetchResponse {
  int status = 0;       // 0 when no response arrived (see error)
  std::string body;
  std::string etag, last_modified;
  std::string error;    // connection failure, bad URL
};

FetchResponse fetch(const FetchRequest& request);

// Resolves `ref` (absolute URL, "/path", or "path") against `base`.
std::string resolve_url(const std::string& base, const std::string& ref);
// The URL without user:password, for messages.
std::string redact_url(const std::string& url);

}  // namespace sp::connect::http
