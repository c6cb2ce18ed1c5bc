// What a lookup adds to a record: a few members as one ready-made JSON fragment
// ("plan":"free","signup_country":"IN") that is copied into the record as it is, with their
// names (shared by the rows that have the same ones) to check whether the record has such a
// member already; records that need the general splice read the fragment member by member.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sp::enrich {

// The member names of rows, shared by the rows that have the same ones.
struct Shape {
  std::vector<std::string> names;   // as written into records
  std::vector<std::string> quoted;  // the same as JSON strings, with the quotes: "\"plan\""
};

struct Row {
  std::string members;  // "k":v,"k2":v2 (empty for a row that adds nothing)
  std::shared_ptr<const Shape> shape;
};

// What a lookup found: a view of a row's members (valid until the lookup is asked again or
// reloaded) and their names. No shape means no row.
struct Match {
  std::string_view members;
  const Shape* shape = nullptr;
  Match() = default;
  Match(std::string_view m, const Shape* s) : members(m), shape(s) {}
  explicit Match(const Row& r) : members(r.members), shape(r.shape.get()) {}
  explicit operator bool() const { return shape != nullptr; }
};

// How the values of a source become members: which ones, under which names.
struct RowFormat {
  std::vector<std::string> fields;  // columns to take, in this order; empty: all but the key
  std::string prefix;               // prepended to each member name
  std::string as;                   // when set: one member of this name holding an object
};

// Builds rows for one RowFormat, sharing shapes among rows with the same names.
class RowBuilder {
 public:
  explicit RowBuilder(RowFormat format) : format_(std::move(format)) {}
  const RowFormat& format() const { return format_; }
  // `names` and `values` (JSON text) are the source's, already projected to format().fields.
  Row build(const std::vector<std::string>& names, std::vector<std::string> values);

 private:
  RowFormat format_;
  std::shared_ptr<const Shape> last_;
  std::vector<std::string> last_source_names_;
};

// True when `text` is a JSON number (RFC 8259 grammar: no leading zeros, no '+', no "1.").
bool is_json_number(std::string_view text);

}  // namespace sp::enrich
