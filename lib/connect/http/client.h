// HTTP requests through libcurl (the only files that include curl.h are in connect/http/).
// One Client keeps its connection alive between requests. A failure to connect, send or
// receive throws connect::Transient; the caller judges the status code.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "connect/error.h"

namespace sp::connect::http {

struct Response {
  long status = 0;
  std::string body;
  double retry_after = -1;                                    // seconds, from Retry-After
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string header(const std::string& lower_name) const;
};

class Client {
 public:
  // `where` names the endpoint in messages (without a password).
  Client(std::string where, double timeout_s);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // https: trust the CA certificates in `ca_file` (PEM) instead of the system's; present the
  // client certificate `cert` with its key `key`. Empty: the default.
  void set_tls(std::string ca_file, std::string cert, std::string key);

  // method: "POST", "PUT", "GET", "DELETE", "HEAD". `headers`: "Name: value".
  Response request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                   std::string_view body);

 private:
  std::string where_;
  double timeout_s_;
  std::string ca_file_, cert_, key_;
  void* curl_ = nullptr;
};

// "Retry-After: 5" or an HTTP date -> seconds from now (>= 0), or -1.
double parse_retry_after(const std::string& value);

}  // namespace sp::connect::http
