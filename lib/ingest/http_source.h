// HTTP sources.
//   http://…, https://…  poll an API: every element of the JSON array in the response (or of the
//                        array at --jsonpath) is a record; ETag / Last-Modified are sent back
//                        (If-None-Match, If-Modified-Since) so an unchanged answer is not read
//                        again; --next-field names a cursor (a URL, or a value for ?cursor=)
//                        whose pages are read one after another.
//   http-listen://ADDR:PORT/PATH  accepts POSTed NDJSON or JSON arrays: 200 once the batch is
//                        written to the output, 400 with the reason when any line is not JSON
//                        (nothing of the batch is written), 413 when over --max-body-bytes,
//                        401 without the bearer token of --auth-token-file, 503 beyond
//                        --max-connections at once. Without ADDR (http-listen://:PORT/PATH)
//                        it listens on 127.0.0.1 only.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "connect/http/listener.h"
#include "ingest/emitter.h"

namespace sp::ingest {

struct HttpOptions {
  bool follow = false;
  double interval = 60;
  std::string jsonpath;
  std::string next_field;
  std::string next_param = "cursor";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string auth_token_file;
  size_t max_body_bytes = 16u << 20;
  size_t max_connections = 64;
  std::string ca_file, cert, key;  // https://: --cafile, --cert, --key
};

// Polls `url` (once, or every interval with follow) until a stop is requested. Failures are
// reported; without follow they make the program exit 1.
void poll_http(const std::string& url, const HttpOptions& opts, Emitter& emitter);
// What http-listen does with one POST before anything is written: checks the bearer token
// (when `token` is not empty; compared in constant time) and splits the body into records (the
// elements of a JSON array, minified, or the non-blank lines of NDJSON, each checked).
// Returns 200 with `records` filled, else the status and JSON body to answer (401, 400 with
// the reason) with `records` empty.
connect::http::PostReply accept_post(const connect::http::PostRequest& req, const std::string& token,
                                     std::vector<std::string>& records);
// Serves `uri` (http-listen://…) until a stop is requested.
void listen_http(const std::string& uri, const HttpOptions& opts, Emitter& emitter);

}  // namespace sp::ingest
