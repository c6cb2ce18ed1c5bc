#include "sink/endpoint.h"

#include <cctype>

#include "connect/uri.h"
#include "io/error.h"

namespace sp::sink {

using connect::parse_query;
using connect::percent_decode;

Endpoint Endpoint::parse(const std::string& uri) {
  Endpoint e;
  size_t colon = uri.find("://");
  bool has_scheme = colon != std::string::npos && colon > 0;
  if (has_scheme) {
    for (size_t i = 0; i < colon; ++i) {
      char c = uri[i];
      if (!isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
        has_scheme = false;
        break;
      }
    }
  }
  if (!has_scheme) {
    // "-" or a plain path. A "sqlite:rel.db" short form is accepted too.
    if (uri.rfind("sqlite:", 0) == 0) {
      e.scheme_ = "sqlite";
      std::string rest = uri.substr(7);
      size_t q = rest.find('?');
      e.location_ = percent_decode(rest.substr(0, q));
      e.path_ = e.location_;
      if (q != std::string::npos) e.params_ = parse_query(rest.substr(q + 1));
      e.redacted_ = uri;
      e.used_.assign(e.params_.size(), false);
      return e;
    }
    e.scheme_ = "file";
    e.location_ = uri;
    e.path_ = uri;
    e.redacted_ = uri;
    return e;
  }
  e.scheme_ = uri.substr(0, colon);
  for (char& c : e.scheme_) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (e.scheme_ == "postgres") e.scheme_ = "postgresql";
  std::string rest = uri.substr(colon + 3);
  std::string query;
  size_t q = rest.find('?');
  if (q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  e.location_ = percent_decode(rest);
  // authority = [userinfo@]host[:port]; path follows the first '/'.
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  std::string redacted_authority = authority;
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t pc = userinfo.find(':');
    e.user_ = percent_decode(userinfo.substr(0, pc));
    if (pc != std::string::npos) {
      e.password_ = percent_decode(userinfo.substr(pc + 1));
      e.has_password_ = true;
      redacted_authority = userinfo.substr(0, pc) + ":***@" + authority;
    }
  }
  std::string hostport = authority;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t rb = hostport.find(']');
    if (rb == std::string::npos) throw UsageError("bad host in '" + uri + "'");
    e.host_ = hostport.substr(1, rb - 1);
    hostport = hostport.substr(rb + 1);
    if (!hostport.empty() && hostport[0] == ':') hostport = hostport.substr(1);
    else hostport.clear();
  } else {
    size_t pc = hostport.rfind(':');
    e.host_ = percent_decode(hostport.substr(0, pc));
    hostport = pc == std::string::npos ? "" : hostport.substr(pc + 1);
  }
  if (!hostport.empty()) {
    for (char c : hostport)
      if (!isdigit(static_cast<unsigned char>(c)))
        throw UsageError("bad port '" + hostport + "' in '" + e.scheme_ + "://" + redacted_authority + path + "'");
    e.port_ = std::stoi(hostport);
  }
  e.path_ = percent_decode(path);
  e.params_ = parse_query(query);
  e.used_.assign(e.params_.size(), false);
  e.redacted_ = e.scheme_ + "://" + redacted_authority + path + (query.empty() ? "" : "?" + query);
  // A password given as a query parameter is redacted as well.
  for (const auto& [k, v] : e.params_) {
    if (k == "password" && !v.empty()) {
      size_t pos = e.redacted_.find("password=");
      if (pos != std::string::npos) {
        size_t end = e.redacted_.find('&', pos);
        e.redacted_.replace(pos, (end == std::string::npos ? e.redacted_.size() : end) - pos, "password=***");
      }
    }
  }
  return e;
}

std::string Endpoint::param(const std::string& key, const std::string& fallback) const {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].first == key) {
      used_[i] = true;
      return params_[i].second;
    }
  }
  return fallback;
}

bool Endpoint::has_param(const std::string& key) const {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].first == key) {
      used_[i] = true;
      return true;
    }
  }
  return false;
}

void Endpoint::reject_unused() const {
  for (size_t i = 0; i < params_.size(); ++i)
    if (!used_[i])
      throw UsageError(redacted_ + ": unknown parameter '" + params_[i].first + "' for a " + scheme_ + " sink");
}

}  // namespace sp::sink
