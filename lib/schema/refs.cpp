// Documents, identifiers and references: loading schema documents (the root, files from
// schema_dirs and schema_map, built-in meta-schemas), registering $id/$anchor/$dynamicAnchor,
// and resolving $ref/$dynamicRef targets to compiled nodes.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/error.h"
#include "schema/compiler.h"
#include "schema/metaschemas.h"
#include "schema/uri.h"

namespace sp::schema {

namespace fs = std::filesystem;
using simdjson::dom::element;

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int draft_of_meta(std::string_view meta) {
  meta = uri_without_fragment(meta);
  if (meta.find("draft-07") != std::string_view::npos || meta.find("draft-06") != std::string_view::npos ||
      meta.find("draft-04") != std::string_view::npos)
    return 7;
  if (meta.find("draft/2020-12/schema") != std::string_view::npos ||
      meta.find("draft/2019-09/schema") != std::string_view::npos)
    return 2020;
  return 0;  // a custom meta-schema
}

}  // namespace

std::string Compiler::base_of(int doc, const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = resource_roots_.find({doc, p});
    if (it != resource_roots_.end()) return it->second;
    if (p.empty()) return docs_[doc].uri;
    p.resize(p.rfind('/'));
  }
}

std::optional<element> Compiler::element_at(const Loc& loc) const {
  element e = docs_[loc.doc].root;
  std::string_view p = loc.pointer;
  while (!p.empty()) {
    p.remove_prefix(1);  // '/'
    size_t slash = p.find('/');
    std::string token = pointer_unescape(p.substr(0, slash));
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash);
    if (e.is_object()) {
      if (as_object(e).at_key(token).get(e)) return std::nullopt;
    } else if (e.is_array()) {
      char* end = nullptr;
      unsigned long idx = std::strtoul(token.c_str(), &end, 10);
      if (token.empty() || *end || as_array(e).at(idx).get(e)) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  return e;
}

int Compiler::load_document(std::string_view text, const std::string& uri, int default_draft) {
  auto parser = std::make_unique<simdjson::dom::parser>();
  element root;
  auto err = parser->parse(text.data(), text.size()).get(root);
  int doc = static_cast<int>(docs_.size());
  if (err) {
    std::string where = doc == 0 ? name_ : uri;
    throw UsageError("schema " + where + ": not valid JSON: " + simdjson::error_message(err));
  }
  Doc d;
  d.root = root;
  d.uri = std::string(uri_without_fragment(uri));
  d.draft = default_draft;
  std::string_view meta;
  if (root.is_object() && !root["$schema"].get(meta)) {
    int dm = draft_of_meta(meta);
    if (dm) {
      d.draft = dm;
    } else {
      d.draft = 2020;
      d.vocab = kVocabAll;  // set below, once the document is registered (the meta-schema may be itself)
    }
  }
  if (doc == 0 && options_.draft) d.draft = options_.draft >= 2019 ? 2020 : 7;
  out_->documents.push_back(std::move(parser));
  docs_.push_back(d);
  by_uri_.emplace(d.uri, Loc{doc, ""});
  resource_roots_[{doc, ""}] = d.uri;
  scan(doc, root, "", d.uri, d.draft);
  if (!meta.empty() && !draft_of_meta(meta) && !(doc == 0 && options_.draft)) {
    docs_[doc].vocab = vocab_of(std::string(uri_without_fragment(meta)));
  }
  return doc;
}

unsigned Compiler::vocab_of(const std::string& meta_uri) {
  auto loc = find_uri(meta_uri);
  if (!loc) return kVocabAll;
  auto meta = element_at(*loc);
  simdjson::dom::object vocab;
  if (!meta || !meta->is_object() || (*meta)["$vocabulary"].get(vocab)) return kVocabAll;
  unsigned v = 0;
  for (auto [k, on] : vocab) {
    (void)on;
    if (k.ends_with("/vocab/applicator")) v |= kVocabApplicator;
    else if (k.ends_with("/vocab/validation")) v |= kVocabValidation;
    else if (k.ends_with("/vocab/unevaluated")) v |= kVocabUnevaluated;
    else if (k.ends_with("/vocab/format-annotation") || k.ends_with("/vocab/format-assertion")) v |= kVocabFormat;
  }
  return v;
}

void Compiler::scan(int doc, element e, const std::string& pointer, const std::string& base, int draft) {
  if (e.is_array()) return;
  simdjson::dom::object obj;
  if (e.get(obj)) return;
  std::string my_base = base;
  Loc here{doc, pointer};
  std::string_view id;
  bool ref_hides_id = draft == 7 && !obj["$ref"].error();
  if (!ref_hides_id && !obj["$id"].get(id)) {
    if (draft == 7 && !id.empty() && id[0] == '#') {
      anchors_.emplace(base + std::string(id), here);
    } else {
      std::string resolved = resolve_uri(base, id);
      std::string frag = std::string(uri_fragment(resolved));
      my_base = std::string(uri_without_fragment(resolved));
      by_uri_.emplace(my_base, here);
      resource_roots_[{doc, pointer}] = my_base;
      if (draft == 7 && !frag.empty()) anchors_.emplace(my_base + "#" + frag, here);
    }
  }
  if (draft != 7) {
    std::string_view name;
    if (!obj["$anchor"].get(name)) anchors_.emplace(my_base + "#" + std::string(name), here);
    if (!obj["$dynamicAnchor"].get(name)) {
      anchors_.emplace(my_base + "#" + std::string(name), here);
      dynamic_anchors_[my_base].emplace_back(std::string(name), here);
    }
  }
  for (auto [key, value] : obj) {
    std::string child = pointer + "/" + pointer_escape(key);
    if (key == "additionalProperties" || key == "additionalItems" || key == "unevaluatedProperties" ||
        key == "unevaluatedItems" || key == "contains" || key == "propertyNames" || key == "not" || key == "if" ||
        key == "then" || key == "else" || key == "items") {
      if (value.is_array()) {
        size_t i = 0;
        for (element item : as_array(value)) scan(doc, item, child + "/" + std::to_string(i++), my_base, draft);
      } else {
        scan(doc, value, child, my_base, draft);
      }
    } else if (key == "allOf" || key == "anyOf" || key == "oneOf" || key == "prefixItems") {
      if (!value.is_array()) continue;
      size_t i = 0;
      for (element item : as_array(value)) scan(doc, item, child + "/" + std::to_string(i++), my_base, draft);
    } else if (key == "properties" || key == "patternProperties" || key == "$defs" || key == "definitions" ||
               key == "dependentSchemas" || key == "dependencies") {
      if (!value.is_object()) continue;
      for (auto [k2, v2] : as_object(value)) scan(doc, v2, child + "/" + pointer_escape(k2), my_base, draft);
    }
  }
}

void Compiler::load_schema_dirs() {
  dirs_loaded_ = true;
  for (const std::string& dir : options_.schema_dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      if (it->path().extension() == ".json") files.push_back(it->path());
    }
    if (ec) throw UsageError("schema directory " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::string text;
      if (!read_file(f.string(), text)) throw UsageError("schema directory " + dir + ": cannot read " + f.string());
      std::string uri = "file://" + fs::absolute(f).lexically_normal().string();
      if (by_uri_.count(uri)) continue;
      load_document(text, uri, docs_.empty() ? 2020 : docs_[0].draft);
    }
  }
}

bool Compiler::try_load(const std::string& uri) {
  int draft = docs_.empty() ? 2020 : docs_[0].draft;
  std::string_view builtin = builtin_schema(uri);
  if (!builtin.empty()) {
    load_document(builtin, uri, uri.find("draft-07") != std::string::npos ? 7 : 2020);
    return by_uri_.count(uri) > 0;
  }
  if (!dirs_loaded_ && !options_.schema_dirs.empty()) {
    load_schema_dirs();
    if (by_uri_.count(uri)) return true;
  }
  std::string text;
  for (const auto& [prefix, dir] : options_.schema_map) {
    if (uri.compare(0, prefix.size(), prefix) != 0) continue;
    std::string path = dir + "/" + percent_decode(uri.substr(prefix.size()));
    if (read_file(path, text)) {
      load_document(text, uri, draft);
      return by_uri_.count(uri) > 0;
    }
  }
  if (uri.compare(0, 7, "file://") == 0) {
    std::string path = percent_decode(uri.substr(7));
    if (fs::is_regular_file(path) && read_file(path, text)) {
      load_document(text, uri, draft);
      return by_uri_.count(uri) > 0;
    }
  }
  return false;
}

std::optional<Compiler::Loc> Compiler::find_uri(const std::string& uri) {
  auto it = by_uri_.find(uri);
  if (it == by_uri_.end()) {
    if (!try_load(uri)) return std::nullopt;
    it = by_uri_.find(uri);
  }
  return it->second;
}

std::optional<Compiler::Loc> Compiler::locate(const std::string& target) {
  std::string base(uri_without_fragment(target));
  std::string frag = percent_decode(uri_fragment(target));
  auto loc = find_uri(base);
  if (!loc) return std::nullopt;
  if (frag.empty()) return loc;
  if (frag[0] == '/') {
    Loc l{loc->doc, loc->pointer + frag};
    if (!element_at(l)) return std::nullopt;
    return l;
  }
  auto a = anchors_.find(base + "#" + frag);
  if (a == anchors_.end()) return std::nullopt;
  return a->second;
}

int Compiler::resource_index(const std::string& uri) {
  auto it = resource_ids_.find(uri);
  if (it != resource_ids_.end()) return it->second;
  int id = static_cast<int>(out_->resources.size());
  out_->resources.push_back(Resource{uri, {}});
  resource_anchors_done_.push_back(false);
  resource_ids_.emplace(uri, id);
  return id;
}

void Compiler::resolve_pending() {
  while (true) {
    if (pending_next_ < pending_.size()) {
      PendingRef p = pending_[pending_next_++];
      auto loc = locate(p.target);
      if (!loc) fail(p.doc, p.pointer, "cannot resolve reference \"" + p.target + "\"");
      const Node* target = compile_at(*loc);
      p.node->is_leaf = false;
      if (!p.dynamic) {
        p.node->ref = target;
        continue;
      }
      p.node->dynamic_ref = target;
      std::string frag(uri_fragment(p.target));
      if (frag.empty() || frag[0] == '/') continue;
      // Dynamic only when the initial target itself carries a matching $dynamicAnchor.
      auto anchors = dynamic_anchors_.find(base_of(loc->doc, loc->pointer));
      if (anchors == dynamic_anchors_.end()) continue;
      for (const auto& [name, aloc] : anchors->second) {
        if (name == frag && aloc.doc == loc->doc && aloc.pointer == loc->pointer) {
          p.node->dynamic_anchor = frag;
          out_->uses_dynamic_scope = true;
        }
      }
      continue;
    }
    bool more = false;
    for (size_t r = 0; r < out_->resources.size(); r++) {
      if (resource_anchors_done_[r]) continue;
      resource_anchors_done_[r] = true;
      more = true;
      auto anchors = dynamic_anchors_.find(out_->resources[r].uri);
      if (anchors == dynamic_anchors_.end()) continue;
      for (const auto& [name, aloc] : anchors->second) {
        const Node* n = compile_at(aloc);
        out_->resources[r].dynamic_anchors.emplace_back(name, n);
      }
    }
    if (!more && pending_next_ == pending_.size()) return;
  }
}

}  // namespace sp::schema
