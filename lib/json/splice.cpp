#include "json/splice.h"

#include "json/writer.h"

namespace sp::json {
namespace {

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// End (exclusive) of the string starting at s[i] == '"'.
size_t skip_string(std::string_view s, size_t i) {
  ++i;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\') i += 2;
    else if (c == '"') return i + 1;
    else ++i;
  }
  return s.size();
}

// End (exclusive) of the value starting at s[i].
size_t skip_value(std::string_view s, size_t i) {
  if (i >= s.size()) return i;
  char c = s[i];
  if (c == '"') return skip_string(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      char d = s[i];
      if (d == '"') { i = skip_string(s, i); continue; }
      if (d == '{' || d == '[') ++depth;
      else if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return s.size();
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r')
    ++i;
  return i;
}

bool key_equals(std::string_view key_raw, std::string_view name) {
  std::string_view inner = key_raw.substr(1, key_raw.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return inner == name;
  std::string decoded;
  return unescape_string(key_raw, decoded) && decoded == name;
}

}  // namespace

bool scan_object(std::string_view s, std::vector<MemberSpan>& members) {
  members.clear();
  size_t i = skip_ws(s, 0);
  if (i >= s.size() || s[i] != '{') return false;
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == '}') return true;
  while (i < s.size()) {
    if (s[i] != '"') return false;
    size_t kend = skip_string(s, i);
    MemberSpan m;
    m.key_raw = s.substr(i, kend - i);
    i = skip_ws(s, kend);
    if (i >= s.size() || s[i] != ':') return false;
    i = skip_ws(s, i + 1);
    size_t vend = skip_value(s, i);
    m.value = s.substr(i, vend - i);
    members.push_back(m);
    i = skip_ws(s, vend);
    if (i >= s.size()) return false;
    if (s[i] == '}') return true;
    if (s[i] != ',') return false;
    i = skip_ws(s, i + 1);
  }
  return false;
}

bool scan_array(std::string_view s, std::vector<std::string_view>& elements) {
  elements.clear();
  size_t i = skip_ws(s, 0);
  if (i >= s.size() || s[i] != '[') return false;
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == ']') return true;
  while (i < s.size()) {
    size_t vend = skip_value(s, i);
    elements.push_back(s.substr(i, vend - i));
    i = skip_ws(s, vend);
    if (i >= s.size()) return false;
    if (s[i] == ']') return true;
    if (s[i] != ',') return false;
    i = skip_ws(s, i + 1);
  }
  return false;
}

bool unescape_string(std::string_view q, std::string& out) {
  out.clear();
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return false;
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c != '\\') { out += c; continue; }
    if (++i + 1 > q.size() - 1) return false;
    char e = q[i];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto hex4 = [&](size_t at, uint32_t& v) {
          if (at + 4 > q.size() - 1) return false;
          v = 0;
          for (size_t k = 0; k < 4; ++k) {
            char h = q[at + k];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= h - '0';
            else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
            else return false;
          }
          return true;
        };
        uint32_t cp;
        if (!hex4(i + 1, cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < q.size() && q[i + 1] == '\\' && q[i + 2] == 'u') {
          uint32_t lo;
          if (hex4(i + 3, lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
          out += static_cast<char>(0xE0 | (cp >> 12));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
          out += static_cast<char>(0xF0 | (cp >> 18));
          out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        }
        break;
      }
      default: return false;
    }
  }
  return true;
}

void Splicer::set(const FieldPath& path, std::string_view json_value) {
  edits_.push_back({path.segments(), Op::kSet, std::string(json_value)});
}

void Splicer::set(std::string_view key, std::string_view json_value) {
  PathSegment seg;
  seg.key = std::string(key);
  edits_.push_back({{seg}, Op::kSet, std::string(json_value)});
}

void Splicer::remove(const FieldPath& path) { edits_.push_back({path.segments(), Op::kRemove, {}}); }

void Splicer::rename(const FieldPath& path, std::string_view new_name) {
  edits_.push_back({path.segments(), Op::kRename, std::string(new_name)});
}

bool Splicer::apply(std::string_view record, std::string& out) const {
  std::vector<MemberSpan> probe;
  if (!scan_object(record, probe)) return false;
  std::vector<const Edit*> all;
  all.reserve(edits_.size());
  for (const auto& e : edits_)
    if (!e.path.empty()) all.push_back(&e);
  apply_object(record, all, 0, out);
  return true;
}

void Splicer::apply_object(std::string_view obj, const std::vector<const Edit*>& edits, size_t depth,
                           std::string& out) const {
  std::vector<MemberSpan> members;
  if (!scan_object(obj, members)) {  // not an object: leave it as it was
    out += obj;
    return;
  }
  // Unchanged members, and the separators and whitespace between them, are copied as they were.
  auto off = [&](std::string_view part) { return static_cast<size_t>(part.data() - obj.data()); };
  size_t head_end = members.empty() ? obj.find('{') + 1 : off(members[0].key_raw);
  size_t tail_start = members.empty() ? head_end : off(members.back().value) + members.back().value.size();
  out.append(obj.data(), head_end);
  std::vector<bool> used(edits.size(), false);
  bool wrote_any = false;
  size_t last_kept = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    std::vector<const Edit*> below;
    const Edit* here = nullptr;
    for (size_t k = 0; k < edits.size(); ++k) {
      const Edit& e = *edits[k];
      if (e.path[depth].index_only || !key_equals(m.key_raw, e.path[depth].key)) continue;
      used[k] = true;
      if (e.path.size() == depth + 1) here = &e;  // the last such edit wins
      else below.push_back(&e);
    }
    if (here && here->op == Op::kRemove) continue;
    if (wrote_any) {
      // The original separator after the previous kept member (", " or ",").
      size_t sep_from = off(members[last_kept].value) + members[last_kept].value.size();
      size_t sep_to = last_kept + 1 < members.size() ? off(members[last_kept + 1].key_raw) : sep_from;
      if (sep_to > sep_from) out.append(obj.data() + sep_from, sep_to - sep_from);
      else out += ',';
    }
    wrote_any = true;
    last_kept = i;
    size_t key_end = off(m.key_raw) + m.key_raw.size();
    size_t value_start = off(m.value);
    if (here && here->op == Op::kRename) {
      append_string(out, here->value);
      out.append(obj.data() + key_end, value_start - key_end);
      out += m.value;
      continue;
    }
    out.append(obj.data() + off(m.key_raw), value_start - off(m.key_raw));  // "key" :
    if (here && here->op == Op::kSet) {
      out += here->value;
    } else if (!below.empty() && m.value[0] == '[') {
      apply_array(m.value, below, depth + 1, out);
    } else if (!below.empty() && m.value[0] == '{') {
      apply_object(m.value, below, depth + 1, out);
    } else if (!below.empty()) {
      // A scalar where the path expects an object: sets replace it with a new object.
      std::vector<const Edit*> sets;
      for (const Edit* e : below)
        if (e->op == Op::kSet && !e->path[depth + 1].index_only) sets.push_back(e);
      if (sets.empty()) out += m.value;
      else apply_object("{}", sets, depth + 1, out);
    } else {
      out += m.value;
    }
  }
  // Sets of members that did not exist are appended in the order given; several sets below
  // one new name build one nested object.
  for (size_t k = 0; k < edits.size(); ++k) {
    const Edit& e = *edits[k];
    if (used[k] || e.op != Op::kSet || e.path[depth].index_only) continue;
    std::vector<const Edit*> group;
    const Edit* whole = nullptr;
    for (size_t j = k; j < edits.size(); ++j) {
      if (used[j] || edits[j]->op != Op::kSet || edits[j]->path[depth].key != e.path[depth].key) continue;
      used[j] = true;
      group.push_back(edits[j]);
      if (edits[j]->path.size() == depth + 1) whole = edits[j];
    }
    if (wrote_any) out += ',';
    wrote_any = true;
    append_string(out, e.path[depth].key);
    out += ':';
    if (whole) out += whole->value;
    else apply_object("{}", group, depth + 1, out);
  }
  out.append(obj.data() + tail_start, obj.size() - tail_start);
}

void Splicer::apply_array(std::string_view arr, const std::vector<const Edit*>& edits, size_t depth,
                          std::string& out) const {
  std::vector<std::string_view> elems;
  if (!scan_array(arr, elems)) {
    out += arr;
    return;
  }
  // As in apply_object: the brackets, separators and whitespace around kept elements stay.
  auto off = [&](std::string_view part) { return static_cast<size_t>(part.data() - arr.data()); };
  size_t head_end = elems.empty() ? arr.find('[') + 1 : off(elems[0]);
  size_t tail_start = elems.empty() ? head_end : off(elems.back()) + elems.back().size();
  out.append(arr.data(), head_end);
  bool wrote_any = false;
  size_t last_kept = 0;
  for (size_t i = 0; i < elems.size(); ++i) {
    const Edit* here = nullptr;
    std::vector<const Edit*> below;
    for (const Edit* e : edits) {
      if (e->path[depth].index != static_cast<int64_t>(i)) continue;
      if (e->path.size() == depth + 1) here = e;
      else below.push_back(e);
    }
    if (here && here->op == Op::kRemove) continue;
    if (wrote_any) {
      size_t sep_from = off(elems[last_kept]) + elems[last_kept].size();
      out.append(arr.data() + sep_from, off(elems[last_kept + 1]) - sep_from);
    }
    wrote_any = true;
    last_kept = i;
    if (here && here->op == Op::kSet) out += here->value;
    else if (!below.empty() && elems[i][0] == '{') apply_object(elems[i], below, depth + 1, out);
    else if (!below.empty() && elems[i][0] == '[') apply_array(elems[i], below, depth + 1, out);
    else out += elems[i];
  }
  out.append(arr.data() + tail_start, arr.size() - tail_start);
}

bool strip_member(std::string_view record, std::string_view key_raw, std::vector<MemberSpan>& members,
                  std::string& out, std::string_view& value) {
  if (!scan_object(record, members)) return false;
  for (size_t k = 0; k < members.size(); ++k) {
    if (members[k].key_raw != key_raw) continue;
    value = members[k].value;
    const char* base = record.data();
    size_t cut_begin, cut_end;
    if (members.size() == 1) {
      out = "{}";
      return true;
    }
    if (k + 1 < members.size()) {
      cut_begin = static_cast<size_t>(members[k].key_raw.data() - base);
      cut_end = static_cast<size_t>(members[k + 1].key_raw.data() - base);
    } else {
      const auto& prev = members[k - 1].value;
      cut_begin = static_cast<size_t>(prev.data() + prev.size() - base);
      cut_end = static_cast<size_t>(members[k].value.data() + members[k].value.size() - base);
    }
    out.assign(record.substr(0, cut_begin));
    out.append(record.substr(cut_end));
    return true;
  }
  return false;
}

std::string_view member_value(std::string_view obj, std::string_view key_raw, std::vector<MemberSpan>& members) {
  if (!scan_object(obj, members)) return {};
  for (const auto& m : members)
    if (m.key_raw == key_raw) return m.value;
  return {};
}

}  // namespace sp::json
