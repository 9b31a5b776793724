#include "authz/model.hpp"

#include <gtest/gtest.h>

#include <string>

#include "authz/dsl.hpp"

namespace mcpgate::authz {
namespace {

using nlohmann::json;

AuthorizationModel from_dsl(const std::string& text) {
  auto model = parse_dsl(text);
  EXPECT_TRUE(model.ok()) << model.error().message << "\n" << text;
  return model.ok() ? std::move(model).value() : AuthorizationModel{};
}

std::string json_error(const json& j) {
  auto model = model_from_json(j);
  EXPECT_FALSE(model.ok()) << j.dump();
  return model.ok() ? std::string() : model.error().message;
}

// validate_model's message for a DSL model ("" when valid).
std::string invalid_because(const std::string& text) {
  const auto valid = validate_model(from_dsl(text));
  if (!valid.ok()) {
    EXPECT_EQ(valid.error().code, ErrorCode::kInvalidArgument);
  }
  return valid.ok() ? std::string() : valid.error().message;
}

std::string with_header(const std::string& body) { return "model\n  schema 1.1\n" + body; }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The example of ../shared/docs/FGA.md §2.1, as the transformer writes it.
const char* const kDocModel = R"({
  "schema_version": "1.1",
  "type_definitions": [
    {"type": "user", "relations": {}, "metadata": null},
    {"type": "group", "relations": {"member": {"this": {}}},
     "metadata": {"relations": {"member": {"directly_related_user_types": [{"type": "user"}]}}}},
    {"type": "document",
     "relations": {
       "parent": {"this": {}},
       "editor": {"this": {}},
       "viewer": {"union": {"child": [
         {"this": {}},
         {"computedUserset": {"relation": "editor"}},
         {"tupleToUserset": {"tupleset": {"relation": "parent"},
                             "computedUserset": {"relation": "viewer"}}}]}},
       "blocked": {"this": {}},
       "can_edit": {"difference": {
         "base": {"intersection": {"child": [{"computedUserset": {"relation": "editor"}},
                                             {"computedUserset": {"relation": "viewer"}}]}},
         "subtract": {"computedUserset": {"relation": "blocked"}}}}},
     "metadata": {"relations": {
       "parent": {"directly_related_user_types": [{"type": "document"}]},
       "editor": {"directly_related_user_types": [{"type": "user"}]},
       "viewer": {"directly_related_user_types": [
         {"type": "user"}, {"type": "user", "wildcard": {}},
         {"type": "group", "relation": "member"}, {"type": "user", "condition": "cond"}]},
       "blocked": {"directly_related_user_types": [{"type": "user"}]},
       "can_edit": {"directly_related_user_types": []}}}}],
  "conditions": {"cond": {"name": "cond", "expression": "x < 100",
                          "parameters": {"x": {"type_name": "TYPE_NAME_INT"},
                                         "l": {"type_name": "TYPE_NAME_LIST",
                                               "generic_types": [{"type_name": "TYPE_NAME_STRING"}]}}}}
})";

TEST(ModelJsonTest, ReadsAndWritesTheTransformerShape) {
  const json in = json::parse(kDocModel);
  const auto model = model_from_json(in);
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model_to_json(*model), in);
  EXPECT_TRUE(validate_model(*model).ok()) << validate_model(*model).error().message;

  const auto* doc = model->find_type("document");
  ASSERT_NE(doc, nullptr);
  const auto* viewer = doc->find("viewer");
  ASSERT_NE(viewer, nullptr);
  EXPECT_EQ(viewer->rewrite.kind, Rewrite::Kind::kUnion);
  ASSERT_EQ(viewer->rewrite.children.size(), 3U);
  EXPECT_EQ(viewer->rewrite.children[2].kind, Rewrite::Kind::kTupleToUserset);
  EXPECT_EQ(viewer->rewrite.children[2].tupleset, "parent");
  EXPECT_EQ(viewer->rewrite.children[2].relation, "viewer");
  ASSERT_EQ(viewer->directly_related.size(), 4U);
  EXPECT_TRUE(viewer->directly_related[1].wildcard);
  EXPECT_EQ(viewer->directly_related[2].relation, "member");
  EXPECT_EQ(viewer->directly_related[3].condition, "cond");
  EXPECT_EQ(doc->find("nope"), nullptr);
  EXPECT_EQ(model->find_type("nope"), nullptr);
  ASSERT_NE(model->find_condition("cond"), nullptr);
  EXPECT_EQ(model->find_condition("cond")->parameters.size(), 2U);
  EXPECT_EQ(model->find_condition("nope"), nullptr);
}

TEST(ModelJsonTest, EqualsTheDslModel) {
  const auto dsl = from_dsl(with_header(
      "type user\ntype group\n  relations\n    define member: [user]\ntype document\n  relations\n"
      "    define parent: [document]\n    define editor: [user]\n"
      "    define viewer: [user, user:*, group#member, user with cond] or editor or viewer from "
      "parent\n    define blocked: [user]\n    define can_edit: (editor and viewer) but not blocked\n"
      "condition cond(x: int, l: list<string>) {\n  x < 100\n}\n"));
  EXPECT_EQ(model_to_json(dsl), json::parse(kDocModel));
}

TEST(ModelJsonTest, AcceptsProtoJsonSpellingsAndOmissions) {
  const json in = json::parse(R"({
    "id": "01G5JAVJ41T49E9TT3SKVS7X1J",
    "schemaVersion": "1.1",
    "typeDefinitions": [
      {"type": "user"},
      {"type": "doc",
       "relations": {"owner": {"this": {}},
                     "parent": {"this": {}},
                     "viewer": {"tuple_to_userset": {"tupleset": {"object": "", "relation": "parent"},
                                                     "computed_userset": {"object": "", "relation": "owner"}}},
                     "editor": {"computed_userset": {"relation": "owner"}}},
       "metadata": {"relations": {"owner": {"directlyRelatedUserTypes": [{"type": "user"}],
                                            "module": "", "source_info": null},
                                  "parent": {"directly_related_user_types": [{"type": "doc"}]}},
                    "module": ""}}],
    "conditions": {"c": {"name": "c", "expression": "x",
                         "parameters": {"x": {"typeName": "TYPE_NAME_BOOL"}}}}
  })");
  const auto model = model_from_json(in);
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->id, "01G5JAVJ41T49E9TT3SKVS7X1J");
  EXPECT_EQ(model->schema_version, "1.1");
  ASSERT_EQ(model->types.size(), 2U);
  EXPECT_EQ(model->types[1].find("viewer")->rewrite.kind, Rewrite::Kind::kTupleToUserset);
  EXPECT_EQ(model->types[1].find("owner")->directly_related.size(), 1U);
  EXPECT_TRUE(model->types[1].find("editor")->directly_related.empty());
  EXPECT_EQ(model->conditions[0].parameters[0].type.kind, cel::TypeKind::kBool);
  EXPECT_TRUE(validate_model(*model).ok()) << validate_model(*model).error().message;
  const json out = model_to_json(*model);
  EXPECT_EQ(out["id"], "01G5JAVJ41T49E9TT3SKVS7X1J");
  EXPECT_EQ(out["type_definitions"][0]["metadata"], nullptr);

  // No schema version: OpenFGA assumes 1.1.
  const auto bare = model_from_json(json::parse(R"({"type_definitions": [{"type": "user"}]})"));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->schema_version, "1.1");
}

TEST(ModelJsonTest, StructuralErrorsNameTheJsonPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([])", "$: an authorization model must be a JSON object"},
      {R"({"schema_version": 11})", "$.schema_version: must be a string"},
      {R"({"type_definitions": {}})", "$.type_definitions: must be an array"},
      {R"({"type_definitions": [1]})", "type_definitions[0]: a type definition must be an object"},
      {R"({"type_definitions": [{"type": 1}]})", "type_definitions[0].type: must be a string"},
      {R"({"type_definitions": [{"type": "d", "relations": []}]})",
       "type_definitions[0].relations: must be an object"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"thus": {}}}}]})",
       "type_definitions[0].relations.r: unknown userset rewrite 'thus'"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {}}}]})",
       "type_definitions[0].relations.r: empty userset rewrite"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"this": {}, "computedUserset": {"relation": "x"}}}}]})",
       "type_definitions[0].relations.r: a userset rewrite must have exactly one of"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"this": []}}}]})",
       "type_definitions[0].relations.r.this: must be an object"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"computedUserset": {"relation": ""}}}}]})",
       "type_definitions[0].relations.r.computedUserset: needs a non-empty 'relation'"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"tupleToUserset": {"tupleset": {"relation": "p"}}}}}]})",
       "type_definitions[0].relations.r.tupleToUserset: needs both"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"union": {"child": []}}}}]})",
       "type_definitions[0].relations.r.union.child: needs at least one child"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"union": {"child": [{"this": {}}, 7]}}}}]})",
       "type_definitions[0].relations.r.union.child[1]: a userset rewrite must be an object"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"difference": {"base": {"this": {}}}}}}]})",
       "type_definitions[0].relations.r.difference: needs both 'base' and 'subtract'"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"this": {}}}, "metadata": {"relations": {"r": {"directly_related_user_types": [{"type": "u", "relation": "m", "wildcard": {}}]}}}}]})",
       "type_definitions[0].metadata.relations.r.directly_related_user_types[0]: 'relation' and "
       "'wildcard' are mutually exclusive"},
      {R"({"type_definitions": [{"type": "d", "relations": {"r": {"this": {}}}, "metadata": {"relations": {"r": {"directly_related_user_types": [{"relation": "m"}]}}}}]})",
       "type_definitions[0].metadata.relations.r.directly_related_user_types[0]: needs a non-empty 'type'"},
      {R"({"conditions": {"c": {"name": "d", "expression": "x"}}})",
       "conditions.c: condition key 'c' does not match condition name 'd'"},
      {R"({"conditions": {"c": {"name": "c", "expression": "x", "parameters": {"x": {"type_name": "TYPE_NAME_NOPE"}}}}})",
       "conditions.c.parameters.x: unknown condition parameter type 'TYPE_NAME_NOPE'"},
      {R"({"conditions": {"c": {"name": "c", "expression": "x", "parameters": {"x": {"type_name": "TYPE_NAME_LIST"}}}}})",
       "conditions.c.parameters.x: condition parameter type 'TYPE_NAME_LIST' requires 1 generic"},
  };
  for (const auto& [text, message] : cases) {
    const std::string error = json_error(json::parse(text));
    EXPECT_EQ(error.rfind(message, 0), 0U) << "got: " << error << "\nfor: " << text;
  }
}

TEST(ModelJsonTest, DeeplyNestedRewritesAreRefused) {
  // Built as text: copying a json value this deep would itself recurse once per level.
  std::string rewrite = R"({"this": {}})";
  std::string text;
  for (int i = 0; i < 10000; ++i) {
    text += R"({"union": {"child": [)";
  }
  text += rewrite;
  for (int i = 0; i < 10000; ++i) {
    text += "]}}";
  }
  const json model = json::parse(R"({"schema_version": "1.1", "type_definitions": [{"type": "d", )"
                                 R"("relations": {"r": )" + text + "}}]}");
  EXPECT_TRUE(contains(json_error(model), "nested more than 64 deep"));
}

// --- validate_model: one case per OpenFGA rule.

TEST(ValidateModelTest, AcceptsTheCalendarModelOfTheDesign) {
  EXPECT_EQ(invalid_because(with_header(R"(type user
type group
  relations
    define member: [user]
type client
type mcp_server
  relations
    define admin: [user]
    define user_access: [user, group#member] or admin
    define client_access: [client]
type tool
  relations
    define server: [mcp_server]
    define invoker: [user, group#member] or user_access from server
    define agent: [client, client with args_within] or client_access from server
    define arg_denied: [user:* with too_many_results]
    define blocked: [user, client]
    define can_invoke: invoker but not (blocked or arg_denied)
    define can_be_used_by_agent: agent but not blocked
condition args_within(arg_calendar_id: string, allowed_calendars: list<string>) {
  arg_calendar_id in allowed_calendars
}
condition too_many_results(arg_max_results: int, limit: int) {
  arg_max_results > limit
}
)")),
            "");
}

TEST(ValidateModelTest, RecursionThroughUsersetsAndTuplesetsIsAllowed) {
  EXPECT_EQ(invalid_because(with_header(
                "type user\ntype document\n  relations\n    define editor: [user, document#viewer]\n"
                "    define viewer: [document#editor] or editor\n"
                "type folder\n  relations\n    define parent: [folder]\n"
                "    define viewer: [user] or viewer from parent\n")),
            "");
}

TEST(ValidateModelTest, RefusesSchemaVersionsOtherThan11) {
  EXPECT_TRUE(contains(invalid_because("model\n  schema 1.0\ntype user\n"), "invalid schema version '1.0'"));
  EXPECT_TRUE(contains(invalid_because("model\n  schema 1.2\ntype user\n"), "only schema 1.1"));
}

TEST(ValidateModelTest, RefusesModelsWithoutTypes) {
  EXPECT_TRUE(contains(invalid_because("model\n  schema 1.1\n"), "defines no types"));
}

TEST(ValidateModelTest, RefusesDuplicateTypes) {
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype user\n")),
                       "cannot contain duplicate types: 'user'"));
}

TEST(ValidateModelTest, RefusesReservedAndMalformedNames) {
  EXPECT_TRUE(contains(invalid_because(with_header("type self\n")), "self and this are reserved"));
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n    define this: [user]\n")),
                       "relation 'this' in object type 'doc'"));
  AuthorizationModel m;
  m.types.push_back(TypeDefinition{"bad:type", {}});
  EXPECT_TRUE(contains(validate_model(m).error().message, "invalid type name 'bad:type'"));
  m.types[0].name = "";
  EXPECT_TRUE(contains(validate_model(m).error().message, "cannot be an empty string"));
  m.types[0].name = "doc";
  Relation r;
  r.name = std::string(51, 'r');
  r.directly_related.push_back(RelatedType{"doc", "", false, ""});
  m.types[0].relations.push_back(r);
  EXPECT_TRUE(contains(validate_model(m).error().message, "invalid relation name"));
  m.types[0].relations[0].name = "r";
  m.types[0].relations.push_back(m.types[0].relations[0]);
  EXPECT_TRUE(contains(validate_model(m).error().message, "relation 'r' is defined twice in type 'doc'"));
}

TEST(ValidateModelTest, RefusesUndefinedRelationsInRewrites) {
  EXPECT_EQ(invalid_because(with_header("type user\ntype doc\n  relations\n    define a: [user] or b\n")),
            "'doc#b' relation is undefined (used in 'doc#a')");
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n"
                                                   "    define a: [user] or b from parent\n")),
                       "'doc#parent' relation is undefined"));
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n    define a: a\n")),
                       "relation 'a' in object type 'doc' is invalid: it rewrites to itself"));
}

TEST(ValidateModelTest, TuplesetsMustBeDirectAndHoldTheComputedRelation) {
  EXPECT_TRUE(contains(
      invalid_because(with_header("type user\ntype folder\n  relations\n    define viewer: [user]\n"
                                  "type doc\n  relations\n    define owner: [folder]\n"
                                  "    define parent: [folder] or owner\n"
                                  "    define viewer: viewer from parent\n")),
      "'doc#parent' relation is referenced in at least one tupleset and thus must be a direct"));
  EXPECT_TRUE(contains(
      invalid_because(with_header("type user\ntype folder\n  relations\n    define viewer: [user]\n"
                                  "type doc\n  relations\n    define parent: [folder]\n"
                                  "    define editor: owner from parent\n")),
      "'owner' is not a relation of any type that 'doc#parent' may hold"));
  EXPECT_TRUE(contains(
      invalid_because(with_header("type user\ntype folder\n  relations\n    define viewer: [user]\n"
                                  "type doc\n  relations\n    define parent: [folder, folder#viewer]\n"
                                  "    define viewer: viewer from parent\n")),
      "'parent' is used as a tupleset, so it may only hold plain objects"));
  EXPECT_TRUE(contains(
      invalid_because(with_header("type user\ntype folder\n  relations\n    define viewer: [user]\n"
                                  "type doc\n  relations\n    define parent: [folder, folder:*]\n"
                                  "    define viewer: viewer from parent\n")),
      "the relation type 'folder:*' on 'parent' in object type 'doc' is not valid"));
}

TEST(ValidateModelTest, TypeRestrictionsMustNameExistingTypesRelationsAndConditions) {
  EXPECT_EQ(invalid_because(with_header("type doc\n  relations\n    define a: [user]\n")),
            "the relation type 'user' on 'a' in object type 'doc' is not valid: 'user' is an "
            "undefined object type");
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n"
                                                   "    define a: [user#member]\n")),
                       "'user#member' relation is undefined"));
  EXPECT_EQ(invalid_because(with_header("type user\ntype doc\n  relations\n    define a: [user with c]\n")),
            "condition c is undefined for relation a (in object type 'doc')");
}

TEST(ValidateModelTest, AssignabilityMatchesTypeRestrictions) {
  AuthorizationModel m = from_dsl(with_header("type user\ntype doc\n  relations\n    define a: [user]\n"
                                              "    define b: a\n"));
  m.types[1].relations[0].directly_related.clear();
  EXPECT_EQ(validate_model(m).error().message,
            "the assignable relation 'a' in object type 'doc' must contain at least one relation type");
  m.types[1].relations[0].directly_related.push_back(RelatedType{"user", "", false, ""});
  m.types[1].relations[1].directly_related.push_back(RelatedType{"user", "", false, ""});
  EXPECT_EQ(validate_model(m).error().message,
            "the non-assignable relation 'b' in object type 'doc' should not contain a relation type");
}

TEST(ValidateModelTest, RefusesRelationsWithoutEntrypoints) {
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n"
                                                   "    define a: b\n    define b: a\n")),
                       "relation 'a' in object type 'doc' is invalid: no entrypoints"));
  // An intersection needs every part satisfiable; a userset restriction that only loops has none.
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n"
                                                   "    define loop: [doc#loop]\n"
                                                   "    define ok: [user]\n"
                                                   "    define x: ok and loop\n")),
                       "relation 'loop' in object type 'doc' is invalid: no entrypoints"));
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n"
                                                   "    define parent: [doc]\n"
                                                   "    define v: v from parent\n")),
                       "relation 'v' in object type 'doc' is invalid: no entrypoints"));
}

TEST(ValidateModelTest, RefusesComputedCyclesEvenWithABaseCase) {
  // OpenFGA refuses any relation whose computed rewrites loop within the type.
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n"
                                                   "    define a: [user] or b\n    define b: a\n")),
                       "relation 'a' in object type 'doc' is invalid: an authorization model "
                       "cannot contain a cycle"));
  EXPECT_TRUE(contains(invalid_because(with_header("type user\ntype doc\n  relations\n"
                                                   "    define a: [user]\n    define x: [user] or y\n"
                                                   "    define y: [user] but not x\n"
                                                   "    define z: a or y\n")),
                       "cannot contain a cycle"));
}

TEST(ValidateModelTest, RefusesHandBuiltShapesTheParsersNeverProduce) {
  AuthorizationModel m = from_dsl(with_header("type user\ntype doc\n  relations\n    define a: [user]\n"));
  Rewrite lonely;
  lonely.kind = Rewrite::Kind::kUnion;
  lonely.children.push_back(Rewrite{});
  m.types[1].relations[0].rewrite = lonely;
  EXPECT_TRUE(contains(validate_model(m).error().message, "a union needs at least 2 children"));
  Rewrite deep;
  for (int i = 0; i < 100; ++i) {
    Rewrite parent;
    parent.kind = Rewrite::Kind::kIntersection;
    parent.children = {deep, Rewrite{}};
    deep = parent;
  }
  m.types[1].relations[0].rewrite = deep;
  EXPECT_TRUE(contains(validate_model(m).error().message, "nested more than 64 deep"));
  m.types[1].relations[0].directly_related[0].wildcard = true;
  m.types[1].relations[0].directly_related[0].relation = "a";
  m.types[1].relations[0].rewrite = Rewrite{};
  EXPECT_TRUE(contains(validate_model(m).error().message, "either a wildcard or a userset"));
}

TEST(ValidateModelTest, ChecksConditions) {
  const std::string types = "type user\ntype doc\n  relations\n    define a: [user with c]\n";
  EXPECT_EQ(invalid_because(with_header(types + "condition c(x: int) {}\n")),
            "condition 'c' has an empty expression");
  EXPECT_TRUE(contains(invalid_because(with_header(types + "condition c(x: int) {" +
                                                   std::string(600, 'x') + "}\n")),
                       "600-byte expression; at most 512"));
  std::string params;
  for (int i = 0; i < 26; ++i) {
    params += (i ? ", p" : "p") + std::to_string(i) + ": int";
  }
  EXPECT_TRUE(contains(invalid_because(with_header(types + "condition c(" + params + ") {p0}\n")),
                       "declares 26 parameters; at most 25"));
  AuthorizationModel m = from_dsl(with_header(types + "condition c(x: list<int>) {x}\n"));
  m.conditions[0].parameters[0].type.generic.clear();
  EXPECT_EQ(validate_model(m).error().message,
            "condition 'c': parameter 'x' has an invalid type 'list<any>'");
  m.conditions[0].parameters[0].type = cel::Type{cel::TypeKind::kBytes, {}};
  EXPECT_TRUE(contains(validate_model(m).error().message, "invalid type 'bytes'"));
  m.conditions[0].parameters[0].type = cel::Type{cel::TypeKind::kAny, {}};  // JSON API only
  EXPECT_TRUE(validate_model(m).ok());
  std::string many;
  for (int i = 0; i < 26; ++i) {
    many += "condition c" + std::to_string(i) + "(x: int) {x}\n";
  }
  EXPECT_TRUE(contains(invalid_because(with_header("type user\n" + many)), "26 conditions; at most 25"));
}

TEST(ValidateModelTest, EnforcesOpenFgasLimits) {
  std::string many_types;
  for (int i = 0; i < 101; ++i) {
    many_types += "type t" + std::to_string(i) + "\n";
  }
  EXPECT_TRUE(contains(invalid_because(with_header(many_types)), "101 types; at most 100"));

  // 256 KiB of wire size, measured as OpenFGA does (protobuf encoding, id included).
  std::string big = "type user\ntype doc\n  relations\n";
  for (int i = 0; i < 3000; ++i) {
    big += "    define relation_number_" + std::to_string(i) + ": [user, user:*] or relation_number_" +
           std::to_string(i == 0 ? 1 : i - 1) + "\n";
  }
  big.replace(big.find("or relation_number_1\n"), 21, "\n");
  const std::string message = invalid_because(with_header(big));
  EXPECT_TRUE(contains(message, "model exceeds size limit: ")) << message;
  EXPECT_TRUE(contains(message, " bytes vs 262144 bytes")) << message;
}

}  // namespace
}  // namespace mcpgate::authz
