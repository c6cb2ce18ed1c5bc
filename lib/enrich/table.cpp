#include "enrich/table.h"

#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <unordered_set>

#include "io/error.h"
#include "io/source.h"
#include "json/splice.h"
#include "json/writer.h"

namespace sp::enrich {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string read_all(const std::string& path) {
  auto src = io::open_source(path);
  std::string text;
  char buf[1 << 16];
  for (;;) {
    long n = src->read(buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) continue;  // interrupted by a signal: read again
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

std::string column_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

size_t column_index(const std::string& path, const std::vector<std::string>& header, const std::string& name,
                    const char* role) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  throw Error(path + ": no column '" + name + "' (" + role + "); the header has: " + column_list(header));
}

// A CSV/TSV file as cells, the header first, with JSON text for each cell by column type.
struct Delimited {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // the raw cells
  std::vector<uint64_t> lines;
  std::vector<bool> numeric;  // per column
};

Delimited read_delimited(const std::string& path, TableFormat fmt) {
  std::string text = read_all(path);
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // a UTF-8 BOM
  Delimited d;
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
  try {
    parse_delimited(text, fmt == TableFormat::kTsv ? '\t' : ',', fmt != TableFormat::kTsv, rows, lines);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  if (rows.empty()) throw Error(path + ": empty file (expected a header line with the column names)");
  d.header = std::move(rows[0]);
  for (size_t i = 0; i < d.header.size(); ++i) {
    if (d.header[i].empty()) throw Error(path + ": column " + std::to_string(i + 1) + " has no name in the header");
    for (size_t j = 0; j < i; ++j)
      if (d.header[j] == d.header[i]) throw Error(path + ": two columns are named '" + d.header[i] + "'");
  }
  d.numeric.assign(d.header.size(), true);
  std::vector<bool> any(d.header.size(), false);
  for (size_t r = 1; r < rows.size(); ++r) {
    auto& cells = rows[r];
    if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
    if (cells.size() != d.header.size())
      throw Error(path + ": line " + std::to_string(lines[r]) + ": " + std::to_string(cells.size()) +
                  " cells, but the header has " + std::to_string(d.header.size()) + " columns");
    for (size_t c = 0; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      any[c] = true;
      if (d.numeric[c] && !is_json_number(cells[c])) d.numeric[c] = false;
    }
    d.rows.push_back(std::move(cells));
    d.lines.push_back(lines[r]);
  }
  for (size_t c = 0; c < any.size(); ++c)
    if (!any[c]) d.numeric[c] = false;  // an empty column is text
  return d;
}

std::string cell_json(const Delimited& d, size_t c, const std::string& cell) {
  if (d.numeric[c]) return cell.empty() ? std::string("null") : cell;
  std::string out;
  json::append_string(out, cell);
  return out;
}

// The columns a row format takes, as indices: --fields in order, else all but `skip`.
std::vector<size_t> projection(const std::string& path, const std::vector<std::string>& header,
                               const RowFormat& format, const std::vector<size_t>& skip) {
  std::vector<size_t> cols;
  if (!format.fields.empty()) {
    for (const auto& f : format.fields) cols.push_back(column_index(path, header, f, "named in --fields"));
  } else {
    for (size_t i = 0; i < header.size(); ++i)
      if (std::find(skip.begin(), skip.end(), i) == skip.end()) cols.push_back(i);
  }
  return cols;
}

// The text a key value is matched by: a string's content, a number's or literal's JSON text.
bool key_text(simdjson::dom::element e, std::string& out) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      out = std::string(e.get_string().value_unsafe());
      return true;
    case simdjson::dom::element_type::BOOL:
      out = e.get_bool().value_unsafe() ? "true" : "false";
      return true;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return false;  // taken from the raw text by the caller
    default:
      return false;
  }
}

}  // namespace

TableFormat table_format(std::string_view path) {
  std::string_view p = path;
  if (ends_with(p, ".gz")) p.remove_suffix(3);
  else if (ends_with(p, ".zst")) p.remove_suffix(4);
  if (ends_with(p, ".tsv") || ends_with(p, ".tab")) return TableFormat::kTsv;
  if (ends_with(p, ".ndjson") || ends_with(p, ".jsonl") || ends_with(p, ".json")) return TableFormat::kNdjson;
  return TableFormat::kCsv;
}

void parse_delimited(std::string_view text, char sep, bool quoting, std::vector<std::vector<std::string>>& rows,
                     std::vector<uint64_t>& lines) {
  rows.clear();
  lines.clear();
  std::vector<std::string> cells;
  std::string cell;
  uint64_t line = 1, row_line = 1;
  size_t i = 0, n = text.size();
  bool row_open = false;
  while (i < n) {
    char c = text[i];
    if (quoting && c == '"' && cell.empty()) {
      // A quoted cell: up to the closing quote, "" standing for one quote.
      uint64_t quote_line = line;
      ++i;
      for (;;) {
        if (i >= n) throw Error("line " + std::to_string(quote_line) + ": a quoted cell is not closed");
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        cell += text[i++];
      }
      row_open = true;
      continue;
    }
    if (c == sep) {
      cells.push_back(std::move(cell));
      cell.clear();
      row_open = true;
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
      ++i;
      cells.push_back(std::move(cell));
      cell.clear();
      rows.push_back(std::move(cells));
      cells.clear();
      lines.push_back(row_line);
      row_line = ++line;
      row_open = false;
      continue;
    }
    cell += c;
    row_open = true;
    ++i;
  }
  if (row_open || !cell.empty()) {
    cells.push_back(std::move(cell));
    rows.push_back(std::move(cells));
    lines.push_back(row_line);
  }
}

uint64_t KeyedTable::hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

void KeyedTable::add(const std::string& path, std::string_view key, Row row) {
  if (key.size() > UINT16_MAX) throw Error(path + ": a key is longer than 65535 bytes");
  if (arena_.size() + key.size() + row.members.size() + sizeof(EntryHeader) >= kEmpty)
    throw Error(path + ": the table is too large (over 4 GB)");
  size_t shape = shapes_.size();
  for (size_t i = shapes_.size(); i-- > 0;)
    if (shapes_[i] == row.shape) { shape = i; break; }
  if (shape == shapes_.size()) {
    if (shape > UINT16_MAX) throw Error(path + ": over 65535 different sets of member names");
    shapes_.push_back(row.shape);
  }
  EntryHeader e{static_cast<uint32_t>(row.members.size()), static_cast<uint16_t>(key.size()),
                static_cast<uint16_t>(shape)};
  offsets_.push_back(static_cast<uint32_t>(arena_.size()));
  arena_.append(reinterpret_cast<const char*>(&e), sizeof e);
  arena_ += key;
  arena_ += row.members;
  ++size_;
}

void KeyedTable::build_index() {
  size_t n = 16;
  while (n < offsets_.size() * 2) n <<= 1;  // at most half full
  slots_.assign(n, Slot{});
  mask_ = n - 1;
  for (uint32_t off : offsets_) {
    EntryHeader e;
    memcpy(&e, arena_.data() + off, sizeof e);
    uint64_t h = hash(std::string_view(arena_.data() + off + sizeof e, e.key_len));
    size_t i = h & mask_;
    while (slots_[i].offset != kEmpty) i = (i + 1) & mask_;
    slots_[i] = Slot{static_cast<uint32_t>(h >> 32), off};
  }
  offsets_.clear();
  offsets_.shrink_to_fit();
  arena_.shrink_to_fit();
}

std::shared_ptr<const KeyedTable> load_keyed_table(const std::string& path, const std::string& key_column,
                                                   const RowFormat& format) {
  auto table = std::make_shared<KeyedTable>();
  RowBuilder builder(format);
  TableFormat fmt = table_format(path);
  if (fmt != TableFormat::kNdjson) {
    Delimited d = read_delimited(path, fmt);
    size_t key = column_index(path, d.header, key_column, "the key column");
    std::vector<size_t> cols = projection(path, d.header, format, {key});
    std::vector<std::string> names;
    for (size_t c : cols) names.push_back(d.header[c]);
    std::unordered_set<std::string_view> seen;
    seen.reserve(d.rows.size());
    for (auto& cells : d.rows) {
      if (!seen.insert(cells[key]).second) {
        ++table->duplicates_;
        continue;
      }
      std::vector<std::string> values;
      values.reserve(cols.size());
      for (size_t c : cols) values.push_back(cell_json(d, c, cells[c]));
      table->add(path, cells[key], builder.build(names, std::move(values)));
    }
    table->value_names_ = names;
  } else {
    std::string text = read_all(path);
    simdjson::dom::parser parser;
    simdjson::padded_string padded;
    std::unordered_set<std::string> seen;
    std::vector<json::MemberSpan> members;
    std::vector<std::string> names, values;
    std::string name, key;
    uint64_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string_view line(text.data() + pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      std::string where = path + ": line " + std::to_string(line_no) + ": ";
      padded = simdjson::padded_string(line);
      simdjson::dom::element doc;
      if (auto err = parser.parse(padded).get(doc))
        throw Error(where + "not JSON: " + simdjson::error_message(err));
      if (!doc.is_object() || !json::scan_object(line, members)) throw Error(where + "not a JSON object");
      names.clear();
      values.clear();
      bool have_key = false;
      auto wanted = [&](const std::string& n) -> int {
        if (format.fields.empty()) return 0;
        for (size_t i = 0; i < format.fields.size(); ++i)
          if (format.fields[i] == n) return static_cast<int>(i);
        return -1;
      };
      std::vector<std::pair<int, size_t>> order;  // (position in --fields, member) to sort by
      for (size_t m = 0; m < members.size(); ++m) {
        json::unescape_string(members[m].key_raw, name);
        if (name == key_column) {
          simdjson::dom::element v = doc[name].value_unsafe();
          if (key_text(v, key)) have_key = true;
          else if (v.is_number()) key = std::string(members[m].value), have_key = true;
          continue;
        }
        int w = wanted(name);
        if (w >= 0) order.emplace_back(w, m);
      }
      if (!have_key) continue;  // no usable key: the row cannot be found
      std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first < b.first; });
      for (auto& [w, m] : order) {
        json::unescape_string(members[m].key_raw, name);
        names.push_back(name);
        values.emplace_back(members[m].value);
      }
      if (!seen.insert(key).second) {
        ++table->duplicates_;
        continue;
      }
      if (table->value_names_.empty()) table->value_names_ = names;
      table->add(path, key, builder.build(names, values));
    }
    if (!format.fields.empty()) table->value_names_ = format.fields;
  }
  table->build_index();
  return table;
}

Match IpTable::find(std::string_view ip_text) const {
  IpAddress a;
  if (!parse_ip(ip_text, a)) return {};
  uint32_t i = ranges_.find(a);
  return i == RangeTable::kNone ? Match() : Match(rows_[i]);
}

std::shared_ptr<const IpTable> load_ip_table(const std::string& path, const std::string& range_column,
                                             const RowFormat& format) {
  TableFormat fmt = table_format(path);
  if (fmt == TableFormat::kNdjson)
    throw Error(path + ": an IP range table is CSV or TSV (a range column, then the values)");
  Delimited d = read_delimited(path, fmt);
  std::vector<size_t> range_cols;
  auto find = [&](const char* n) -> int {
    for (size_t i = 0; i < d.header.size(); ++i)
      if (d.header[i] == n) return static_cast<int>(i);
    return -1;
  };
  if (!range_column.empty()) {
    range_cols.push_back(column_index(path, d.header, range_column, "the range column"));
  } else if (find("start") >= 0 && find("end") >= 0) {
    range_cols = {static_cast<size_t>(find("start")), static_cast<size_t>(find("end"))};
  } else if (find("first") >= 0 && find("last") >= 0) {
    range_cols = {static_cast<size_t>(find("first")), static_cast<size_t>(find("last"))};
  } else {
    range_cols.push_back(0);
  }
  std::vector<size_t> cols = projection(path, d.header, format, range_cols);
  std::vector<std::string> names;
  for (size_t c : cols) names.push_back(d.header[c]);
  auto table = std::make_shared<IpTable>();
  RowBuilder builder(format);
  std::string error;
  for (size_t r = 0; r < d.rows.size(); ++r) {
    auto& cells = d.rows[r];
    IpAddress first, last;
    bool ok;
    if (range_cols.size() == 2) {
      IpAddress a, b;
      ok = parse_ip_range(cells[range_cols[0]], first, a, error) && parse_ip_range(cells[range_cols[1]], b, last, error);
      if (ok && last < first) ok = false, error = "the range ends before it starts";
    } else {
      ok = parse_ip_range(cells[range_cols[0]], first, last, error);
    }
    if (!ok) throw Error(path + ": line " + std::to_string(d.lines[r]) + ": " + error);
    std::vector<std::string> values;
    for (size_t c : cols) values.push_back(cell_json(d, c, cells[c]));
    table->ranges_.add(first, last, static_cast<uint32_t>(table->rows_.size()));
    table->rows_.push_back(builder.build(names, std::move(values)));
  }
  table->ranges_.build();
  table->value_names_ = names;
  return table;
}

}  // namespace sp::enrich
