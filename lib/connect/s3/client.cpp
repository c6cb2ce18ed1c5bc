#include "connect/s3/client.h"

#include <ctime>
#include <map>

namespace sp::connect::s3 {
namespace {

std::string xml_value(const std::string& xml, const std::string& tag) {
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  size_t a = xml.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  size_t b = xml.find(close, a);
  return b == std::string::npos ? "" : xml.substr(a, b - a);
}

}  // namespace

Client::Client(Location loc, Credentials cred, double timeout_s, std::string where)
    : loc_(std::move(loc)), cred_(std::move(cred)), where_(std::move(where)), http_(where_, timeout_s) {
  http_.set_tls(loc_.ca_file, "", "");
  if (loc_.endpoint.empty()) {
    scheme_ = "https";
    host_ = loc_.bucket + ".s3." + loc_.region + ".amazonaws.com";
    base_path_ = "";
  } else {
    size_t p = loc_.endpoint.find("://");
    scheme_ = p == std::string::npos ? "http" : loc_.endpoint.substr(0, p);
    host_ = p == std::string::npos ? loc_.endpoint : loc_.endpoint.substr(p + 3);
    while (!host_.empty() && host_.back() == '/') host_.pop_back();
    base_path_ = "/" + loc_.bucket;
  }
}

http::Response Client::send(const std::string& method, const std::string& key, const std::string& query,
                            std::string_view body, bool ok_404) {
  std::string path = base_path_ + "/" + uri_encode(key, true);
  std::string payload_hash = sha256_hex(body);
  char date[32];
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
  std::map<std::string, std::string> signed_headers{
      {"host", host_}, {"x-amz-content-sha256", payload_hash}, {"x-amz-date", date}};
  if (!cred_.session_token.empty()) signed_headers["x-amz-security-token"] = cred_.session_token;
  std::vector<std::string> headers;
  for (const auto& [k, v] : signed_headers) headers.push_back(k + ": " + v);
  headers.push_back("Authorization: " + authorization(cred_, loc_.region, "s3", method, path, query, signed_headers,
                                                      payload_hash, date));
  std::string url = scheme_ + "://" + host_ + path + (query.empty() ? "" : "?" + query);
  http::Response r = http_.request(method, url, headers, body);
  if (r.status >= 200 && r.status < 300) return r;
  if (ok_404 && r.status == 404) return r;
  std::string code = xml_value(r.body, "Code"), message = xml_value(r.body, "Message");
  std::string what = where_ + ": " + method + " " + key + ": HTTP " + std::to_string(r.status) +
                     (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message);
  if (r.status >= 500 || r.status == 429 || r.status == 408) throw Transient(what, r.retry_after);
  throw Error(what);
}

void Client::put_object(const std::string& key, std::string_view body) { send("PUT", key, "", body); }

bool Client::exists(const std::string& key) { return send("HEAD", key, "", "", true).status != 404; }

std::string Client::create_multipart(const std::string& key) {
  auto r = send("POST", key, "uploads=", "");
  std::string id = xml_value(r.body, "UploadId");
  if (id.empty()) throw Error(where_ + ": POST " + key + "?uploads: no UploadId in the answer");
  return id;
}

std::string Client::upload_part(const std::string& key, const std::string& upload_id, int part,
                                std::string_view body) {
  auto r = send("PUT", key, "partNumber=" + std::to_string(part) + "&uploadId=" + uri_encode(upload_id, false), body);
  std::string etag = r.header("etag");
  if (etag.empty()) throw Error(where_ + ": PUT " + key + " part " + std::to_string(part) + ": no ETag in the answer");
  return etag;
}

void Client::complete_multipart(const std::string& key, const std::string& upload_id,
                                const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i)
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] + "</ETag></Part>";
  xml += "</CompleteMultipartUpload>";
  auto r = send("POST", key, "uploadId=" + uri_encode(upload_id, false), xml);
  // S3 may answer 200 and report a failure in the body.
  if (r.body.find("<Error>") != std::string::npos)
    throw Transient(where_ + ": completing " + key + ": " + xml_value(r.body, "Code") + " " + xml_value(r.body, "Message"));
}

void Client::abort_multipart(const std::string& key, const std::string& upload_id) {
  send("DELETE", key, "uploadId=" + uri_encode(upload_id, false), "", true);
}

}  // namespace sp::connect::s3
