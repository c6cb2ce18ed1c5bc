#include "connect/http/fetch.h"

#include <httplib.h>

#include "connect/uri.h"

namespace sp::connect::http {
namespace {

// Splits "scheme://authority/rest" into "scheme://authority" and "/rest".
bool split_url(const std::string& url, std::string& origin, std::string& target) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  size_t slash = url.find('/', scheme + 3);
  origin = slash == std::string::npos ? url : url.substr(0, slash);
  target = slash == std::string::npos ? "/" : url.substr(slash);
  return origin.size() > scheme + 3;
}

}  // namespace

std::string redact_url(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t at = url.find('@', scheme + 3);
  size_t slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, scheme + 3) + "***@" + url.substr(at + 1);
}

std::string resolve_url(const std::string& base, const std::string& ref) {
  if (ref.find("://") != std::string::npos) return ref;
  std::string origin, target;
  if (!split_url(base, origin, target)) return ref;
  if (!ref.empty() && ref[0] == '/') return origin + ref;
  if (!ref.empty() && ref[0] == '?') return origin + target.substr(0, target.find('?')) + ref;
  std::string dir = target.substr(0, target.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return origin + dir + ref;
}

FetchResponse fetch(const FetchRequest& req) {
  FetchResponse out;
  std::string origin, target;
  if (!split_url(req.url, origin, target)) {
    out.error = "not an http:// or https:// URL";
    return out;
  }
  // user:password@ is basic authentication (cpp-httplib's Client does not take it in the URL).
  std::string user, password;
  if (size_t at = origin.rfind('@'); at != std::string::npos) {
    size_t start = origin.find("://") + 3;
    std::string userinfo = origin.substr(start, at - start);
    size_t colon = userinfo.find(':');
    user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string::npos) password = percent_decode(userinfo.substr(colon + 1));
    origin.erase(start, at + 1 - start);
  }
  httplib::Client cli = req.cert.empty() ? httplib::Client(origin) : httplib::Client(origin, req.cert, req.key);
  if (!user.empty() || !password.empty()) cli.set_basic_auth(user.c_str(), password.c_str());
  if (!req.ca_file.empty()) cli.set_ca_cert_path(req.ca_file.c_str());
  if (!cli.is_valid()) {
    out.error = "cannot use this URL (https needs OpenSSL support)";
    return out;
  }
  auto secs = static_cast<time_t>(req.timeout_s);
  cli.set_connection_timeout(secs, 0);
  cli.set_read_timeout(secs, 0);
  cli.set_follow_location(true);
  httplib::Headers headers;
  for (const auto& [k, v] : req.headers) headers.emplace(k, v);
  auto res = cli.Get(target, headers);
  if (!res) {
    out.error = "no response (" + httplib::to_string(res.error()) + ")";
    return out;
  }
  out.status = res->status;
  out.body = std::move(res->body);
  out.etag = res->get_header_value("ETag");
  out.last_modified = res->get_header_value("Last-Modified");
  return out;
}

}  // namespace sp::connect::http
