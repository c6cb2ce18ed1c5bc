// Endpoint: a sink's URI taken apart, e.g.
//   postgresql://user:secret@127.0.0.1:5432/db?table=events&mode=insert
// Query parameters are the connector's options. A password never leaves this class except
// through password(): describe() and every message use the redacted form.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace sp::sink {

class Endpoint {
 public:
  // "-" and plain paths are file endpoints (scheme "file"). Throws sp::UsageError.
  static Endpoint parse(const std::string& uri);

  const std::string& scheme() const { return scheme_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  bool has_password() const { return has_password_; }
  const std::string& host() const { return host_; }  // without brackets for IPv6
  int port() const { return port_; }                 // 0 when not given
  // Percent-decoded path: "/db" for postgresql://h/db, "/tmp/x.db" for sqlite:///tmp/x.db.
  const std::string& path() const { return path_; }
  // For file-like schemes: everything between "scheme://" and "?" (sqlite://rel.db -> rel.db).
  const std::string& location() const { return location_; }

  // The query parameter `key`, or `fallback` when absent. Every parameter a connector reads
  // is marked as used; unused() lists the others so that a typo is an error, not a no-op.
  std::string param(const std::string& key, const std::string& fallback = "") const;
  bool has_param(const std::string& key) const;
  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }
  // Throws sp::UsageError naming the first parameter no connector asked for.
  void reject_unused() const;
  // The URI with the password replaced by "***"; the form used in every message.
  const std::string& redacted() const { return redacted_; }

 private:
  std::string scheme_, user_, password_, host_, path_, location_, redacted_;
  bool has_password_ = false;
  int port_ = 0;
  std::vector<std::pair<std::string, std::string>> params_;
  mutable std::vector<bool> used_;
};

}  // namespace sp::sink
