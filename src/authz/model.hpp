#pragma once
// An OpenFGA authorization model (schema 1.1), as our engine holds it: type definitions whose
// relations are rewrite trees, the type restrictions of each relation's direct part, and named
// conditions. Read from OpenFGA's JSON (what its Write Authorization Model API takes) or from
// the DSL (`model.fga`, dsl.hpp); written back as JSON in the shape @openfga/syntax-transformer
// produces, so a model round-trips.
//
// Parsing checks syntax; validate_model() checks meaning the way OpenFGA does (undefined types
// and relations, tupleset relations that are not direct, conditions that do not exist, cycles
// that cannot terminate, ...). The engine only ever loads a validated model.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cel/cel.hpp"
#include "core/result.hpp"

namespace mcpgate::authz {

// One entry of a relation's type restrictions (`[user, user:*, group#member, user with cond]`).
struct RelatedType {
  std::string type;
  std::string relation;   // `group#member`: "member"; empty for a plain type
  bool wildcard = false;  // `user:*`
  std::string condition;  // `with cond`: the condition's name; empty for none

  friend bool operator==(const RelatedType&, const RelatedType&) = default;
};

// A relation's rewrite (OpenFGA's Userset).
struct Rewrite {
  enum class Kind {
    kThis,            // direct: tuples written for this relation, within the type restrictions
    kComputed,        // `editor`: the same object's `relation`
    kTupleToUserset,  // `viewer from parent`: for each `tupleset` tuple's object, its `relation`
    kUnion,           // `a or b`
    kIntersection,    // `a and b`
    kDifference,      // `a but not b`: children = {base, subtract}
  };
  Kind kind = Kind::kThis;
  std::string relation;           // kComputed, kTupleToUserset (the computed relation)
  std::string tupleset;           // kTupleToUserset
  std::vector<Rewrite> children;  // kUnion / kIntersection: two or more; kDifference: two

  friend bool operator==(const Rewrite&, const Rewrite&) = default;
};

struct Relation {
  std::string name;
  Rewrite rewrite;
  std::vector<RelatedType> directly_related;  // empty when the rewrite has no kThis

  friend bool operator==(const Relation&, const Relation&) = default;
};

struct TypeDefinition {
  std::string name;
  std::vector<Relation> relations;  // declaration order (JSON output keeps it)

  const Relation* find(std::string_view relation) const;
  friend bool operator==(const TypeDefinition&, const TypeDefinition&) = default;
};

struct ConditionParameter {
  std::string name;
  cel::Type type;

  friend bool operator==(const ConditionParameter&, const ConditionParameter&) = default;
};

struct Condition {
  std::string name;
  std::string expression;
  std::vector<ConditionParameter> parameters;  // declaration order

  friend bool operator==(const Condition&, const Condition&) = default;
};

// Rewrites nest once per JSON level; a bound keeps a hostile model from exhausting the stack in
// the reader and in every later walk over the tree (validation, the engine). DSL models stay well
// below it.
inline constexpr int kMaxRewriteDepth = 64;

struct AuthorizationModel {
  std::string id;  // assigned when stored (ULID, as OpenFGA); empty for a model not yet written
  std::string schema_version = "1.1";
  std::vector<TypeDefinition> types;
  std::vector<Condition> conditions;  // declaration order

  const TypeDefinition* find_type(std::string_view type) const;
  const Condition* find_condition(std::string_view name) const;
  friend bool operator==(const AuthorizationModel&, const AuthorizationModel&) = default;
};

// OpenFGA JSON (`{"schema_version":"1.1","type_definitions":[...],"conditions":{...}}`).
// Structural errors (wrong JSON types, unknown rewrite keys) are kInvalidArgument with a JSON
// path in the message. Does not validate meaning: call validate_model().
Result<AuthorizationModel> model_from_json(const nlohmann::json& json);
nlohmann::json model_to_json(const AuthorizationModel& model);

// Semantic validation as OpenFGA does it (kInvalidArgument naming the type/relation at fault).
Status validate_model(const AuthorizationModel& model);

}  // namespace mcpgate::authz
