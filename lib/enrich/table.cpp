#include "enrich/table.h"

#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>

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

void check_header(const std::vector<std::string>& header) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty()) throw Error("column " + std::to_string(i + 1) + " has no name in the header");
    for (size_t j = 0; j < i; ++j)
      if (header[j] == header[i]) throw Error("two columns are named '" + header[i] + "'");
  }
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
  try {
    check_header(d.header);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
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

bool DelimitedReader::next(std::vector<std::string>& cells, uint64_t& line) {
  size_t n = text_.size();
  if (pos_ >= n) return false;
  size_t count = 0;
  auto cell = [&]() -> std::string& {
    if (cells.size() <= count) cells.emplace_back();
    return cells[count];
  };
  cell().clear();
  line = line_;
  while (pos_ < n) {
    char c = text_[pos_];
    if (quoting_ && c == '"' && cell().empty()) {
      // A quoted cell: up to the closing quote, "" standing for one quote.
      uint64_t quote_line = line_;
      std::string& out = cell();
      ++pos_;
      for (;;) {
        if (pos_ >= n) throw Error("line " + std::to_string(quote_line) + ": a quoted cell is not closed");
        size_t q = text_.find('"', pos_);
        size_t end = q == std::string_view::npos ? n : q;
        for (size_t k = pos_; k < end; ++k)
          if (text_[k] == '\n') ++line_;
        out.append(text_.data() + pos_, end - pos_);
        pos_ = end;
        if (pos_ >= n) continue;
        if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
          out += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      continue;
    }
    if (c == sep_) {
      ++count;
      cell().clear();
      ++pos_;
      continue;
    }
    if (c == '\n' || c == '\r') {
      if (c == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++line_;
      break;
    }
    // A run of plain bytes at once.
    size_t end = pos_ + 1;
    while (end < n && text_[end] != sep_ && text_[end] != '\n' && text_[end] != '\r' && text_[end] != '"') ++end;
    cell().append(text_.data() + pos_, end - pos_);
    pos_ = end;
  }
  cells.resize(count + 1);
  return true;
}

void parse_delimited(std::string_view text, char sep, bool quoting, std::vector<std::vector<std::string>>& rows,
                     std::vector<uint64_t>& lines) {
  rows.clear();
  lines.clear();
  DelimitedReader reader(text, sep, quoting);
  std::vector<std::string> cells;
  uint64_t line;
  while (reader.next(cells, line)) {
    rows.push_back(cells);
    lines.push_back(line);
  }
}

uint64_t KeyedTable::hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

void KeyedTable::reserve(size_t entries) {
  size_t n = 16;
  while (n < entries * 2 + 2) n <<= 1;  // at most half full
  slots_.assign(n, Slot{});
  mask_ = n - 1;
}

uint16_t KeyedTable::shape_index(const std::string& path, const std::shared_ptr<const Shape>& shape) {
  for (size_t i = shapes_.size(); i-- > 0;)
    if (shapes_[i] == shape) return static_cast<uint16_t>(i);
  if (shapes_.size() > UINT16_MAX) throw Error(path + ": over 65535 different sets of member names");
  shapes_.push_back(shape);
  return static_cast<uint16_t>(shapes_.size() - 1);
}

bool KeyedTable::insert(const std::string& path, std::string_view key, std::string_view members, uint16_t shape) {
  if (key.size() > UINT16_MAX) throw Error(path + ": a key is longer than 65535 bytes");
  if (arena_.size() + key.size() + members.size() + sizeof(EntryHeader) >= kEmpty)
    throw Error(path + ": the table is too large (over 4 GB)");
  if (size_ * 2 + 2 > slots_.size()) throw Error(path + ": internal error: table not reserved");
  uint64_t h = hash(key);
  uint32_t tag = static_cast<uint32_t>(h >> 32);
  size_t i = h & mask_;
  for (;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.offset == kEmpty) break;
    if (s.tag != tag) continue;
    EntryHeader e;
    memcpy(&e, arena_.data() + s.offset, sizeof e);
    if (e.key_len == key.size() && memcmp(arena_.data() + s.offset + sizeof e, key.data(), key.size()) == 0) {
      ++duplicates_;
      return false;
    }
  }
  EntryHeader e{static_cast<uint32_t>(members.size()), static_cast<uint16_t>(key.size()), shape};
  slots_[i] = Slot{tag, static_cast<uint32_t>(arena_.size())};
  arena_.append(reinterpret_cast<const char*>(&e), sizeof e);
  arena_ += key;
  arena_ += members;
  ++size_;
  return true;
}

std::shared_ptr<const KeyedTable> load_keyed_table(const std::string& path, const std::string& key_column,
                                                   const RowFormat& format) {
  auto table = std::make_shared<KeyedTable>();
  RowBuilder builder(format);
  TableFormat fmt = table_format(path);
  if (fmt != TableFormat::kNdjson) {
    std::string text = read_all(path);
    std::string_view body = text;
    if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);  // a UTF-8 BOM
    const char sep = fmt == TableFormat::kTsv ? '\t' : ',';
    const bool quoting = fmt != TableFormat::kTsv;
    std::vector<std::string> cells, header;
    uint64_t line = 0;
    // Pass 1: the header, the shape of every row, which columns are numbers.
    DelimitedReader pass1(body, sep, quoting);
    size_t rows = 0;
    std::vector<bool> numeric, any;
    try {
      if (!pass1.next(header, line)) throw Error("empty file (expected a header line with the column names)");
      check_header(header);
      numeric.assign(header.size(), true);
      any.assign(header.size(), false);
      while (pass1.next(cells, line)) {
        if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
        if (cells.size() != header.size())
          throw Error("line " + std::to_string(line) + ": " + std::to_string(cells.size()) +
                      " cells, but the header has " + std::to_string(header.size()) + " columns");
        for (size_t c = 0; c < cells.size(); ++c) {
          if (cells[c].empty()) continue;
          any[c] = true;
          if (numeric[c] && !is_json_number(cells[c])) numeric[c] = false;
        }
        ++rows;
      }
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
    for (size_t c = 0; c < any.size(); ++c)
      if (!any[c]) numeric[c] = false;  // an empty column is text
    size_t key = column_index(path, header, key_column, "the key column");
    std::vector<size_t> cols = projection(path, header, format, {key});
    std::vector<std::string> names;
    for (size_t c : cols) names.push_back(header[c]);
    // One shape for every row: build it from an empty row.
    std::shared_ptr<const Shape> shape = builder.build(names, std::vector<std::string>(names.size(), "0")).shape;
    uint16_t shape_id = table->shape_index(path, shape);
    std::vector<std::string> inner_quoted;  // member names inside the --as object
    for (const auto& n : names) {
      std::string q;
      json::append_string(q, format.prefix + n);
      inner_quoted.push_back(std::move(q));
    }
    // Pass 2: the rows, straight into the table.
    table->reserve(rows);
    table->arena_.reserve(body.size() * 2 + rows * (8 + 8 * cols.size()));
    DelimitedReader pass2(body, sep, quoting);
    pass2.next(cells, line);
    std::string members;
    while (pass2.next(cells, line)) {
      if (cells.size() == 1 && cells[0].empty() && header.size() != 1) continue;
      members.clear();
      if (!format.as.empty()) {
        members += shape->quoted[0];
        members += ":{";
      }
      for (size_t i = 0; i < cols.size(); ++i) {
        if (i) members += ',';
        members += format.as.empty() ? shape->quoted[i] : inner_quoted[i];
        members += ':';
        const std::string& cell = cells[cols[i]];
        if (numeric[cols[i]]) members += cell.empty() ? std::string_view("null") : std::string_view(cell);
        else json::append_string(members, cell);
      }
      if (!format.as.empty()) members += '}';
      table->insert(path, cells[key], members, shape_id);
    }
    table->value_names_ = names;
  } else {
    std::string text = read_all(path);
    table->reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    simdjson::dom::parser parser;
    simdjson::padded_string padded;
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
      Row row = builder.build(names, values);
      if (table->insert(path, key, row.members, table->shape_index(path, row.shape)) && table->value_names_.empty())
        table->value_names_ = names;
    }
    if (!format.fields.empty()) table->value_names_ = format.fields;
  }
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
