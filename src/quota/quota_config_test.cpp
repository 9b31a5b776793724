#include "quota/quota_config.hpp"

#include <string>

#include <gtest/gtest.h>

namespace mcpgate::quota {
namespace {

Result<std::vector<QuotaRule>> parse(const std::string& yaml) {
  return parse_quota_rules(YAML::Load(yaml)["quotas"]);
}

// The error message of a failed parse ("" when it succeeded).
std::string error_of(const std::string& yaml) {
  auto r = parse(yaml);
  if (r.ok()) {
    return "";
  }
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(QuotaConfigTest, ParsesTheDocumentedExample) {
  auto rules = parse(R"(
quotas:
  - per: [user]
    calls_per_minute: 120
    max_concurrent: 8
  - per: [user, tool]
    match: { tool: "everything__*" }
    calls_per_minute: 10
  - name: clients
    per: [client]
    max_concurrent: 4
    max_keys: 500
  - per: []
    max_concurrent: 64
)");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules->size(), 4u);
  const auto& a = (*rules)[0];
  EXPECT_EQ(a.name, "quotas[0] (user)");
  EXPECT_TRUE(a.per_user && !a.per_client && !a.per_tool);
  EXPECT_EQ(a.calls_per_minute, 120u);
  EXPECT_EQ(a.max_concurrent, 8u);
  EXPECT_EQ(a.match_tool, "");
  const auto& b = (*rules)[1];
  EXPECT_EQ(b.name, "quotas[1] (user+tool)");
  EXPECT_TRUE(b.per_user && b.per_tool && !b.per_client);
  EXPECT_EQ(b.match_tool, "everything__*");
  EXPECT_EQ(b.calls_per_minute, 10u);
  EXPECT_EQ(b.max_concurrent, 0u);
  const auto& c = (*rules)[2];
  EXPECT_EQ(c.name, "clients");
  EXPECT_EQ(c.max_keys, 500u);
  EXPECT_EQ((*rules)[3].name, "quotas[3] (global)");
}

TEST(QuotaConfigTest, AbsentOrNullMeansNoRules) {
  auto absent = parse("other: 1\n");
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->empty());
  auto null = parse("quotas:\n");
  ASSERT_TRUE(null.ok());
  EXPECT_TRUE(null->empty());
}

TEST(QuotaConfigTest, RejectsBadNumbersWithLineNumbers) {
  const std::string e = error_of(R"(
quotas:
  - per: [user]
    calls_per_minute: 0
  - per: [user]
    calls_per_minute: -5
  - per: [user]
    calls_per_minute: 1.5
  - per: [user]
    max_concurrent: lots
  - per: [user]
    calls_per_minute: 2000000
  - per: [user]
    max_concurrent: 99999999999999999999999
  - per: [user]
    max_concurrent: [1]
  - per: [user]
    max_concurrent: 0x10
)");
  EXPECT_NE(
      e.find("quotas[0].calls_per_minute (line 4): must be an integer from 1 to 1000000 (got 0)"),
      std::string::npos)
      << e;
  EXPECT_NE(e.find("quotas[1].calls_per_minute (line 6)"), std::string::npos) << e;
  EXPECT_NE(e.find("quotas[2].calls_per_minute (line 8)"), std::string::npos) << e;
  EXPECT_NE(
      e.find(
          "quotas[3].max_concurrent (line 10): must be an integer from 1 to 100000 (got 'lots')"),
      std::string::npos)
      << e;
  EXPECT_NE(e.find("quotas[4].calls_per_minute (line 12)"), std::string::npos) << e;
  EXPECT_NE(e.find("quotas[5].max_concurrent"), std::string::npos) << e;
  EXPECT_NE(e.find("quotas[6].max_concurrent"), std::string::npos) << e;
  EXPECT_NE(e.find("quotas[7].max_concurrent"), std::string::npos) << e;
}

TEST(QuotaConfigTest, RejectsUnknownKeysAndMalformedShapes) {
  EXPECT_NE(error_of("quotas:\n  - per: [user]\n    calls_per_minute: 5\n    burst: 3\n")
                .find("quotas[0].burst (line 4): unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - per: [user, ip]\n    calls_per_minute: 5\n")
                .find("quotas[0].per[1] (line 2): unknown key part 'ip'"),
            std::string::npos);
  EXPECT_NE(
      error_of("quotas:\n  - per: [user, user]\n    calls_per_minute: 5\n").find("listed twice"),
      std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - per: user\n    calls_per_minute: 5\n").find("must be a list"),
            std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - calls_per_minute: 5\n").find("missing 'per'"),
            std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - per: [user]\n").find("needs calls_per_minute or max_concurrent"),
            std::string::npos);
  EXPECT_NE(
      error_of("quotas:\n  - per: [tool]\n    match: { tool: 'a*b' }\n    max_concurrent: 1\n")
          .find("only allowed at the end"),
      std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - per: [tool]\n    match: { tool: '*' }\n    max_concurrent: 1\n")
                .find("quotas[0].match.tool"),
            std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - per: [tool]\n    match: { user: x }\n    max_concurrent: 1\n")
                .find("quotas[0].match.user"),
            std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - per: [tool]\n    match: x\n    max_concurrent: 1\n")
                .find("quotas[0].match"),
            std::string::npos);
  EXPECT_NE(error_of("quotas: {per: [user]}\n").find("must be a list of rules"), std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - 5\n").find("quotas[0] (line 2): must be a map"),
            std::string::npos);
  EXPECT_NE(error_of("quotas:\n  - {name: a, per: [user], max_concurrent: 1}\n"
                     "  - {name: a, per: [client], max_concurrent: 1}\n")
                .find("two rules are named 'a'"),
            std::string::npos);
  EXPECT_NE(
      error_of("quotas:\n  - {name: '', per: [user], max_concurrent: 1}\n").find("quotas[0].name"),
      std::string::npos);
}

TEST(QuotaConfigTest, ListsEveryProblem) {
  const std::string e =
      error_of("quotas:\n  - per: [x]\n    calls_per_minute: 0\n  - per: [user]\n");
  EXPECT_NE(e.find("quotas[0].per[0]"), std::string::npos) << e;
  EXPECT_NE(e.find("quotas[0].calls_per_minute"), std::string::npos) << e;
  EXPECT_NE(e.find("quotas[1] (line 4): needs"), std::string::npos) << e;
}

}  // namespace
}  // namespace mcpgate::quota
