#include "mcp/schema.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace mcpgate::mcp {
namespace {

Json person_schema() {
  return Json::parse(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "minLength": 2, "maxLength": 5},
      "age": {"type": "integer", "minimum": 0, "maximum": 150},
      "role": {"type": "string", "enum": ["admin", "user"], "default": "user"},
      "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}
    },
    "required": ["name"],
    "additionalProperties": false
  })");
}

std::string error_of(const Json& schema, const Json& value) {
  auto r = validate_json_schema(schema, value);
  return r.ok() ? std::string() : r.error().message;
}

TEST(SchemaTest, AcceptsValidInstance) {
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"age", 30}, {"tags", {"a"}}}), "");
}

TEST(SchemaTest, ReportsMissingRequiredProperty) {
  EXPECT_EQ(error_of(person_schema(), Json::object()), "(root): missing required property 'name'");
}

TEST(SchemaTest, RejectsWrongTypeWithPointer) {
  EXPECT_EQ(error_of(person_schema(), Json{{"name", 5}}), "/name: expected string, got integer");
}

TEST(SchemaTest, IntegerAcceptsIntegralFloatButNotFraction) {
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"age", 3.0}}), "");
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"age", 3.5}}),
            "/age: expected integer, got number");
}

TEST(SchemaTest, EnforcesAdditionalPropertiesFalse) {
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"x", 1}}),
            "(root): unexpected property 'x'");
}

TEST(SchemaTest, EnforcesEnumAndNumericBounds) {
  EXPECT_NE(
      error_of(person_schema(), Json{{"name", "Ann"}, {"role", "root"}}).find("must be one of"),
      std::string::npos);
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"age", -1}}), "/age: must be >= 0");
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"age", 151}}), "/age: must be <= 150");
}

TEST(SchemaTest, CountsLengthInCodePoints) {
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "\xc3\xa9\xc3\xa9\xc3\xa9"}}),
            "");  // 3 chars, 6 bytes
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "A"}}),
            "/name: must be at least 2 characters long");
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Abcdef"}}),
            "/name: must be at most 5 characters long");
}

TEST(SchemaTest, ValidatesArrayItems) {
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"tags", {"a", 1}}}),
            "/tags/1: expected string, got integer");
  EXPECT_EQ(error_of(person_schema(), Json{{"name", "Ann"}, {"tags", {"a", "b", "c"}}}),
            "/tags: must have at most 2 items");
}

TEST(SchemaTest, AppliesDefaultsForMissingProperties) {
  Json args{{"name", "Ann"}};
  apply_schema_defaults(person_schema(), args);
  EXPECT_EQ(args["role"], "user");
}

TEST(SchemaTest, ResolvesLocalRefsAndCombinators) {
  const Json schema = Json::parse(R"({
    "type": "object",
    "$defs": {"addr": {"type": "object", "properties": {"city": {"type": "string"}}}},
    "properties": {"address": {"$ref": "#/$defs/addr"}, "phone": {"type": "string"}, "email": {"type": "string"}},
    "anyOf": [{"required": ["phone"]}, {"required": ["email"]}]
  })");
  EXPECT_EQ(error_of(schema, Json{{"phone", "1"}, {"address", {{"city", "X"}}}}), "");
  EXPECT_EQ(error_of(schema, Json{{"phone", "1"}, {"address", {{"city", 7}}}}),
            "/address/city: expected string, got integer");
  EXPECT_NE(error_of(schema, Json::object()).find("anyOf"), std::string::npos);
}

TEST(SchemaTest, IfThenElseAppliesTheMatchingBranch) {
  const Json schema = Json::parse(R"({
    "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
    "then": {"required": ["a"]},
    "else": {"required": ["b"]}
  })");
  EXPECT_EQ(error_of(schema, Json{{"kind", "a"}, {"a", 1}}), "");
  EXPECT_EQ(error_of(schema, Json{{"kind", "a"}}), "(root): missing required property 'a'");
  EXPECT_EQ(error_of(schema, Json{{"kind", "z"}}), "(root): missing required property 'b'");
}

TEST(SchemaTest, SelfReferentialRefDoesNotRecurseForever) {
  const Json schema = Json::parse(R"({"$ref": "#"})");
  EXPECT_FALSE(validate_json_schema(schema, Json::object()).ok());
}

// The objects every "accepts any object" schema is checked against.
std::vector<Json> sample_objects() {
  return {Json::object(),
          Json{{"a", 1}},
          Json{{"name", "x"}, {"nested", {{"deep", Json::array({1, 2})}}}},
          Json{{"role", nullptr}, {"", false}}};
}

TEST(SchemaTest, SchemasThatAcceptAnyObjectValidateEveryObjectAndAddNoDefaults) {
  for (const char* text : {
           R"(true)",
           R"({"type": "object"})",
           R"({"type": "object", "properties": {}})",
           R"({"type": ["object", "null"], "properties": {}, "required": []})",
           R"({"type": "object", "additionalProperties": true, "$schema": "x", "title": "t"})",
           R"({"type": "object", "additionalProperties": {}, "description": "d", "x-note": 1})",
           R"({})",
       }) {
    SCOPED_TRACE(text);
    const Json schema = Json::parse(text);
    ASSERT_TRUE(schema_accepts_any_object(schema));
    for (const Json& sample : sample_objects()) {
      EXPECT_EQ(error_of(schema, sample), "") << sample.dump();
      Json filled = sample;
      apply_schema_defaults(schema, filled);
      EXPECT_EQ(filled, sample);
    }
  }
}

TEST(SchemaTest, SchemasThatConstrainObjectsAreNotTakenForAnyObject) {
  for (const char* text : {
           R"(false)",
           R"("object")",
           R"({"type": "string"})",
           R"({"type": ["array", "null"]})",
           R"({"type": "object", "properties": {"a": {"type": "string"}}})",
           R"({"type": "object", "properties": {"role": {"default": "user"}}})",
           R"({"type": "object", "required": ["a"]})",
           R"({"type": "object", "additionalProperties": false})",
           R"({"type": "object", "additionalProperties": {"type": "string"}})",
           R"({"type": "object", "minProperties": 1})",
           R"({"type": "object", "maxProperties": 0})",
           R"({"type": "object", "propertyNames": {"maxLength": 1}})",
           R"({"type": "object", "not": {}})",
           R"({"type": "object", "$ref": "#/$defs/x", "$defs": {"x": false}})",
           R"({"type": "object", "enum": [{}]})",
           R"({"type": "object", "allOf": [{"required": ["a"]}]})",
       }) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(schema_accepts_any_object(Json::parse(text)));
  }
}

}  // namespace
}  // namespace mcpgate::mcp
