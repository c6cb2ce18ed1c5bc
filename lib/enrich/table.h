// Lookup tables read from files, held in memory: keyed tables (CSV, TSV, NDJSON; a hash map
// from the key column's text to the row) and IP range tables (CSV or TSV whose range column
// holds CIDR blocks, single addresses or start-end pairs).
//
// Value types: an NDJSON table keeps each value as the JSON it is. A CSV/TSV column whose
// every non-empty cell is a JSON number is a number column: its cells are written as numbers
// and its empty cells as null. Any other column is text: its cells are JSON strings (empty
// cells are ""). So "01234" (a leading zero) stays a string, and a column that mixes
// "12" and "n/a" is all strings.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "enrich/ranges.h"
#include "enrich/row.h"

namespace sp::enrich {

enum class TableFormat { kCsv, kTsv, kNdjson };
// From the name: .tsv/.tab -> TSV; .ndjson/.jsonl/.json -> NDJSON; else CSV (a trailing .gz
// or .zst is looked through; compressed files are read by content).
TableFormat table_format(std::string_view path);

// An open-addressing hash table (linear probing, power-of-two slots of a 32-bit hash tag and
// an offset) over one arena that holds each key next to its members: a lookup touches one
// slot and, most of the time, one cache line of the arena.
class KeyedTable {
 public:
  Match find(std::string_view key) const {
    uint64_t h = hash(key);
    uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.offset == kEmpty) return {};
      if (s.tag != tag) continue;
      const char* p = arena_.data() + s.offset;
      EntryHeader e;
      memcpy(&e, p, sizeof e);
      p += sizeof e;
      if (e.key_len == key.size() && memcmp(p, key.data(), key.size()) == 0)
        return {std::string_view(p + e.key_len, e.members_len), shapes_[e.shape].get()};
    }
  }
  size_t size() const { return size_; }
  uint64_t duplicates() const { return duplicates_; }
  // The member names rows add (of the first row), for messages and for default rows.
  const std::vector<std::string>& value_names() const { return value_names_; }

 private:
  friend std::shared_ptr<const KeyedTable> load_keyed_table(const std::string&, const std::string&,
                                                            const RowFormat&);
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint32_t tag = 0;
    uint32_t offset = kEmpty;
  };
  struct EntryHeader {
    uint32_t members_len;
    uint16_t key_len;
    uint16_t shape;
  };
  static uint64_t hash(std::string_view key);
  // Sizes the index for `entries` entries (before the first insert).
  void reserve(size_t entries);
  // Adds an entry unless its key is there already (then counts a duplicate: the first wins).
  bool insert(const std::string& path, std::string_view key, std::string_view members, uint16_t shape);
  uint16_t shape_index(const std::string& path, const std::shared_ptr<const Shape>& shape);

  std::string arena_;
  std::vector<Slot> slots_ = std::vector<Slot>(1);
  size_t mask_ = 0;
  size_t size_ = 0;
  uint64_t duplicates_ = 0;
  std::vector<std::shared_ptr<const Shape>> shapes_;
  std::vector<std::string> value_names_;
};

class IpTable {
 public:
  Match find(std::string_view ip_text) const;
  size_t size() const { return rows_.size(); }
  const std::vector<std::string>& value_names() const { return value_names_; }

 private:
  friend std::shared_ptr<const IpTable> load_ip_table(const std::string&, const std::string&, const RowFormat&);
  RangeTable ranges_;
  std::vector<Row> rows_;
  std::vector<std::string> value_names_;
};

// Loads a table; `key_column` names the column (or NDJSON member) that keys the rows.
// Rows with the same key: the first one wins (the others are counted in duplicates()).
// Throws sp::Error naming the file (and line) when it cannot be read or makes no sense.
std::shared_ptr<const KeyedTable> load_keyed_table(const std::string& path, const std::string& key_column,
                                                   const RowFormat& format);
// Loads an IP range table. The range column is `range_column` when given; else the columns
// "start" and "end" (or "first"/"last") when the header has them; else the first column.
std::shared_ptr<const IpTable> load_ip_table(const std::string& path, const std::string& range_column,
                                             const RowFormat& format);

// Reads CSV (RFC 4180: quoted cells with "" for a quote, line breaks inside quotes, \r\n) or
// TSV (tab-separated, no quoting) one row at a time, reusing the caller's cells.
class DelimitedReader {
 public:
  DelimitedReader(std::string_view text, char sep, bool quoting) : text_(text), sep_(sep), quoting_(quoting) {}
  // The next row and its 1-based line number; false at the end. Throws sp::Error on an
  // unterminated quote.
  bool next(std::vector<std::string>& cells, uint64_t& line);

 private:
  std::string_view text_;
  char sep_;
  bool quoting_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
};

// Parses CSV (RFC 4180: quoted cells with "" for a quote, line breaks inside quotes, \r\n)
// or TSV (tab-separated, no quoting) text into rows of cells; `lines` gets each row's
// 1-based line number. Throws sp::Error on an unterminated quote.
void parse_delimited(std::string_view text, char sep, bool quoting, std::vector<std::vector<std::string>>& rows,
                     std::vector<uint64_t>& lines);

}  // namespace sp::enrich
