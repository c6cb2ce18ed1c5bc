// AWS Signature Version 4 for S3 requests (OpenSSL's SHA-256 and HMAC; the only files that
// include OpenSSL headers are in connect/s3/).
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace sp::connect::s3 {

struct Credentials {
  std::string access_key, secret_key, session_token;
};

std::string sha256_hex(std::string_view data);
// RFC 3986 percent-encoding as SigV4 wants it; '/' kept when `keep_slash`.
std::string uri_encode(std::string_view s, bool keep_slash);

// The Authorization header value for a request. `headers` are the headers to sign, names in
// lower case (host, x-amz-date, x-amz-content-sha256 and any other); `canonical_uri` is the
// encoded path; `canonical_query` the sorted, encoded query ("" for none).
std::string authorization(const Credentials& cred, const std::string& region, const std::string& service,
                          const std::string& method, const std::string& canonical_uri,
                          const std::string& canonical_query, const std::map<std::string, std::string>& headers,
                          const std::string& payload_hash, const std::string& amz_date);

}  // namespace sp::connect::s3
