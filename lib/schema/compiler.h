// Compiler: schema documents -> Node graph. Internal to lib/schema.
// compiler.cpp turns one schema object into a Node (keyword parsing and checks);
// refs.cpp loads documents, registers $id/$anchor/$dynamicAnchor and resolves references.
#pragma once
#include <simdjson.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schema/node.h"
#include "schema/validator.h"

namespace sp::schema {

// Vocabularies a document's meta-schema enables ($vocabulary); all by default.
enum Vocab : unsigned {
  kVocabApplicator = 1,
  kVocabValidation = 2,
  kVocabUnevaluated = 4,
  kVocabFormat = 8,
  kVocabAll = 15,
};

class Compiler {
 public:
  Compiler(const CompileOptions& options, std::string name);
  // Compiles the root schema `text`, whose own URI is `base_uri`. Throws sp::UsageError.
  std::shared_ptr<CompiledSchema> compile(std::string_view text, const std::string& base_uri);

 private:
  struct Doc {
    simdjson::dom::element root;
    std::string uri;  // retrieval URI
    int draft = 2020;
    unsigned vocab = kVocabAll;
  };
  struct Loc {
    int doc = -1;
    std::string pointer;
  };
  struct PendingRef {
    Node* node;
    std::string target;  // absolute URI with fragment
    bool dynamic;
    int doc;
    std::string pointer;  // where the $ref is, for messages
  };

  // refs.cpp
  int load_document(std::string_view text, const std::string& uri, int default_draft);
  void scan(int doc, simdjson::dom::element e, const std::string& pointer, const std::string& base, int draft);
  std::optional<Loc> find_uri(const std::string& uri_no_fragment);
  bool try_load(const std::string& uri_no_fragment);
  void load_schema_dirs();
  std::optional<Loc> locate(const std::string& target);
  std::string base_of(int doc, const std::string& pointer) const;
  void resolve_pending();
  int resource_index(const std::string& uri);
  unsigned vocab_of(const std::string& meta_uri);
  std::optional<simdjson::dom::element> element_at(const Loc& loc) const;

  // compiler.cpp
  const Node* compile_at(int doc, const std::string& pointer, simdjson::dom::element e, const std::string& base);
  const Node* compile_at(const Loc& loc);
  void compile_keywords(Node& n, int doc, const std::string& pointer, simdjson::dom::object obj,
                        const std::string& base);
  [[noreturn]] void fail(int doc, const std::string& pointer, const std::string& message) const;
  std::string location_name(int doc, const std::string& pointer) const;

  CompileOptions options_;
  std::string name_;
  std::shared_ptr<CompiledSchema> out_;
  std::vector<Doc> docs_;
  std::map<std::string, Loc> by_uri_;                        // resource URI -> its root
  std::map<std::string, Loc> anchors_;                       // "uri#name" -> schema
  std::map<std::string, std::vector<std::pair<std::string, Loc>>> dynamic_anchors_;  // resource URI -> anchors
  std::map<std::pair<int, std::string>, std::string> resource_roots_;  // (doc, pointer) -> resource URI
  std::map<std::pair<int, std::string>, Node*> memo_;
  std::map<std::string, int> resource_ids_;
  std::vector<bool> resource_anchors_done_;
  std::vector<PendingRef> pending_;  // resolved in order, so errors come in document order
  size_t pending_next_ = 0;
  bool dirs_loaded_ = false;
};

}  // namespace sp::schema
