// sp-ingest http-listen://: what one POST turns into (ingest::accept_post, the part of the
// handler before the records are written): the bearer token check, a JSON array body or NDJSON
// lines (CRLF, blank lines). Input: the first byte picks whether a token is required; then
// "AUTHORIZATION\0CONTENT-TYPE\0BODY" (missing parts are empty). A 200 must come with records
// that are each one well-formed JSON document without a line break, and only with the right
// token; anything else with no records and a JSON error body, and a 400 only for a body that
// is not JSON.
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ingest/http_source.h"
#include "json/check.h"

namespace {

std::string_view take_part(std::string_view& rest) {
  size_t nul = rest.find('\0');
  std::string_view part = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  return part;
}

bool well_formed(sp::json::WellFormedChecker& checker, std::string& buf, std::string_view text) {
  buf.assign(text);
  buf.append(simdjson::SIMDJSON_PADDING, '\0');
  return checker.check(buf.data(), text.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const std::string kToken = "s3cret-t0ken";
  static sp::json::WellFormedChecker checker;
  static std::string buf;
  static std::vector<std::string> records;
  const std::string& token = data[0] & 1 ? kToken : std::string();
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string authorization(take_part(rest));
  std::string content_type(take_part(rest));
  // Without the separators the whole input is the body (most of the corpus).
  if (rest.empty() && memchr(data + 1, '\0', size - 1) == nullptr) {
    rest = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
    authorization = data[0] & 2 ? "Bearer " + kToken : "";
  }
  const std::string body(rest);
  sp::connect::http::PostRequest req{body, content_type, authorization};
  sp::connect::http::PostReply reply = sp::ingest::accept_post(req, token, records);
  if (reply.status == 200) {
    if (!token.empty() && authorization != "Bearer " + kToken) __builtin_trap();  // let in without the token
    for (const auto& r : records) {
      if (r.find('\n') != std::string::npos) __builtin_trap();  // one record would become two lines
      if (!well_formed(checker, buf, r)) {
        fprintf(stderr, "malformed record: %s\n  %s\n", checker.error().c_str(), r.c_str());
        __builtin_trap();
      }
    }
  } else {
    if (reply.status != 400 && reply.status != 401) __builtin_trap();
    // A 400 for an array body means it is not one: JSON allows what simdjson cannot hold
    // (integers beyond 64 bits, numbers beyond double range), and so must the listener.
    size_t first = body.find_first_not_of(" \t\r\n");
    if (reply.status == 400 && first != std::string::npos && body[first] == '[' && sp::json::diagnose(body).ok) {
      fprintf(stderr, "a JSON array refused: %s\n", reply.body.c_str());
      __builtin_trap();
    }
    if (!records.empty()) __builtin_trap();  // a refused batch must write nothing
    if (!well_formed(checker, buf, reply.body)) __builtin_trap();
  }
  return 0;
}
