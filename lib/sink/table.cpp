#include "sink/table.h"

#include <fstream>
#include <sstream>

#include "io/error.h"

namespace sp::sink {

const char* column_type_name(ColumnType t) {
  switch (t) {
    case ColumnType::kInteger: return "integer";
    case ColumnType::kReal: return "real";
    case ColumnType::kText: return "text";
    case ColumnType::kBoolean: return "boolean";
    case ColumnType::kJson: return "json";
  }
  return "text";
}

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

ColumnType schema_type(simdjson::dom::element prop) {
  simdjson::dom::element type;
  if (prop["type"].get(type) != simdjson::SUCCESS) {
    if (prop["properties"].error() == simdjson::SUCCESS) return ColumnType::kJson;
    if (prop["items"].error() == simdjson::SUCCESS) return ColumnType::kJson;
    return ColumnType::kText;
  }
  std::string_view name;
  if (type.is_array()) {
    for (auto t : type.get_array()) {
      std::string_view n;
      if (t.get_string().get(n) == simdjson::SUCCESS && n != "null") {
        name = n;
        break;
      }
    }
  } else if (type.get_string().get(name) != simdjson::SUCCESS) {
    return ColumnType::kText;
  }
  if (name == "integer") return ColumnType::kInteger;
  if (name == "number") return ColumnType::kReal;
  if (name == "boolean") return ColumnType::kBoolean;
  if (name == "object" || name == "array") return ColumnType::kJson;
  return ColumnType::kText;
}

}  // namespace

std::vector<Column> columns_from_schema(const std::string& file) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.load(file).get(doc))
    throw UsageError(file + ": cannot read the schema: " + simdjson::error_message(err));
  simdjson::dom::object props;
  if (doc["properties"].get(props) != simdjson::SUCCESS)
    throw UsageError(file + ": the schema has no \"properties\" object to take columns from");
  std::vector<Column> cols;
  for (auto [key, value] : props) cols.push_back({std::string(key), schema_type(value)});
  if (cols.empty()) throw UsageError(file + ": the schema's \"properties\" is empty");
  return cols;
}

TableOptions table_options(const Endpoint& endpoint, const Options& opts) {
  TableOptions t;
  t.table = endpoint.param("table", "events");
  if (t.table.empty()) throw UsageError(endpoint.redacted() + ": table= is empty");
  t.upsert_keys = split_list(endpoint.param("upsert"));
  t.raw_column = endpoint.param("raw");
  std::string add = endpoint.param("add_columns", "1");
  t.add_columns = !(add == "0" || add == "false" || add == "no");
  if (!opts.schema_file.empty()) t.schema_columns = columns_from_schema(opts.schema_file);
  return t;
}

ColumnType type_of(simdjson::dom::element v, bool& is_null) {
  is_null = false;
  switch (v.type()) {
    case simdjson::dom::element_type::INT64: return ColumnType::kInteger;
    case simdjson::dom::element_type::UINT64: return ColumnType::kReal;
    case simdjson::dom::element_type::DOUBLE: return ColumnType::kReal;
    case simdjson::dom::element_type::BOOL: return ColumnType::kBoolean;
    case simdjson::dom::element_type::STRING: return ColumnType::kText;
    case simdjson::dom::element_type::NULL_VALUE: is_null = true; return ColumnType::kText;
    default: return ColumnType::kJson;
  }
}

ColumnType wider(ColumnType a, ColumnType b) {
  if (a == b) return a;
  auto numeric = [](ColumnType t) { return t == ColumnType::kInteger || t == ColumnType::kReal; };
  if (numeric(a) && numeric(b)) return ColumnType::kReal;
  if (a == ColumnType::kJson || b == ColumnType::kJson) return ColumnType::kJson;
  return ColumnType::kText;
}

void RowReader::set_columns(const std::vector<Column>& columns, const std::string& raw_column) {
  index_.clear();
  raw_index_ = SIZE_MAX;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == raw_column) raw_index_ = i;
    else index_.emplace(columns[i].name, i);
  }
  columns_ = columns.size();
  json_.resize(columns_);
}

bool RowReader::read(std::string_view record, std::vector<Value>& row, std::vector<Column>* unknown,
                     std::string& error) {
  row.assign(columns_, Value{});
  simdjson::dom::element doc;
  if (auto err = parser_.parse(record.data(), record.size()).get(doc)) {
    error = std::string("not valid JSON: ") + simdjson::error_message(err);
    return false;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    error = "not a JSON object: a table row needs one";
    return false;
  }
  if (raw_index_ != SIZE_MAX) {
    row[raw_index_].kind = Value::kJson;
    row[raw_index_].s = record;
  }
  for (auto [key, v] : obj) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      if (unknown) {
        bool is_null;
        ColumnType t = type_of(v, is_null);
        bool seen = false;
        for (const auto& c : *unknown) seen |= c.name == key;
        if (!seen && !is_null) unknown->push_back({std::string(key), t});
      }
      continue;
    }
    Value& out = row[it->second];
    switch (v.type()) {
      case simdjson::dom::element_type::INT64: out.kind = Value::kInt; out.i = v.get_int64().value_unsafe(); break;
      case simdjson::dom::element_type::UINT64:
        out.kind = Value::kReal;
        out.d = static_cast<double>(v.get_uint64().value_unsafe());
        break;
      case simdjson::dom::element_type::DOUBLE: out.kind = Value::kReal; out.d = v.get_double().value_unsafe(); break;
      case simdjson::dom::element_type::BOOL: out.kind = Value::kBool; out.i = v.get_bool().value_unsafe(); break;
      case simdjson::dom::element_type::STRING: out.kind = Value::kText; out.s = v.get_string().value_unsafe(); break;
      case simdjson::dom::element_type::NULL_VALUE: out.kind = Value::kNull; break;
      default: {
        std::string& buf = json_[it->second];
        buf = simdjson::minify(v);
        out.kind = Value::kJson;
        out.s = buf;
      }
    }
  }
  return true;
}

std::vector<Column> RowReader::infer(const Batch& batch, size_t from, const std::vector<Column>& known) {
  std::vector<Column> cols;
  std::vector<bool> seen_value;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> pos;
  for (const auto& c : known) pos.emplace(c.name, SIZE_MAX);
  for (size_t r = from; r < batch.size(); ++r) {
    simdjson::dom::element doc;
    std::string_view rec = batch.record(r);
    if (parser_.parse(rec.data(), rec.size()).get(doc) != simdjson::SUCCESS) continue;
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) continue;
    for (auto [key, v] : obj) {
      bool is_null;
      ColumnType t = type_of(v, is_null);
      auto it = pos.find(key);
      if (it == pos.end()) {
        pos.emplace(std::string(key), cols.size());
        cols.push_back({std::string(key), t});
        seen_value.push_back(!is_null);
      } else if (it->second != SIZE_MAX && !is_null) {
        size_t i = it->second;
        cols[i].type = seen_value[i] ? wider(cols[i].type, t) : t;
        seen_value[i] = true;
      }
    }
  }
  return cols;
}

}  // namespace sp::sink
