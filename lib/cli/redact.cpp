#include "cli/redact.h"

#include <array>
#include <cctype>

namespace sp::cli {
namespace {

constexpr std::string_view kMask = "***";

// Names whose value is a secret, matched case-insensitively at the end of a parameter name
// after its start, '.', '_' or '-' (client_secret, sasl.password, X-Amz-Signature).
constexpr std::array<std::string_view, 13> kSecretNames = {
    "password", "passwd", "pwd", "pass", "secret", "token", "api_key", "apikey",
    "signature", "sig", "sslpassword", "credential", "credentials"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  std::string_view tail = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(tail[i])) != suffix[i]) return false;
  return true;
}

bool secret_name(std::string_view name) {
  for (std::string_view n : kSecretNames) {
    if (!ends_with_ci(name, n)) continue;
    if (name.size() == n.size()) return true;
    char before = name[name.size() - n.size() - 1];
    if (before == '.' || before == '_' || before == '-') return true;
  }
  return false;
}

// scheme://user:PASSWORD@host -> scheme://user:***@host (the authority ends at / ? # or a space).
std::string redact_userinfo(std::string_view s) {
  std::string out;
  size_t done = 0;
  for (size_t p = s.find("://"); p != std::string_view::npos; p = s.find("://", p + 3)) {
    size_t a = p + 3;
    size_t e = a;
    while (e < s.size() && s[e] != '/' && s[e] != '?' && s[e] != '#' && !is_space(s[e]) && s[e] != '"' &&
           s[e] != '\'' && s[e] != '>' && s[e] != ')')
      ++e;
    size_t at = s.rfind('@', e == 0 ? 0 : e - 1);
    if (at == std::string_view::npos || at < a) continue;
    size_t colon = s.find(':', a);
    if (colon == std::string_view::npos || colon >= at || colon + 1 == at) continue;
    if (s.substr(colon + 1, at - colon - 1) == kMask) continue;
    out.append(s.substr(done, colon + 1 - done));
    out.append(kMask);
    done = at;
  }
  out.append(s.substr(done));
  return out;
}

// NAME=VALUE with a secret NAME (in a query string, a libpq conninfo, a -X property).
std::string redact_parameters(std::string_view s) {
  std::string out;
  size_t done = 0;
  for (size_t eq = s.find('='); eq != std::string_view::npos; eq = s.find('=', eq + 1)) {
    size_t b = eq;
    while (b > 0) {
      char c = s[b - 1];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') --b;
      else break;
    }
    if (b == eq || !secret_name(s.substr(b, eq - b))) continue;
    size_t v = eq + 1, e = v;
    while (e < s.size() && s[e] != '&' && s[e] != ';' && s[e] != ',' && s[e] != '"' && s[e] != '\'' &&
           s[e] != ')' && !is_space(s[e]))
      ++e;
    if (e == v || s.substr(v, e - v) == kMask) continue;
    out.append(s.substr(done, v - done));
    out.append(kMask);
    done = e;
    eq = e - 1;
  }
  out.append(s.substr(done));
  return out;
}

// "Bearer TOKEN" and "Authorization: SCHEME CREDENTIALS".
std::string redact_http_credentials(std::string_view s) {
  std::string out;
  size_t done = 0;
  auto mask_word = [&](size_t from) {
    size_t e = from;
    while (e < s.size() && !is_space(s[e]) && s[e] != '"' && s[e] != '\'') ++e;
    if (e == from || s.substr(from, e - from) == kMask) return;
    out.append(s.substr(done, from - done));
    out.append(kMask);
    done = e;
  };
  for (size_t p = s.find("Bearer "); p != std::string_view::npos; p = s.find("Bearer ", p + 7))
    if (p >= done) mask_word(p + 7);
  std::string first = std::move(out);
  first.append(s.substr(done));
  s = first;
  out.clear();
  done = 0;
  for (size_t p = s.find("Authorization:"); p != std::string_view::npos; p = s.find("Authorization:", p + 14)) {
    size_t w = p + 14;
    while (w < s.size() && s[w] == ' ') ++w;
    while (w < s.size() && !is_space(s[w])) ++w;  // the scheme
    while (w < s.size() && s[w] == ' ') ++w;
    if (w >= done) mask_word(w);
  }
  out.append(s.substr(done));
  return out;
}

}  // namespace

bool needs_redaction(std::string_view text) {
  return text.find("://") != std::string_view::npos || text.find('=') != std::string_view::npos ||
         text.find("Bearer ") != std::string_view::npos || text.find("Authorization:") != std::string_view::npos;
}

std::string redact(std::string_view text) {
  if (!needs_redaction(text)) return std::string(text);
  return redact_http_credentials(redact_parameters(redact_userinfo(text)));
}

bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

}  // namespace sp::cli
