#include "connectors/yaml_json.hpp"

#include <gtest/gtest.h>

namespace mcpgate::connectors {
namespace {

TEST(YamlJson, ScalarsFollowTheCoreSchemaOnlyWhenPlain) {
  auto doc = yaml_to_json("a: true\nb: 'true'\nc: 12\nd: \"12\"\ne: 1.5\nf: ~\ng: hello\n", "t.yaml");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->value["a"], true);
  EXPECT_EQ(doc->value["b"], "true");
  EXPECT_EQ(doc->value["c"], 12);
  EXPECT_EQ(doc->value["d"], "12");
  EXPECT_EQ(doc->value["e"], 1.5);
  EXPECT_TRUE(doc->value["f"].is_null());
  EXPECT_EQ(doc->value["g"], "hello");
}

TEST(YamlJson, KeepsTheLineOfEveryNode) {
  auto doc = yaml_to_json("top:\n  list:\n    - one\n    - two: 2\n", "t.yaml");
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->line_of("/top"), 2);
  EXPECT_EQ(doc->line_of("/top/list/0"), 3);
  EXPECT_EQ(doc->line_of("/top/list/1/two"), 4);
  EXPECT_EQ(doc->line_of("/top/list/1/missing"), 4);  // nearest ancestor
}

TEST(YamlJson, SyntaxErrorsHaveFileAndLine) {
  auto doc = yaml_to_json("a: 1\nb: [1, 2\n", "bad.yaml");
  ASSERT_FALSE(doc);
  EXPECT_EQ(doc.error().message.rfind("bad.yaml:", 0), 0u) << doc.error().message;
}

TEST(YamlJson, RefusesDuplicateKeysAndMergeKeys) {
  auto dup = yaml_to_json("a: 1\na: 2\n", "d.yaml");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("d.yaml:2: duplicate key 'a'"), std::string::npos)
      << dup.error().message;
  auto merge = yaml_to_json("base: &b {x: 1}\nother:\n  <<: *b\n", "m.yaml");
  ASSERT_FALSE(merge);
  EXPECT_NE(merge.error().message.find("merge keys"), std::string::npos);
}

TEST(YamlJson, AliasBombIsCappedByNodeCount) {
  // Nine levels of nine aliases: 9^9 nodes once expanded, a few hundred bytes as YAML.
  std::string y = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    // (std::string("a") + ...: g++ 12 -O3 reports "lit" + std::string&& as -Wrestrict.)
    const std::string n = std::to_string(i);
    const std::string prev = std::string("*a") + std::to_string(i - 1);
    y += std::string("a") + n + ": &a" + n + " [" + prev;
    for (int k = 0; k < 8; ++k) {
      y += ", " + prev;
    }
    y += "]\n";
  }
  auto doc = yaml_to_json(y, "bomb.yaml");
  ASSERT_FALSE(doc);
  EXPECT_NE(doc.error().message.find("document too large"), std::string::npos)
      << doc.error().message;
}

TEST(YamlJson, DeepNestingIsRefused) {
  auto flow = yaml_to_json(std::string(5000, '[') + std::string(5000, ']'), "deep.yaml");
  ASSERT_FALSE(flow);
  EXPECT_NE(flow.error().message.find("nesting deeper"), std::string::npos);
  std::string block;
  for (int i = 0; i < 100; ++i) {
    block += std::string(static_cast<size_t>(i) * 2, ' ') + "k:\n";
  }
  auto b = yaml_to_json(block + std::string(200, ' ') + "v\n", "deep.yaml");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("nesting deeper"), std::string::npos) << b.error().message;
  std::string dashes;
  for (int i = 0; i < 1500; ++i) {
    dashes += "- ";
  }
  auto d = yaml_to_json(dashes + "x\n", "dash.yaml");
  EXPECT_FALSE(d);
}

TEST(YamlJson, HugeDocumentsAreRefusedBeforeParsing) {
  YamlLimits limits;
  limits.max_bytes = 1000;
  auto doc = yaml_to_json("a: \"" + std::string(2000, 'x') + "\"\n", "big.yaml", limits);
  ASSERT_FALSE(doc);
  EXPECT_NE(doc.error().message.find("file too large"), std::string::npos);
}

TEST(YamlJson, NonScalarKeysAreRefused) {
  EXPECT_FALSE(yaml_to_json("? [a, b]\n: 1\n", "k.yaml"));
}

}  // namespace
}  // namespace mcpgate::connectors
