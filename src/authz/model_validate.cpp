// validate_model: the checks OpenFGA makes when a model is written (the API's field rules, the
// size and count limits, then its type system's validation), with messages that name the type
// and relation at fault.
//
// Two of OpenFGA's checks are graph questions that its own code answers by walking every path;
// here they are answered in time linear in the model so a hostile model cannot make validation
// slow:
//  * entrypoints: a relation must be satisfiable by some tuple. That is the least fixed point of
//    "direct restriction to a plain type or wildcard; a userset restriction / computed relation /
//    tuple-to-userset target that is satisfiable; any child of a union; every child of an
//    intersection; base and subtract of a difference", computed by propagating truth upwards
//    through an and/or graph. `define a: b` / `define b: a` fails here.
//  * cycles: within one type, a chain of computed relations (through union, intersection and
//    difference, not through direct restrictions or tuple-to-userset) must not loop back. Any
//    relation that reaches such a loop is refused, as OpenFGA refuses it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "authz/model.hpp"

namespace mcpgate::authz {
namespace {

// OpenFGA's defaults: maxAuthorizationModelSizeInBytes, the datastores' types per model, and
// the API's limits on conditions.
constexpr std::size_t kMaxModelBytes = 256 * 1024;
constexpr std::size_t kMaxTypes = 100;
constexpr std::size_t kMaxConditions = 25;
constexpr std::size_t kMaxParameters = 25;
constexpr std::size_t kMaxExpressionBytes = 512;
constexpr std::size_t kMaxTypeNameBytes = 254;
constexpr std::size_t kMaxNameBytes = 50;
// The id OpenFGA assigns (a ULID) counts towards the stored size.
constexpr std::size_t kIdBytes = 26;


std::string relation_error(const std::string& type, const std::string& relation,
                           const std::string& cause) {
  return "the definition of relation '" + relation + "' in object type '" + type +
         "' is invalid: " + cause;
}

// The API's name rule: 1..max bytes, none of ':', '#', '@' or white space.
bool valid_name(std::string_view name, std::size_t max) {
  if (name.empty() || name.size() > max) {
    return false;
  }
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == ':' || c == '#' || c == '@' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           c == '\f' || c == '\v';
  });
}

// --- Wire size of the model as a protobuf message (what OpenFGA limits). Every field number in
// the model's messages is below 16, so each tag is one byte.
std::size_t varint_size(std::size_t n) {
  std::size_t bytes = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++bytes;
  }
  return bytes;
}

std::size_t len_field(std::size_t n) { return 1 + varint_size(n) + n; }
std::size_t str_field(const std::string& s) { return s.empty() ? 0 : len_field(s.size()); }

std::size_t userset_size(const Rewrite& r) {
  switch (r.kind) {
    case Rewrite::Kind::kThis:
      return len_field(0);
    case Rewrite::Kind::kComputed:
      return len_field(str_field(r.relation));
    case Rewrite::Kind::kTupleToUserset:
      return len_field(len_field(str_field(r.tupleset)) + len_field(str_field(r.relation)));
    case Rewrite::Kind::kUnion:
    case Rewrite::Kind::kIntersection:
    case Rewrite::Kind::kDifference: {
      std::size_t inner = 0;
      for (const auto& child : r.children) {
        inner += len_field(userset_size(child));
      }
      return len_field(inner);
    }
  }
  return 0;
}

std::size_t param_type_size(const cel::Type& t) {
  std::size_t n = 2;  // type_name: tag + a one-byte enum value
  for (const auto& g : t.generic) {
    n += len_field(param_type_size(g));
  }
  return n;
}

std::size_t model_wire_size(const AuthorizationModel& model) {
  std::size_t total = len_field(model.id.empty() ? kIdBytes : model.id.size()) +
                      str_field(model.schema_version);
  for (const auto& type : model.types) {
    std::size_t td = str_field(type.name);
    std::size_t metadata = 0;
    for (const auto& rel : type.relations) {
      td += len_field(str_field(rel.name) + len_field(userset_size(rel.rewrite)));
      std::size_t refs = 0;
      for (const auto& rr : rel.directly_related) {
        refs += len_field(str_field(rr.type) + str_field(rr.relation) +
                          (rr.wildcard ? len_field(0) : 0) + str_field(rr.condition));
      }
      metadata += len_field(str_field(rel.name) + len_field(refs));
    }
    if (!type.relations.empty()) {
      td += len_field(metadata);
    }
    total += len_field(td);
  }
  for (const auto& c : model.conditions) {
    std::size_t cond = str_field(c.name) + str_field(c.expression);
    for (const auto& p : c.parameters) {
      cond += len_field(str_field(p.name) + len_field(param_type_size(p.type)));
    }
    total += len_field(str_field(c.name) + len_field(cond));
  }
  return total;
}

// --- Structure a hand-built model could get wrong (the parsers never produce these).
Status check_shape(const std::string& type, const std::string& relation, const Rewrite& r,
                   int depth) {
  if (depth > kMaxRewriteDepth) {
    return invalid_argument(relation_error(type, relation, "rewrites are nested more than " +
                                                      std::to_string(kMaxRewriteDepth) + " deep"));
  }
  switch (r.kind) {
    case Rewrite::Kind::kThis:
      return {};
    case Rewrite::Kind::kComputed:
      if (r.relation.empty()) {
        return invalid_argument(relation_error(type, relation, "a computed userset names no relation"));
      }
      return {};
    case Rewrite::Kind::kTupleToUserset:
      if (r.relation.empty() || r.tupleset.empty()) {
        return invalid_argument(relation_error(type, relation, "a tuple-to-userset names no relation"));
      }
      return {};
    case Rewrite::Kind::kUnion:
    case Rewrite::Kind::kIntersection:
      if (r.children.size() < 2) {
        return invalid_argument(relation_error(
            type, relation,
            std::string(r.kind == Rewrite::Kind::kUnion ? "a union" : "an intersection") +
                " needs at least 2 children"));
      }
      break;
    case Rewrite::Kind::kDifference:
      if (r.children.size() != 2) {
        return invalid_argument(relation_error(type, relation,
                                      "a difference needs exactly a base and a subtract"));
      }
      break;
  }
  for (const auto& child : r.children) {
    MCPGATE_TRY(check_shape(type, relation, child, depth + 1));
  }
  return {};
}

bool contains_this(const Rewrite& r) {
  if (r.kind == Rewrite::Kind::kThis) {
    return true;
  }
  return std::any_of(r.children.begin(), r.children.end(), contains_this);
}

void collect_tuplesets(const Rewrite& r, std::vector<std::string>& out) {
  if (r.kind == Rewrite::Kind::kTupleToUserset) {
    out.push_back(r.tupleset);
  }
  for (const auto& child : r.children) {
    collect_tuplesets(child, out);
  }
}

class Validator {
 public:
  explicit Validator(const AuthorizationModel& model) : model_(model) {}

  Status run() {
    MCPGATE_TRY(check_limits_and_names());
    index();
    MCPGATE_TRY(check_relations());
    MCPGATE_TRY(check_entrypoints_and_cycles());
    return check_conditions();
  }

 private:
  Status check_limits_and_names() {
    if (model_.schema_version != "1.1") {
      return invalid_argument("invalid schema version '" + model_.schema_version +
                     "': only schema 1.1 is supported");
    }
    if (model_.types.empty()) {
      return invalid_argument("the model defines no types; at least one type definition is required");
    }
    if (model_.types.size() > kMaxTypes) {
      return invalid_argument("the model defines " + std::to_string(model_.types.size()) +
                     " types; at most " + std::to_string(kMaxTypes) + " are allowed");
    }
    if (model_.conditions.size() > kMaxConditions) {
      return invalid_argument("the model defines " + std::to_string(model_.conditions.size()) +
                     " conditions; at most " + std::to_string(kMaxConditions) + " are allowed");
    }
    for (const auto& type : model_.types) {
      for (const auto& rel : type.relations) {
        MCPGATE_TRY(check_shape(type.name, rel.name, rel.rewrite, 0));
      }
    }
    // Size after shape: the size walk recurses, so the depth must be known to be bounded.
    if (const std::size_t size = model_wire_size(model_); size > kMaxModelBytes) {
      return invalid_argument("model exceeds size limit: " + std::to_string(size) + " bytes vs " +
                     std::to_string(kMaxModelBytes) + " bytes");
    }
    for (std::size_t i = 0; i < model_.types.size(); ++i) {
      const auto& type = model_.types[i];
      if (type.name.empty()) {
        return invalid_argument("the type name of a type definition cannot be an empty string");
      }
      if (type.name == "self" || type.name == "this") {
        return invalid_argument("the definition of type '" + type.name +
                       "' is invalid: self and this are reserved keywords");
      }
      if (!valid_name(type.name, kMaxTypeNameBytes)) {
        return invalid_argument("invalid type name '" + type.name + "': at most " +
                       std::to_string(kMaxTypeNameBytes) +
                       " bytes and no ':', '#', '@' or white space");
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (model_.types[j].name == type.name) {
          return invalid_argument("an authorization model cannot contain duplicate types: '" + type.name +
                         "' is defined twice");
        }
      }
      std::unordered_set<std::string_view> relation_names;
      for (const auto& rel : type.relations) {
        if (rel.name.empty()) {
          return invalid_argument("type '" + type.name + "' defines a relation with an empty string for a name");
        }
        if (rel.name == "self" || rel.name == "this") {
          return invalid_argument(relation_error(type.name, rel.name, "self and this are reserved keywords"));
        }
        if (!valid_name(rel.name, kMaxNameBytes)) {
          return invalid_argument("invalid relation name '" + rel.name + "' in type '" + type.name +
                         "': at most " + std::to_string(kMaxNameBytes) +
                         " bytes and no ':', '#', '@' or white space");
        }
        if (!relation_names.insert(rel.name).second) {
          return invalid_argument("relation '" + rel.name + "' is defined twice in type '" + type.name + "'");
        }
      }
    }
    for (std::size_t i = 0; i < model_.conditions.size(); ++i) {
      const auto& c = model_.conditions[i];
      if (!valid_name(c.name, kMaxNameBytes)) {
        return invalid_argument("invalid condition name '" + c.name + "': 1 to " +
                       std::to_string(kMaxNameBytes) + " bytes, no ':', '#', '@' or white space");
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (model_.conditions[j].name == c.name) {
          return invalid_argument("condition '" + c.name + "' is defined twice");
        }
      }
    }
    return {};
  }

  void index() {
    for (std::size_t t = 0; t < model_.types.size(); ++t) {
      types_.emplace(model_.types[t].name, t);
      auto& rels = relations_.emplace_back();
      auto& tuplesets = tuplesets_.emplace_back();
      for (std::size_t r = 0; r < model_.types[t].relations.size(); ++r) {
        rels.emplace(model_.types[t].relations[r].name, r);
        collect_tuplesets(model_.types[t].relations[r].rewrite, tuplesets);
      }
    }
  }

  const Relation* relation(const std::string& type, const std::string& name) const {
    auto t = types_.find(type);
    if (t == types_.end()) {
      return nullptr;
    }
    auto r = relations_[t->second].find(name);
    return r == relations_[t->second].end() ? nullptr
                                            : &model_.types[t->second].relations[r->second];
  }

  // Types and relations in name order, as OpenFGA reports the first problem in that order.
  std::vector<std::pair<std::size_t, std::size_t>> sorted_relations() const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (std::size_t t = 0; t < model_.types.size(); ++t) {
      for (std::size_t r = 0; r < model_.types[t].relations.size(); ++r) {
        out.emplace_back(t, r);
      }
    }
    std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
      const auto& ta = model_.types[a.first].name;
      const auto& tb = model_.types[b.first].name;
      if (ta != tb) {
        return ta < tb;
      }
      return model_.types[a.first].relations[a.second].name <
             model_.types[b.first].relations[b.second].name;
    });
    return out;
  }

  Status check_rewrite(const std::string& type, const std::string& rel, const Rewrite& r) const {
    switch (r.kind) {
      case Rewrite::Kind::kThis:
        return {};
      case Rewrite::Kind::kComputed:
        if (r.relation == rel) {
          return invalid_argument(relation_error(type, rel, "it rewrites to itself ('" + rel + "')"));
        }
        if (relation(type, r.relation) == nullptr) {
          return invalid_argument("'" + type + "#" + r.relation + "' relation is undefined (used in '" +
                         type + "#" + rel + "')");
        }
        return {};
      case Rewrite::Kind::kTupleToUserset: {
        const Relation* tupleset = relation(type, r.tupleset);
        if (tupleset == nullptr) {
          return invalid_argument("'" + type + "#" + r.tupleset + "' relation is undefined (used as the "
                         "tupleset of '" + r.relation + " from " + r.tupleset + "' in '" + type +
                         "#" + rel + "')");
        }
        if (tupleset->rewrite.kind != Rewrite::Kind::kThis) {
          return invalid_argument("the '" + type + "#" + r.tupleset +
                         "' relation is referenced in at least one tupleset and thus must be a "
                         "direct relation (only [...] type restrictions)");
        }
        for (const auto& related : tupleset->directly_related) {
          if (relation(related.type, r.relation) != nullptr) {
            return {};
          }
        }
        return invalid_argument(relation_error(
            type, rel,
            "'" + r.relation + " from " + r.tupleset + "': '" + r.relation +
                "' is not a relation of any type that '" + type + "#" + r.tupleset +
                "' may hold"));
      }
      case Rewrite::Kind::kUnion:
      case Rewrite::Kind::kIntersection:
      case Rewrite::Kind::kDifference:
        for (const auto& child : r.children) {
          MCPGATE_TRY(check_rewrite(type, rel, child));
        }
        return {};
    }
    return {};
  }

  Status check_restrictions(std::size_t t, const Relation& rel) const {
    const std::string& type = model_.types[t].name;
    const bool assignable = contains_this(rel.rewrite);
    if (assignable && rel.directly_related.empty()) {
      return invalid_argument("the assignable relation '" + rel.name + "' in object type '" + type +
                     "' must contain at least one relation type");
    }
    if (!assignable && !rel.directly_related.empty()) {
      return invalid_argument("the non-assignable relation '" + rel.name + "' in object type '" + type +
                     "' should not contain a relation type");
    }
    const auto& tuplesets = tuplesets_[t];
    const bool is_tupleset =
        std::find(tuplesets.begin(), tuplesets.end(), rel.name) != tuplesets.end();
    for (const auto& related : rel.directly_related) {
      const std::string spelled =
          related.type + (related.wildcard ? ":*" : "") +
          (related.relation.empty() ? "" : "#" + related.relation);
      const std::string where = "the relation type '" + spelled + "' on '" + rel.name +
                                "' in object type '" + type + "' is not valid: ";
      if (related.wildcard && !related.relation.empty()) {
        return invalid_argument(where + "a restriction is either a wildcard or a userset, not both");
      }
      if (types_.find(related.type) == types_.end()) {
        return invalid_argument(where + "'" + related.type + "' is an undefined object type");
      }
      if ((related.wildcard || !related.relation.empty()) && is_tupleset) {
        return invalid_argument(where + "'" + rel.name +
                       "' is used as a tupleset, so it may only hold plain objects (no wildcard "
                       "and no userset)");
      }
      if (!related.relation.empty() && relation(related.type, related.relation) == nullptr) {
        return invalid_argument(where + "'" + related.type + "#" + related.relation +
                       "' relation is undefined");
      }
      if (!related.condition.empty() && model_.find_condition(related.condition) == nullptr) {
        return invalid_argument("condition " + related.condition + " is undefined for relation " +
                       rel.name + " (in object type '" + type + "')");
      }
    }
    return {};
  }

  Status check_relations() const {
    for (const auto& [t, r] : sorted_relations()) {
      const auto& rel = model_.types[t].relations[r];
      MCPGATE_TRY(check_rewrite(model_.types[t].name, rel.name, rel.rewrite));
      MCPGATE_TRY(check_restrictions(t, rel));
    }
    return {};
  }

  // --- Entrypoints: an and/or graph over relations and rewrite nodes; a node becomes true when
  // `need` of its children are (1 for "or", all for "and").
  struct Node {
    std::size_t need = 1;
    bool value = false;
    std::vector<std::size_t> parents;
  };

  std::size_t relation_node(std::size_t t, std::size_t r) const { return relation_base_[t] + r; }

  std::size_t relation_node(const std::string& type, const std::string& name) const {
    const auto t = types_.at(type);
    return relation_node(t, relations_[t].at(name));
  }

  std::size_t add_node(std::size_t need) {
    nodes_.push_back(Node{need, false, {}});
    return nodes_.size() - 1;
  }

  std::size_t build(std::size_t t, const Relation& rel, const Rewrite& r) {
    const std::string& type = model_.types[t].name;
    switch (r.kind) {
      case Rewrite::Kind::kThis: {
        const std::size_t n = add_node(1);
        for (const auto& related : rel.directly_related) {
          if (related.relation.empty()) {
            nodes_[n].need = 0;  // a plain type or a wildcard: some tuple can satisfy it
          } else {
            nodes_[relation_node(related.type, related.relation)].parents.push_back(n);
          }
        }
        return n;
      }
      case Rewrite::Kind::kComputed: {
        const std::size_t n = add_node(1);
        nodes_[relation_node(type, r.relation)].parents.push_back(n);
        return n;
      }
      case Rewrite::Kind::kTupleToUserset: {
        const std::size_t n = add_node(1);
        for (const auto& related : relation(type, r.tupleset)->directly_related) {
          if (relation(related.type, r.relation) != nullptr) {
            nodes_[relation_node(related.type, r.relation)].parents.push_back(n);
          }
        }
        return n;
      }
      case Rewrite::Kind::kUnion:
      case Rewrite::Kind::kIntersection:
      case Rewrite::Kind::kDifference: {
        const std::size_t n =
            add_node(r.kind == Rewrite::Kind::kUnion ? 1 : r.children.size());
        for (const auto& child : r.children) {
          const std::size_t c = build(t, rel, child);
          nodes_[c].parents.push_back(n);
        }
        return n;
      }
    }
    return add_node(1);
  }

  void collect_computed(const Rewrite& r, std::vector<std::size_t>& out, std::size_t t) const {
    if (r.kind == Rewrite::Kind::kComputed) {
      out.push_back(relations_[t].at(r.relation));
      return;
    }
    if (r.kind == Rewrite::Kind::kThis || r.kind == Rewrite::Kind::kTupleToUserset) {
      return;
    }
    for (const auto& child : r.children) {
      collect_computed(child, out, t);
    }
  }

  Status check_entrypoints_and_cycles() {
    std::size_t count = 0;
    for (const auto& type : model_.types) {
      relation_base_.push_back(count);
      count += type.relations.size();
    }
    nodes_.assign(count, Node{});
    for (std::size_t t = 0; t < model_.types.size(); ++t) {
      for (std::size_t r = 0; r < model_.types[t].relations.size(); ++r) {
        const auto& rel = model_.types[t].relations[r];
        const std::size_t root = build(t, rel, rel.rewrite);
        nodes_[root].parents.push_back(relation_node(t, r));
      }
    }
    std::deque<std::size_t> ready;
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
      if (nodes_[n].need == 0) {
        nodes_[n].value = true;
        ready.push_back(n);
      }
    }
    while (!ready.empty()) {
      const std::size_t n = ready.front();
      ready.pop_front();
      for (const std::size_t p : nodes_[n].parents) {
        if (!nodes_[p].value && --nodes_[p].need == 0) {
          nodes_[p].value = true;
          ready.push_back(p);
        }
      }
    }

    // Cycles through computed relations, per type: peel relations whose computed successors are
    // all peeled; whatever cannot be peeled is on a loop or reaches one.
    std::vector<std::vector<bool>> on_cycle(model_.types.size());
    for (std::size_t t = 0; t < model_.types.size(); ++t) {
      const auto& rels = model_.types[t].relations;
      std::vector<std::vector<std::size_t>> callers(rels.size());
      std::vector<std::size_t> out_degree(rels.size(), 0);
      for (std::size_t r = 0; r < rels.size(); ++r) {
        std::vector<std::size_t> targets;
        collect_computed(rels[r].rewrite, targets, t);
        out_degree[r] = targets.size();
        for (const std::size_t target : targets) {
          callers[target].push_back(r);
        }
      }
      std::vector<std::size_t> peel;
      for (std::size_t r = 0; r < rels.size(); ++r) {
        if (out_degree[r] == 0) {
          peel.push_back(r);
        }
      }
      std::vector<bool> peeled(rels.size(), false);
      while (!peel.empty()) {
        const std::size_t r = peel.back();
        peel.pop_back();
        peeled[r] = true;
        for (const std::size_t caller : callers[r]) {
          if (--out_degree[caller] == 0) {
            peel.push_back(caller);
          }
        }
      }
      on_cycle[t].resize(rels.size());
      for (std::size_t r = 0; r < rels.size(); ++r) {
        on_cycle[t][r] = !peeled[r];
      }
    }

    for (const auto& [t, r] : sorted_relations()) {
      const auto& type = model_.types[t].name;
      const auto& rel = model_.types[t].relations[r].name;
      if (!nodes_[relation_node(t, r)].value) {
        return invalid_argument(relation_error(
            type, rel,
            "no entrypoints defined: no tuple can ever satisfy it (every path ends in a cycle, "
            "an intersection or exclusion part that cannot be satisfied, or a tupleset whose "
            "types lack the relation)"));
      }
      if (on_cycle[t][r]) {
        return invalid_argument(relation_error(type, rel,
                                      "an authorization model cannot contain a cycle (a chain "
                                      "of computed relations leads back to itself)"));
      }
    }
    return {};
  }

  static Status check_param_type(const Condition& c, const ConditionParameter& p,
                                 const cel::Type& type, int depth) {
    const bool generic = type.kind == cel::TypeKind::kList || type.kind == cel::TypeKind::kMap;
    if (depth > 8 || type.kind == cel::TypeKind::kBytes ||
        type.generic.size() != (generic ? 1U : 0U)) {
      return invalid_argument("condition '" + c.name + "': parameter '" + p.name + "' has an invalid type '" +
                     cel::type_to_dsl(p.type) + "'");
    }
    for (const auto& g : type.generic) {
      MCPGATE_TRY(check_param_type(c, p, g, depth + 1));
    }
    return {};
  }

  Status check_conditions() const {
    for (const auto& c : model_.conditions) {
      if (c.expression.empty()) {
        return invalid_argument("condition '" + c.name + "' has an empty expression");
      }
      if (c.expression.size() > kMaxExpressionBytes) {
        return invalid_argument("condition '" + c.name + "' has a " + std::to_string(c.expression.size()) +
                       "-byte expression; at most " + std::to_string(kMaxExpressionBytes) +
                       " bytes are allowed");
      }
      if (c.parameters.size() > kMaxParameters) {
        return invalid_argument("condition '" + c.name + "' declares " +
                       std::to_string(c.parameters.size()) + " parameters; at most " +
                       std::to_string(kMaxParameters) + " are allowed");
      }
      for (std::size_t i = 0; i < c.parameters.size(); ++i) {
        const auto& p = c.parameters[i];
        if (!valid_name(p.name, kMaxNameBytes)) {
          return invalid_argument("condition '" + c.name + "': invalid parameter name '" + p.name + "'");
        }
        for (std::size_t j = 0; j < i; ++j) {
          if (c.parameters[j].name == p.name) {
            return invalid_argument("condition '" + c.name + "': parameter '" + p.name +
                           "' is declared twice");
          }
        }
        MCPGATE_TRY(check_param_type(c, p, p.type, 0));
      }
    }
    return {};
  }

  const AuthorizationModel& model_;
  std::unordered_map<std::string, std::size_t> types_;
  std::vector<std::unordered_map<std::string, std::size_t>> relations_;
  std::vector<std::vector<std::string>> tuplesets_;
  std::vector<std::size_t> relation_base_;
  std::vector<Node> nodes_;
};

}  // namespace

Status validate_model(const AuthorizationModel& model) { return Validator(model).run(); }

}  // namespace mcpgate::authz
