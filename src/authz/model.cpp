// AuthorizationModel <-> OpenFGA JSON. The reader takes what OpenFGA's API takes (protojson:
// both the declared snake_case names and lowerCamelCase; `metadata` may be null or absent); the
// writer produces exactly the shape @openfga/syntax-transformer produces from the DSL. Every
// access to the JSON is checked first, so nothing here throws.

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "authz/model.hpp"

namespace mcpgate::authz {

const Relation* TypeDefinition::find(std::string_view relation) const {
  for (const auto& r : relations) {
    if (r.name == relation) {
      return &r;
    }
  }
  return nullptr;
}

const TypeDefinition* AuthorizationModel::find_type(std::string_view type) const {
  for (const auto& t : types) {
    if (t.name == type) {
      return &t;
    }
  }
  return nullptr;
}

const Condition* AuthorizationModel::find_condition(std::string_view name) const {
  for (const auto& c : conditions) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

namespace {

using Json = nlohmann::json;


Error json_error(const std::string& path, const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, path + ": " + message);
}

// protojson accepts a field under its JSON name and under its proto name.
const Json* field(const Json& object, std::string_view snake, std::string_view camel = {}) {
  auto it = object.find(snake);
  if (it != object.end()) {
    return &*it;
  }
  if (!camel.empty()) {
    it = object.find(camel);
    if (it != object.end()) {
      return &*it;
    }
  }
  return nullptr;
}

// A string field; absent and null read as empty (proto3 defaults).
Result<std::string> string_field(const Json& object, std::string_view name,
                                 const std::string& path, std::string_view camel = {}) {
  const Json* value = field(object, name, camel);
  if (value == nullptr || value->is_null()) {
    return std::string();
  }
  if (!value->is_string()) {
    return json_error(path + "." + std::string(name), "must be a string");
  }
  return value->get_ref<const std::string&>();
}

// An object field that may be absent or null (returns nullptr then).
Result<const Json*> object_field(const Json& object, std::string_view name, const std::string& path,
                                 std::string_view camel = {}) {
  const Json* value = field(object, name, camel);
  if (value == nullptr || value->is_null()) {
    return static_cast<const Json*>(nullptr);
  }
  if (!value->is_object()) {
    return json_error(path + "." + std::string(name), "must be an object");
  }
  return value;
}

Result<const Json*> array_field(const Json& object, std::string_view name, const std::string& path,
                                std::string_view camel = {}) {
  const Json* value = field(object, name, camel);
  if (value == nullptr || value->is_null()) {
    return static_cast<const Json*>(nullptr);
  }
  if (!value->is_array()) {
    return json_error(path + "." + std::string(name), "must be an array");
  }
  return value;
}

// ObjectRelation ({"object": "", "relation": "x"}): only the relation means anything in a model.
Result<std::string> object_relation(const Json& json, const std::string& path) {
  if (!json.is_object()) {
    return json_error(path, "must be an object with a 'relation'");
  }
  MCPGATE_ASSIGN_OR_RETURN(std::string relation, string_field(json, "relation", path));
  if (relation.empty()) {
    return json_error(path, "needs a non-empty 'relation'");
  }
  return relation;
}

Result<Rewrite> rewrite_from_json(const Json& json, const std::string& path, int depth) {
  if (depth > kMaxRewriteDepth) {
    return json_error(path, "rewrites are nested more than " + std::to_string(kMaxRewriteDepth) +
                                " deep");
  }
  if (!json.is_object()) {
    return json_error(path, "a userset rewrite must be an object");
  }
  // A Userset is a oneof: exactly one of these keys.
  static constexpr std::string_view kKeys[] = {"this",         "computedUserset",
                                               "computed_userset", "tupleToUserset",
                                               "tuple_to_userset", "union",
                                               "intersection", "difference"};
  std::string_view key;
  for (const auto& [name, value] : json.items()) {
    bool known = false;
    for (auto k : kKeys) {
      known = known || k == name;
    }
    if (!known) {
      return json_error(path, "unknown userset rewrite '" + name +
                                  "' (expected this, computedUserset, tupleToUserset, union, "
                                  "intersection or difference)");
    }
    if (value.is_null()) {
      continue;
    }
    if (!key.empty()) {
      return json_error(path, "a userset rewrite must have exactly one of this, computedUserset, "
                              "tupleToUserset, union, intersection, difference");
    }
    key = *std::find(std::begin(kKeys), std::end(kKeys), name);
  }
  if (key.empty()) {
    return json_error(path, "empty userset rewrite");
  }
  const Json& value = json.at(std::string(key));
  const std::string at = path + "." + std::string(key);
  Rewrite rewrite;
  if (key == "this") {
    if (!value.is_object()) {
      return json_error(at, "must be an object ({})");
    }
    rewrite.kind = Rewrite::Kind::kThis;
  } else if (key == "computedUserset" || key == "computed_userset") {
    rewrite.kind = Rewrite::Kind::kComputed;
    MCPGATE_ASSIGN_OR_RETURN(rewrite.relation, object_relation(value, at));
  } else if (key == "tupleToUserset" || key == "tuple_to_userset") {
    if (!value.is_object()) {
      return json_error(at, "must be an object");
    }
    rewrite.kind = Rewrite::Kind::kTupleToUserset;
    const Json* tupleset = field(value, "tupleset");
    const Json* computed = field(value, "computedUserset", "computed_userset");
    if (tupleset == nullptr || computed == nullptr) {
      return json_error(at, "needs both 'tupleset' and 'computedUserset'");
    }
    MCPGATE_ASSIGN_OR_RETURN(rewrite.tupleset, object_relation(*tupleset, at + ".tupleset"));
    MCPGATE_ASSIGN_OR_RETURN(rewrite.relation,
                             object_relation(*computed, at + ".computedUserset"));
  } else if (key == "union" || key == "intersection") {
    rewrite.kind = key == "union" ? Rewrite::Kind::kUnion : Rewrite::Kind::kIntersection;
    if (!value.is_object()) {
      return json_error(at, "must be an object with a 'child' array");
    }
    MCPGATE_ASSIGN_OR_RETURN(const Json* children, array_field(value, "child", at));
    if (children == nullptr || children->empty()) {
      return json_error(at + ".child", "needs at least one child");
    }
    for (std::size_t i = 0; i < children->size(); ++i) {
      MCPGATE_ASSIGN_OR_RETURN(
          Rewrite child,
          rewrite_from_json((*children)[i], at + ".child[" + std::to_string(i) + "]", depth + 1));
      rewrite.children.push_back(std::move(child));
    }
  } else {
    rewrite.kind = Rewrite::Kind::kDifference;
    if (!value.is_object()) {
      return json_error(at, "must be an object with 'base' and 'subtract'");
    }
    const Json* base = field(value, "base");
    const Json* subtract = field(value, "subtract");
    if (base == nullptr || base->is_null() || subtract == nullptr || subtract->is_null()) {
      return json_error(at, "needs both 'base' and 'subtract'");
    }
    MCPGATE_ASSIGN_OR_RETURN(Rewrite b, rewrite_from_json(*base, at + ".base", depth + 1));
    MCPGATE_ASSIGN_OR_RETURN(Rewrite s, rewrite_from_json(*subtract, at + ".subtract", depth + 1));
    rewrite.children.push_back(std::move(b));
    rewrite.children.push_back(std::move(s));
  }
  return rewrite;
}

Result<RelatedType> related_type_from_json(const Json& json, const std::string& path) {
  if (!json.is_object()) {
    return json_error(path, "a directly related user type must be an object");
  }
  RelatedType related;
  MCPGATE_ASSIGN_OR_RETURN(related.type, string_field(json, "type", path));
  if (related.type.empty()) {
    return json_error(path, "needs a non-empty 'type'");
  }
  MCPGATE_ASSIGN_OR_RETURN(related.relation, string_field(json, "relation", path));
  const Json* wildcard = field(json, "wildcard");
  if (wildcard != nullptr && !wildcard->is_null()) {
    if (!wildcard->is_object()) {
      return json_error(path + ".wildcard", "must be an object ({})");
    }
    related.wildcard = true;
  }
  if (related.wildcard && !related.relation.empty()) {
    return json_error(path, "'relation' and 'wildcard' are mutually exclusive");
  }
  MCPGATE_ASSIGN_OR_RETURN(related.condition, string_field(json, "condition", path));
  return related;
}

Result<TypeDefinition> type_from_json(const Json& json, const std::string& path) {
  if (!json.is_object()) {
    return json_error(path, "a type definition must be an object");
  }
  TypeDefinition type;
  MCPGATE_ASSIGN_OR_RETURN(type.name, string_field(json, "type", path));
  MCPGATE_ASSIGN_OR_RETURN(const Json* relations, object_field(json, "relations", path));
  MCPGATE_ASSIGN_OR_RETURN(const Json* metadata, object_field(json, "metadata", path));
  const Json* metadata_relations = nullptr;
  if (metadata != nullptr) {
    MCPGATE_ASSIGN_OR_RETURN(metadata_relations,
                             object_field(*metadata, "relations", path + ".metadata"));
  }
  if (relations == nullptr) {
    return type;
  }
  for (const auto& [name, value] : relations->items()) {
    const std::string at = path + ".relations." + name;
    Relation relation;
    relation.name = name;
    MCPGATE_ASSIGN_OR_RETURN(relation.rewrite, rewrite_from_json(value, at, 0));
    if (metadata_relations != nullptr) {
      const std::string meta_at = path + ".metadata.relations." + name;
      MCPGATE_ASSIGN_OR_RETURN(const Json* meta,
                               object_field(*metadata_relations, name, path + ".metadata.relations"));
      if (meta != nullptr) {
        MCPGATE_ASSIGN_OR_RETURN(
            const Json* related,
            array_field(*meta, "directly_related_user_types", meta_at, "directlyRelatedUserTypes"));
        if (related != nullptr) {
          for (std::size_t i = 0; i < related->size(); ++i) {
            MCPGATE_ASSIGN_OR_RETURN(
                RelatedType r,
                related_type_from_json((*related)[i], meta_at + ".directly_related_user_types[" +
                                                          std::to_string(i) + "]"));
            relation.directly_related.push_back(std::move(r));
          }
        }
      }
    }
    type.relations.push_back(std::move(relation));
  }
  return type;
}

Result<cel::Type> parameter_type_from_json(const Json& json, const std::string& path, int depth) {
  if (depth > 8) {
    return json_error(path, "parameter types are nested too deeply");
  }
  if (!json.is_object()) {
    return json_error(path, "a parameter type must be an object");
  }
  // cel::type_from_json reads the proto names; accept the camelCase spelling too.
  Json normal = Json::object();
  if (const Json* name = field(json, "type_name", "typeName")) {
    if (!name->is_string()) {
      return json_error(path + ".type_name", "must be a string");
    }
    normal["type_name"] = *name;
  }
  if (const Json* generics = field(json, "generic_types", "genericTypes");
      generics != nullptr && !generics->is_null()) {
    if (!generics->is_array()) {
      return json_error(path + ".generic_types", "must be an array");
    }
    Json list = Json::array();
    for (std::size_t i = 0; i < generics->size(); ++i) {
      MCPGATE_ASSIGN_OR_RETURN(
          cel::Type element,
          parameter_type_from_json((*generics)[i],
                                   path + ".generic_types[" + std::to_string(i) + "]", depth + 1));
      list.push_back(cel::type_to_json(element));
    }
    normal["generic_types"] = std::move(list);
  }
  auto type = cel::type_from_json(normal);
  if (!type) {
    return json_error(path, type.error().message);
  }
  return std::move(type).value();
}

Result<Condition> condition_from_json(const std::string& key, const Json& json,
                                      const std::string& path) {
  if (!json.is_object()) {
    return json_error(path, "a condition must be an object");
  }
  Condition condition;
  MCPGATE_ASSIGN_OR_RETURN(condition.name, string_field(json, "name", path));
  if (condition.name != key) {
    return json_error(path, "condition key '" + key + "' does not match condition name '" +
                                condition.name + "'");
  }
  MCPGATE_ASSIGN_OR_RETURN(condition.expression, string_field(json, "expression", path));
  MCPGATE_ASSIGN_OR_RETURN(const Json* parameters, object_field(json, "parameters", path));
  if (parameters != nullptr) {
    for (const auto& [name, value] : parameters->items()) {
      ConditionParameter param;
      param.name = name;
      MCPGATE_ASSIGN_OR_RETURN(param.type,
                               parameter_type_from_json(value, path + ".parameters." + name, 0));
      condition.parameters.push_back(std::move(param));
    }
  }
  return condition;
}

Json rewrite_to_json(const Rewrite& rewrite) {
  switch (rewrite.kind) {
    case Rewrite::Kind::kThis:
      return Json{{"this", Json::object()}};
    case Rewrite::Kind::kComputed:
      return Json{{"computedUserset", Json{{"relation", rewrite.relation}}}};
    case Rewrite::Kind::kTupleToUserset:
      return Json{{"tupleToUserset", Json{{"tupleset", Json{{"relation", rewrite.tupleset}}},
                                          {"computedUserset", Json{{"relation", rewrite.relation}}}}}};
    case Rewrite::Kind::kUnion:
    case Rewrite::Kind::kIntersection: {
      Json children = Json::array();
      for (const auto& child : rewrite.children) {
        children.push_back(rewrite_to_json(child));
      }
      return Json{{rewrite.kind == Rewrite::Kind::kUnion ? "union" : "intersection",
                   Json{{"child", std::move(children)}}}};
    }
    case Rewrite::Kind::kDifference: {
      Json difference = Json::object();
      if (!rewrite.children.empty()) {
        difference["base"] = rewrite_to_json(rewrite.children[0]);
      }
      if (rewrite.children.size() > 1) {
        difference["subtract"] = rewrite_to_json(rewrite.children[1]);
      }
      return Json{{"difference", std::move(difference)}};
    }
  }
  return Json::object();
}

}  // namespace

Result<AuthorizationModel> model_from_json(const nlohmann::json& json) {
  if (!json.is_object()) {
    return json_error("$", "an authorization model must be a JSON object");
  }
  AuthorizationModel model;
  MCPGATE_ASSIGN_OR_RETURN(model.id, string_field(json, "id", "$"));
  MCPGATE_ASSIGN_OR_RETURN(std::string version,
                           string_field(json, "schema_version", "$", "schemaVersion"));
  // OpenFGA fills in 1.1 when a write request has no schema version.
  model.schema_version = version.empty() ? "1.1" : version;
  MCPGATE_ASSIGN_OR_RETURN(const Json* types,
                           array_field(json, "type_definitions", "$", "typeDefinitions"));
  if (types != nullptr) {
    for (std::size_t i = 0; i < types->size(); ++i) {
      MCPGATE_ASSIGN_OR_RETURN(
          TypeDefinition type,
          type_from_json((*types)[i], "type_definitions[" + std::to_string(i) + "]"));
      model.types.push_back(std::move(type));
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(const Json* conditions, object_field(json, "conditions", "$"));
  if (conditions != nullptr) {
    for (const auto& [name, value] : conditions->items()) {
      MCPGATE_ASSIGN_OR_RETURN(Condition condition,
                               condition_from_json(name, value, "conditions." + name));
      model.conditions.push_back(std::move(condition));
    }
  }
  return model;
}

nlohmann::json model_to_json(const AuthorizationModel& model) {
  Json out = Json::object();
  if (!model.id.empty()) {
    out["id"] = model.id;
  }
  out["schema_version"] = model.schema_version;
  // The transformer leaves out an empty type list, writes `"metadata": null` for a type without
  // relations, and gives every relation a metadata entry (an empty list when not assignable).
  if (!model.types.empty()) {
    Json types = Json::array();
    for (const auto& type : model.types) {
      Json relations = Json::object();
      Json metadata_relations = Json::object();
      for (const auto& relation : type.relations) {
        relations[relation.name] = rewrite_to_json(relation.rewrite);
        Json related = Json::array();
        for (const auto& r : relation.directly_related) {
          Json entry{{"type", r.type}};
          if (!r.relation.empty()) {
            entry["relation"] = r.relation;
          }
          if (r.wildcard) {
            entry["wildcard"] = Json::object();
          }
          if (!r.condition.empty()) {
            entry["condition"] = r.condition;
          }
          related.push_back(std::move(entry));
        }
        metadata_relations[relation.name] = Json{{"directly_related_user_types", std::move(related)}};
      }
      Json metadata = type.relations.empty() ? Json(nullptr)
                                             : Json{{"relations", std::move(metadata_relations)}};
      types.push_back(Json{{"type", type.name},
                           {"relations", std::move(relations)},
                           {"metadata", std::move(metadata)}});
    }
    out["type_definitions"] = std::move(types);
  }
  if (!model.conditions.empty()) {
    Json conditions = Json::object();
    for (const auto& condition : model.conditions) {
      Json parameters = Json::object();
      for (const auto& param : condition.parameters) {
        parameters[param.name] = cel::type_to_json(param.type);
      }
      conditions[condition.name] = Json{{"name", condition.name},
                                        {"expression", condition.expression},
                                        {"parameters", std::move(parameters)}};
    }
    out["conditions"] = std::move(conditions);
  }
  return out;
}

}  // namespace mcpgate::authz
