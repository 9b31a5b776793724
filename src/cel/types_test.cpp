#include <gtest/gtest.h>

#include "cel/cel.hpp"

namespace mcpgate::cel {
namespace {

using nlohmann::json;

Type scalar(TypeKind kind) {
  return Type{kind, {}};
}

Type list_of(Type element) {
  return Type{TypeKind::kList, {std::move(element)}};
}

Type map_of(Type element) {
  return Type{TypeKind::kMap, {std::move(element)}};
}

TEST(TypesTest, JsonScalars) {
  const std::pair<const char*, TypeKind> cases[] = {
      {"TYPE_NAME_ANY", TypeKind::kAny},
      {"TYPE_NAME_BOOL", TypeKind::kBool},
      {"TYPE_NAME_STRING", TypeKind::kString},
      {"TYPE_NAME_INT", TypeKind::kInt},
      {"TYPE_NAME_UINT", TypeKind::kUint},
      {"TYPE_NAME_DOUBLE", TypeKind::kDouble},
      {"TYPE_NAME_DURATION", TypeKind::kDuration},
      {"TYPE_NAME_TIMESTAMP", TypeKind::kTimestamp},
      {"TYPE_NAME_IPADDRESS", TypeKind::kIpAddress},
  };
  for (const auto& [name, kind] : cases) {
    auto type = type_from_json(json{{"type_name", name}});
    ASSERT_TRUE(type) << name << ": " << type.error().message;
    EXPECT_EQ(*type, scalar(kind)) << name;
    EXPECT_EQ(type_to_json(*type), (json{{"type_name", name}})) << name;
  }
}

TEST(TypesTest, JsonGenerics) {
  json list = {{"type_name", "TYPE_NAME_LIST"},
               {"generic_types", {{{"type_name", "TYPE_NAME_STRING"}}}}};
  auto type = type_from_json(list);
  ASSERT_TRUE(type) << type.error().message;
  EXPECT_EQ(*type, list_of(scalar(TypeKind::kString)));
  EXPECT_EQ(type_to_json(*type), list);

  json nested = {
      {"type_name", "TYPE_NAME_MAP"},
      {"generic_types",
       {{{"type_name", "TYPE_NAME_LIST"}, {"generic_types", {{{"type_name", "TYPE_NAME_INT"}}}}}}}};
  type = type_from_json(nested);
  ASSERT_TRUE(type) << type.error().message;
  EXPECT_EQ(*type, map_of(list_of(scalar(TypeKind::kInt))));
  EXPECT_EQ(type_to_json(*type), nested);
  EXPECT_EQ(type_to_dsl(*type), "map<list<int>>");
}

TEST(TypesTest, JsonErrors) {
  EXPECT_FALSE(type_from_json(json::array()));
  EXPECT_FALSE(type_from_json(json::object()));
  EXPECT_FALSE(type_from_json(json{{"type_name", 3}}));
  EXPECT_FALSE(type_from_json(json{{"type_name", "TYPE_NAME_UNSPECIFIED"}}));
  EXPECT_FALSE(type_from_json(json{{"type_name", "TYPE_NAME_BYTES"}}));
  EXPECT_FALSE(type_from_json(json{{"type_name", "int"}}));
  EXPECT_FALSE(type_from_json(json{{"type_name", "TYPE_NAME_LIST"}}));
  EXPECT_FALSE(
      type_from_json(json{{"type_name", "TYPE_NAME_LIST"}, {"generic_types", json::array()}}));
  EXPECT_FALSE(type_from_json(json{{"type_name", "TYPE_NAME_LIST"}, {"generic_types", "x"}}));
  EXPECT_FALSE(type_from_json(json{
      {"type_name", "TYPE_NAME_LIST"},
      {"generic_types", {{{"type_name", "TYPE_NAME_INT"}}, {{"type_name", "TYPE_NAME_INT"}}}}}));
  EXPECT_FALSE(type_from_json(
      json{{"type_name", "TYPE_NAME_INT"}, {"generic_types", {{{"type_name", "TYPE_NAME_INT"}}}}}));
  EXPECT_FALSE(type_from_json(json{{"type_name", "TYPE_NAME_MAP"},
                                   {"generic_types", {{{"type_name", "TYPE_NAME_NOPE"}}}}}));
  // A hostile, deeply nested type is refused, not recursed into without bound.
  json deep = {{"type_name", "TYPE_NAME_INT"}};
  for (int i = 0; i < 100; ++i) {
    deep = json{{"type_name", "TYPE_NAME_LIST"}, {"generic_types", json::array({deep})}};
  }
  EXPECT_FALSE(type_from_json(deep));
  // An explicit empty or null generic list on a scalar is the same as none.
  EXPECT_TRUE(
      type_from_json(json{{"type_name", "TYPE_NAME_INT"}, {"generic_types", json::array()}}));
  EXPECT_TRUE(type_from_json(json{{"type_name", "TYPE_NAME_INT"}, {"generic_types", nullptr}}));
}

TEST(TypesTest, Dsl) {
  const std::pair<const char*, Type> cases[] = {
      {"bool", scalar(TypeKind::kBool)},
      {"string", scalar(TypeKind::kString)},
      {"int", scalar(TypeKind::kInt)},
      {"uint", scalar(TypeKind::kUint)},
      {"double", scalar(TypeKind::kDouble)},
      {"duration", scalar(TypeKind::kDuration)},
      {"timestamp", scalar(TypeKind::kTimestamp)},
      {"ipaddress", scalar(TypeKind::kIpAddress)},
      {"list<string>", list_of(scalar(TypeKind::kString))},
      {"map<int>", map_of(scalar(TypeKind::kInt))},
      {"list<ipaddress>", list_of(scalar(TypeKind::kIpAddress))},
      {"map<timestamp>", map_of(scalar(TypeKind::kTimestamp))},
  };
  for (const auto& [spelling, expected] : cases) {
    auto type = type_from_dsl(spelling);
    ASSERT_TRUE(type) << spelling << ": " << type.error().message;
    EXPECT_EQ(*type, expected) << spelling;
    EXPECT_EQ(type_to_dsl(*type), spelling);
  }
}

TEST(TypesTest, DslErrors) {
  for (const char* bad : {"",
                          "any",
                          "list",
                          "map",
                          "list<>",
                          "list<any>",
                          "list<list<int>>",
                          "list< int>",
                          "list<int >",
                          " int",
                          "int ",
                          "Int",
                          "bytes",
                          "list<int",
                          "set<int>",
                          "map<int>>",
                          "list<int><",
                          "null",
                          "dyn"}) {
    EXPECT_FALSE(type_from_dsl(bad)) << bad;
  }
}

TEST(TypesTest, ToDslForNonDslTypes) {
  EXPECT_EQ(type_to_dsl(scalar(TypeKind::kAny)), "any");
  EXPECT_EQ(type_to_dsl(scalar(TypeKind::kBytes)), "bytes");
  EXPECT_EQ(type_to_dsl(list_of(scalar(TypeKind::kAny))), "list<any>");
}

}  // namespace
}  // namespace mcpgate::cel
