#include "schema/uri.h"

#include <cctype>
#include <vector>

namespace sp::schema {

UriParts split_uri(std::string_view u) {
  UriParts p;
  // scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  size_t i = 0;
  if (!u.empty() && std::isalpha(static_cast<unsigned char>(u[0]))) {
    size_t j = 1;
    while (j < u.size() && (std::isalnum(static_cast<unsigned char>(u[j])) || u[j] == '+' || u[j] == '-' || u[j] == '.')) j++;
    if (j < u.size() && u[j] == ':') {
      p.scheme = u.substr(0, j);
      p.has_scheme = true;
      i = j + 1;
    }
  }
  size_t hash = u.find('#', i);
  if (hash != std::string_view::npos) {
    p.fragment = u.substr(hash + 1);
    p.has_fragment = true;
    u = u.substr(0, hash);
  }
  size_t q = u.find('?', i);
  if (q != std::string_view::npos) {
    p.query = u.substr(q + 1);
    p.has_query = true;
    u = u.substr(0, q);
  }
  if (u.substr(i, 2) == "//") {
    size_t a = i + 2;
    size_t slash = u.find('/', a);
    if (slash == std::string_view::npos) slash = u.size();
    p.authority = u.substr(a, slash - a);
    p.has_authority = true;
    i = slash;
  }
  p.path = u.substr(i);
  return p;
}

static std::string remove_dot_segments(std::string_view in) {
  std::vector<std::string_view> out;
  bool absolute = !in.empty() && in[0] == '/';
  size_t i = absolute ? 1 : 0;
  bool trailing = false;
  while (i <= in.size()) {
    size_t j = in.find('/', i);
    if (j == std::string_view::npos) j = in.size();
    std::string_view seg = in.substr(i, j - i);
    trailing = false;
    if (seg == ".") {
      trailing = true;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing = true;
    } else {
      out.push_back(seg);
    }
    i = j + 1;
  }
  std::string r;
  if (absolute) r += '/';
  for (size_t k = 0; k < out.size(); k++) {
    if (k) r += '/';
    r += out[k];
  }
  if (trailing && !r.empty() && r.back() != '/') r += '/';
  return r;
}

static std::string compose(const UriParts& p, std::string_view path, std::string_view query, bool has_query,
                           std::string_view fragment, bool has_fragment, bool has_authority, std::string_view authority) {
  std::string r;
  if (p.has_scheme) {
    r += p.scheme;
    r += ':';
  }
  if (has_authority) {
    r += "//";
    r += authority;
  }
  r += path;
  if (has_query) {
    r += '?';
    r += query;
  }
  if (has_fragment) {
    r += '#';
    r += fragment;
  }
  return r;
}

std::string resolve_uri(std::string_view base, std::string_view ref) {
  UriParts r = split_uri(ref);
  if (r.has_scheme) {
    std::string path = remove_dot_segments(r.path);
    return compose(r, path, r.query, r.has_query, r.fragment, r.has_fragment, r.has_authority, r.authority);
  }
  UriParts b = split_uri(base);
  if (r.has_authority) {
    return compose(b, remove_dot_segments(r.path), r.query, r.has_query, r.fragment, r.has_fragment, true, r.authority);
  }
  if (r.path.empty()) {
    if (r.has_query) return compose(b, b.path, r.query, true, r.fragment, r.has_fragment, b.has_authority, b.authority);
    return compose(b, b.path, b.query, b.has_query, r.fragment, r.has_fragment, b.has_authority, b.authority);
  }
  std::string merged;
  if (r.path[0] == '/') {
    merged = std::string(r.path);
  } else if (b.has_authority && b.path.empty()) {
    merged = "/" + std::string(r.path);
  } else {
    size_t slash = b.path.rfind('/');
    if (slash != std::string_view::npos) merged = std::string(b.path.substr(0, slash + 1));
    merged += r.path;
  }
  return compose(b, remove_dot_segments(merged), r.query, r.has_query, r.fragment, r.has_fragment, b.has_authority,
                 b.authority);
}

std::string_view uri_without_fragment(std::string_view uri) {
  size_t h = uri.find('#');
  return h == std::string_view::npos ? uri : uri.substr(0, h);
}

std::string_view uri_fragment(std::string_view uri) {
  size_t h = uri.find('#');
  return h == std::string_view::npos ? std::string_view() : uri.substr(h + 1);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      r += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      r += s[i];
    }
  }
  return r;
}

std::string pointer_escape(std::string_view token) {
  std::string r;
  r.reserve(token.size());
  for (char c : token) {
    if (c == '~') r += "~0";
    else if (c == '/') r += "~1";
    else r += c;
  }
  return r;
}

std::string pointer_unescape(std::string_view token) {
  std::string r;
  r.reserve(token.size());
  for (size_t i = 0; i < token.size(); i++) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      r += token[i + 1] == '0' ? '~' : '/';
      i++;
    } else {
      r += token[i];
    }
  }
  return r;
}

}  // namespace sp::schema
