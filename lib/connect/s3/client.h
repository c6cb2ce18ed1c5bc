// S3-compatible object storage: PUT, HEAD, multipart uploads, signed with SigV4. Requests
// go through connect/http. A 5xx answer (503 SlowDown...) or a connection error throws
// connect::Transient; any other refusal (403, NoSuchBucket) sp::Error.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connect/http/client.h"
#include "connect/s3/signer.h"

namespace sp::connect::s3 {

struct Location {
  std::string endpoint;  // "http://127.0.0.1:4568" (path-style), or "" for AWS (virtual-hosted)
  std::string region = "us-east-1";
  std::string bucket;
  std::string ca_file;  // https endpoints: trust these CA certificates (PEM) instead of the system's
};

class Client {
 public:
  Client(Location loc, Credentials cred, double timeout_s, std::string where);
  void put_object(const std::string& key, std::string_view body);
  bool exists(const std::string& key);
  std::string create_multipart(const std::string& key);
  // Returns the part's ETag.
  std::string upload_part(const std::string& key, const std::string& upload_id, int part, std::string_view body);
  void complete_multipart(const std::string& key, const std::string& upload_id, const std::vector<std::string>& etags);
  void abort_multipart(const std::string& key, const std::string& upload_id);

 private:
  http::Response send(const std::string& method, const std::string& key, const std::string& query,
                      std::string_view body, bool ok_404 = false);
  Location loc_;
  Credentials cred_;
  std::string where_;
  std::string host_, scheme_, base_path_;
  http::Client http_;
};

}  // namespace sp::connect::s3
