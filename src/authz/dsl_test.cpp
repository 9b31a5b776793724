#include "authz/dsl.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mcpgate::authz {
namespace {

using Kind = Rewrite::Kind;

AuthorizationModel parse_ok(const std::string& text) {
  auto model = parse_dsl(text);
  EXPECT_TRUE(model.ok()) << model.error().message << "\n" << text;
  return model.ok() ? std::move(model).value() : AuthorizationModel{};
}

std::string parse_error(const std::string& text) {
  auto model = parse_dsl(text);
  EXPECT_FALSE(model.ok()) << "accepted:\n" << text;
  if (model.ok()) {
    return {};
  }
  EXPECT_EQ(model.error().code, ErrorCode::kInvalidArgument);
  return model.error().message;
}

// A model with types user, group and doc, where doc's relations are `defines` (one per line).
std::string doc_model(const std::string& defines) {
  return "model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user]\n"
         "type doc\n  relations\n    define a: [user]\n    define b: [user]\n    define c: [user]\n" +
         defines;
}

const Rewrite& rewrite_of(const AuthorizationModel& m, const std::string& relation) {
  static const Rewrite kNone;
  const auto* type = m.find_type("doc");
  const auto* rel = type == nullptr ? nullptr : type->find(relation);
  EXPECT_NE(rel, nullptr) << relation;
  return rel == nullptr ? kNone : rel->rewrite;
}

Rewrite computed(const std::string& r) {
  Rewrite x;
  x.kind = Kind::kComputed;
  x.relation = r;
  return x;
}

Rewrite node(Kind kind, std::vector<Rewrite> children) {
  Rewrite x;
  x.kind = kind;
  x.children = std::move(children);
  return x;
}

TEST(DslTest, ParsesHeaderAndTypes) {
  const auto m = parse_ok("model\n  schema 1.1\ntype user\n\ntype org/team.unit-1\n");
  EXPECT_EQ(m.schema_version, "1.1");
  ASSERT_EQ(m.types.size(), 2U);
  EXPECT_EQ(m.types[0].name, "user");
  EXPECT_EQ(m.types[1].name, "org/team.unit-1");
  EXPECT_TRUE(m.types[1].relations.empty());
  EXPECT_TRUE(m.conditions.empty());
}

TEST(DslTest, OnlyAHeaderIsAModelWithoutTypes) {
  EXPECT_TRUE(parse_ok("model\n  schema 1.1\n").types.empty());
  EXPECT_TRUE(parse_ok("\nmodel\nschema 1.1").types.empty());  // indentation is free
}

TEST(DslTest, DirectTypeRestrictionsOfEveryKind) {
  const auto m = parse_ok(doc_model(
      "    define v: [user, user:*, group#member, user with cond, user:* with cond, group#member "
      "with cond]\ncondition cond(x: int) {\n  x < 1\n}\n"));
  const auto* rel = m.find_type("doc")->find("v");
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->rewrite.kind, Kind::kThis);
  const std::vector<RelatedType> expected = {
      {"user", "", false, ""},          {"user", "", true, ""},
      {"group", "member", false, ""},   {"user", "", false, "cond"},
      {"user", "", true, "cond"},       {"group", "member", false, "cond"},
  };
  EXPECT_EQ(rel->directly_related, expected);
}

TEST(DslTest, RestrictionListMayBreakAfterCommas) {
  const auto m = parse_ok(doc_model("    define v: [\n      user,\n      group#member\n    ] or a\n"));
  const auto* rel = m.find_type("doc")->find("v");
  EXPECT_EQ(rel->directly_related.size(), 2U);
  EXPECT_EQ(rel->rewrite, node(Kind::kUnion, {Rewrite{}, computed("a")}));
}

TEST(DslTest, ComputedAndTupleToUserset) {
  const auto m = parse_ok(doc_model("    define parent: [doc]\n    define v: a\n"
                                    "    define w: a from parent\n"));
  EXPECT_EQ(rewrite_of(m, "v"), computed("a"));
  const auto& ttu = rewrite_of(m, "w");
  EXPECT_EQ(ttu.kind, Kind::kTupleToUserset);
  EXPECT_EQ(ttu.relation, "a");
  EXPECT_EQ(ttu.tupleset, "parent");
}

TEST(DslTest, OperatorsKeepTheirOperandsInOrder) {
  const auto m = parse_ok(doc_model("    define u: [user] or a or b\n    define i: a and b and c\n"
                                    "    define d: a but not b\n"));
  EXPECT_EQ(rewrite_of(m, "u"), node(Kind::kUnion, {Rewrite{}, computed("a"), computed("b")}));
  EXPECT_EQ(rewrite_of(m, "i"),
            node(Kind::kIntersection, {computed("a"), computed("b"), computed("c")}));
  EXPECT_EQ(rewrite_of(m, "d"), node(Kind::kDifference, {computed("a"), computed("b")}));
}

TEST(DslTest, ParenthesesGroupAndVanishAroundOneOperand) {
  const auto m = parse_ok(doc_model("    define x: (a and b) but not c\n"
                                    "    define y: a or (b and (c but not a)) or ((b))\n"
                                    "    define z: ([user] or a) and b\n"
                                    "    define w: ( a )\n"));
  EXPECT_EQ(rewrite_of(m, "x"),
            node(Kind::kDifference,
                 {node(Kind::kIntersection, {computed("a"), computed("b")}), computed("c")}));
  EXPECT_EQ(rewrite_of(m, "y"),
            node(Kind::kUnion,
                 {computed("a"),
                  node(Kind::kIntersection,
                       {computed("b"), node(Kind::kDifference, {computed("c"), computed("a")})}),
                  computed("b")}));
  EXPECT_EQ(rewrite_of(m, "z"),
            node(Kind::kIntersection, {node(Kind::kUnion, {Rewrite{}, computed("a")}), computed("b")}));
  EXPECT_EQ(rewrite_of(m, "w"), computed("a"));
}

TEST(DslTest, CommentsFollowTheTransformersRule) {
  const auto m = parse_ok(
      "# leading comment\nmodel\n  schema 1.1 # trailing\n   # indented comment\ntype user\n"
      "type group\n  relations\n    define member: [user, group#member] # group#member is not one\n");
  ASSERT_EQ(m.types.size(), 2U);
  EXPECT_EQ(m.types[1].relations[0].directly_related.size(), 2U);
}

TEST(DslTest, CarriageReturnsAndTrailingBlanksAreDropped) {
  const auto m = parse_ok("model\r\n  schema 1.1\r\ntype user  \r\ntype doc\r\n  relations\r\n"
                          "    define v: [user]\t\r\n");
  EXPECT_EQ(m.types.size(), 2U);
}

TEST(DslTest, KeywordsThatAreIdentifiersMayNameThings) {
  const auto m = parse_ok("model\n  schema 1.1\ntype type\n  relations\n    define relation: [type]\n"
                          "    define model: relation\n    define schema: model\n");
  EXPECT_EQ(m.types[0].relations.size(), 3U);
}

TEST(DslTest, ConditionsKeepTypesAndTheBodyText) {
  const auto m = parse_ok(
      "model\n  schema 1.1\ntype user\n"
      "condition c1(a: int, b: uint, c: double, d: bool, e: string, f: duration, g: timestamp, "
      "h: ipaddress, i: list<string>, j: map<int>) {\n"
      "  a < 1 // a comment the transformer drops\n"
      "    && \"}\" != e\n"
      "}\n"
      "condition c2(x:int){x}\n");
  ASSERT_EQ(m.conditions.size(), 2U);
  const auto& c1 = m.conditions[0];
  EXPECT_EQ(c1.name, "c1");
  EXPECT_EQ(c1.expression, "a < 1 \n    && \"}\" != e");
  ASSERT_EQ(c1.parameters.size(), 10U);
  EXPECT_EQ(c1.parameters[0].name, "a");
  EXPECT_EQ(c1.parameters[0].type.kind, cel::TypeKind::kInt);
  EXPECT_EQ(c1.parameters[7].type.kind, cel::TypeKind::kIpAddress);
  EXPECT_EQ(c1.parameters[8].type.kind, cel::TypeKind::kList);
  ASSERT_EQ(c1.parameters[8].type.generic.size(), 1U);
  EXPECT_EQ(c1.parameters[8].type.generic[0].kind, cel::TypeKind::kString);
  EXPECT_EQ(c1.parameters[9].type.kind, cel::TypeKind::kMap);
  EXPECT_EQ(m.conditions[1].expression, "x");
}

TEST(DslTest, ModelToDslRoundTrips) {
  const std::string text = doc_model(
      "    define parent: [doc]\n    define v: [user, user:* with cond, group#member] or a or b "
      "from parent\n    define w: (a and b) but not (c or a)\n    define x: a but not b\n") +
      "condition cond(x: int, l: list<string>) {\n  x < 100 && \"a\" in l\n}\n";
  const auto m = parse_ok(text);
  const auto again = parse_ok(model_to_dsl(m));
  EXPECT_EQ(again, m) << model_to_dsl(m);
}

// --- Errors: kInvalidArgument, "line:column: message".

TEST(DslTest, ErrorsCarryLineAndColumn) {
  EXPECT_EQ(parse_error(doc_model("    define x: a or b and c\n")),
            "12:22: cannot mix 'or' with 'and' without parentheses");
  EXPECT_EQ(parse_error(doc_model("    define x: a but not b but not c\n")),
            "12:27: 'but not' takes exactly one relation after it; use parentheses");
  EXPECT_EQ(parse_error(doc_model("    define x: a or [user]\n")),
            "12:20: direct type restrictions [...] must come first in a definition");
  EXPECT_EQ(parse_error(doc_model("    define a: [user]\n")), "12:12: 'a' is already defined in 'doc'");
}

TEST(DslTest, RejectsMalformedModels) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "1:1:"},
      {"type user\n", "1:1: the model must start with 'model'"},
      {"model schema 1.1\n", "1:6:"},
      {"model\n  schema\n", "2:9:"},
      {"model\n  schema 1.1\ntype\n", "3:5:"},
      {"model\n  schema 1.1\ntype user relations\n", "3:10:"},
      {"model\n  schema 1.1\ntype doc\n  relations\ntype user\n", "5:1: 'relations' must be followed"},
      {"model\n  schema 1.1\ntype user\n    define a: [user]\n", "4:5: 'define' must follow"},
      {"model\n  schema 1.1\ntype doc\n  relations\n    define a: []\n", "5:16:"},
      {"model\n  schema 1.1\ntype doc\n  relations\n    define a: [user:*#x]\n", "5:22:"},
      {"model\n  schema 1.1\ntype doc\n  relations\n    define a: [user] | a\n", "5:22: unexpected '|'"},
      {"model\n  schema 1.1\ntype doc\n  relations\n    define a: (b or c\n", "5:22:"},
      {"model\n  schema 1.1\ntype doc\n  relations\n    define a: b or\n      c\n", "5:19:"},
      {"model\n  schema 1.1\ntype doc\n  relations\n    define define: [doc]\n", "5:12:"},
      {"model\n  schema 1.1\ntype doc\n  relations\n    define a: [doc]\n    define b: a but nothing\n",
       "6:24:"},
      {"model\n  schema 1.1\ntype user\nextend type user\n", "4:1: extend can only be used"},
      {"module core\ntype user\n", "1:1: modular models"},
      {"model\n  schema 1.1\ntype user\ncondition c(x: int) {x}\ntype doc\n",
       "5:1: type definitions must come before conditions"},
      {"model\n  schema 1.1\ncondition c(x: int) {x}\ncondition c(y: int) {y}\n",
       "4:11: condition 'c' is already defined in the model"},
      {"model\n  schema 1.1\ncondition c(x: int, x: bool) {x}\n",
       "3:21: parameter 'x' is already defined in the condition 'c'"},
      {"model\n  schema 1.1\ncondition c(x: any) {x}\n", "3:16: expected a parameter type"},
      {"model\n  schema 1.1\ncondition c(x: list<list<int>>) {x}\n", "3:21:"},
      {"model\n  schema 1.1\ncondition c(x: int,\n  y: int) {x}\n", "3:20: unexpected a line break"},
      {"model\n  schema 1.1\ncondition c(x: int) {\n  x < 1\n", "3:11: condition 'c' has no closing"},
      {"model\n  schema 1.1\ncondition c(x: int) x\n", "3:21:"},
      {"model\n  schema 1.1\ntype user\n//a\n//b\ntype doc\n", "4:1: a '//' comment line"},
      {"model\n  schema 1.1\ntype \xc3\xa9\n", "3:6: unexpected byte 0xc3"},
  };
  for (const auto& [text, prefix] : cases) {
    const std::string message = parse_error(text);
    EXPECT_EQ(message.rfind(prefix, 0), 0U) << "got: " << message << "\nfor:\n" << text;
  }
}

TEST(DslTest, DeepParenthesesAreRefusedWithoutExhaustingTheStack) {
  const auto nested = [](std::size_t depth) {
    return doc_model("    define x: " + std::string(depth, '(') + "a" + std::string(depth, ')') +
                     "\n");
  };
  EXPECT_EQ(rewrite_of(parse_ok(nested(50)), "x"), computed("a"));
  EXPECT_NE(parse_error(nested(51)).find("nested more than 50 deep"), std::string::npos);
  EXPECT_NE(parse_error(nested(100000)).find("nested more than 50 deep"), std::string::npos);
  // Deep nesting on the right of operators takes the same path.
  std::string chain = "a";
  for (int i = 0; i < 1000; ++i) {
    chain = "a or (" + chain + ")";
  }
  EXPECT_NE(parse_error(doc_model("    define x: " + chain + "\n")).find("nested"), std::string::npos);
}

TEST(DslTest, OversizedInputIsRefused) {
  DslLimits limits;
  limits.max_bytes = 64;
  const auto model = parse_dsl(doc_model(""), limits);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("over the limit of 64"), std::string::npos);
  // The default limit is 1 MiB; a model of 2 MiB of comments is refused before parsing.
  const std::string huge = "model\n  schema 1.1\n" + std::string(2 * 1024 * 1024, '#');
  EXPECT_FALSE(parse_dsl(huge).ok());
}

}  // namespace
}  // namespace mcpgate::authz
