// The condition context of a tools/call: typed, flattened arguments and trusted facts.

#include "policy/call_context.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;

const Json kSchema = Json::parse(R"({
  "type": "object",
  "properties": {
    "calendar_id": {"type": "string"},
    "max_results": {"type": "integer"},
    "ratio": {"type": "number"},
    "urgent": {"type": "boolean"},
    "to": {"type": "array", "items": {"type": "string"}},
    "window": {"type": "object", "properties": {"from": {"type": "string"}, "days": {"type": "integer"}}},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "attachments": {"type": "array", "items": {"type": "object"}}
  }
})");

TEST(CallContextTest, ArgumentsAreFlattenedAndTypedFromTheSchema) {
  Json args = Json::parse(R"({
    "calendar_id": "primary", "max_results": 20, "ratio": 2, "urgent": true,
    "to": ["a@example.com", "b@example.com"],
    "window": {"from": "2026-01-01", "days": 7},
    "labels": {"team": "x"},
    "attachments": [{"name": "f"}]
  })");
  Json out = Json::object();
  ASSERT_TRUE(flatten_arguments(args, &kSchema, out).ok());
  EXPECT_EQ(out["arg_calendar_id"], "primary");
  EXPECT_TRUE(out["arg_max_results"].is_number_integer());
  EXPECT_EQ(out["arg_max_results"], 20);
  EXPECT_EQ(out["arg_ratio"], 2);
  EXPECT_EQ(out["arg_urgent"], true);
  EXPECT_EQ(out["arg_to"], Json::array({"a@example.com", "b@example.com"}));
  EXPECT_EQ(out["arg_window_from"], "2026-01-01");
  EXPECT_EQ(out["arg_window_days"], 7);
  EXPECT_EQ(out["arg_labels"], (Json{{"team", "x"}}));
  EXPECT_FALSE(out.contains("arg_window"));       // objects with properties are flattened
  EXPECT_FALSE(out.contains("arg_attachments"));  // lists of objects have no condition type
}

TEST(CallContextTest, IntegralFloatBecomesAnIntegerForAnIntegerProperty) {
  Json out = Json::object();
  ASSERT_TRUE(flatten_arguments(Json{{"max_results", 20.0}}, &kSchema, out).ok());
  EXPECT_TRUE(out["arg_max_results"].is_number_integer());
}

TEST(CallContextTest, ValueContradictingTheSchemaTypeIsAnError) {
  Json out = Json::object();
  auto r = flatten_arguments(Json{{"max_results", "20"}}, &kSchema, out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("arg_max_results"), std::string::npos);
  EXPECT_FALSE(flatten_arguments(Json{{"max_results", 2.5}}, &kSchema, out).ok());
}

TEST(CallContextTest, UndescribedArgumentsAreTypedByTheirJsonValue) {
  Json out = Json::object();
  ASSERT_TRUE(flatten_arguments(Json{{"n", 3}, {"s", "x"}, {"nested", {{"k", false}}}}, nullptr, out).ok());
  EXPECT_EQ(out["arg_n"], 3);
  EXPECT_EQ(out["arg_s"], "x");
  EXPECT_EQ(out["arg_nested_k"], false);
}

TEST(CallContextTest, NamesBecomeIdentifiersAndCollisionsAreRefused) {
  Json out = Json::object();
  ASSERT_TRUE(flatten_arguments(Json{{"max-results", 1}}, nullptr, out).ok());
  EXPECT_EQ(out["arg_max_results"], 1);
  Json out2 = Json::object();
  auto r = flatten_arguments(Json{{"a_b", 1}, {"a", {{"b", 2}}}}, nullptr, out2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("collide"), std::string::npos);
}

TEST(CallContextTest, NullArgumentsAreAbsent) {
  Json out = Json::object();
  ASSERT_TRUE(flatten_arguments(Json{{"calendar_id", nullptr}}, &kSchema, out).ok());
  EXPECT_FALSE(out.contains("arg_calendar_id"));
}

TEST(CallContextTest, DeepNestingAndOversizedContextsAreRefused) {
  Json deep = Json::object();
  Json* cur = &deep;
  for (int i = 0; i < 20; ++i) {
    (*cur)["x"] = Json::object();
    cur = &(*cur)["x"];
  }
  (*cur)["leaf"] = 1;
  Json out = Json::object();
  EXPECT_FALSE(flatten_arguments(deep, nullptr, out).ok());

  RequestFacts facts;
  auto big = build_call_context(Json{{"s", std::string(40 * 1024, 'a')}}, nullptr, facts);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("exceeds"), std::string::npos);
}

TEST(CallContextTest, TrustedFactsAreSetAndArgumentsCannotShadowThem) {
  std::vector<std::string> scopes{"calendar:read"};
  RequestFacts facts;
  facts.user = "alice";
  facts.client_id = "https://agent.example/client.json";
  facts.client_kind = "cimd";
  facts.client_host = "agent.example";
  facts.scopes = &scopes;
  facts.time = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
  facts.source_ip = "127.0.0.1";
  auto ctx = build_call_context(Json{{"user", "mallory"}, {"client_id", "evil"}}, nullptr, facts);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ((*ctx)["user"], "alice");
  EXPECT_EQ((*ctx)["client_id"], "https://agent.example/client.json");
  EXPECT_EQ((*ctx)["arg_user"], "mallory");
  EXPECT_EQ((*ctx)["client_kind"], "cimd");
  EXPECT_EQ((*ctx)["client_host"], "agent.example");
  EXPECT_EQ((*ctx)["scopes"], Json::array({"calendar:read"}));
  EXPECT_EQ((*ctx)["request_time"], "2027-01-15T08:00:00.000000Z");
  EXPECT_EQ((*ctx)["source_ip"], "127.0.0.1");
}

TEST(CallContextTest, Rfc3339UtcFormatsEveryFieldZeroPadded) {
  using namespace std::chrono;
  const auto at = [](long long secs, long long micros) {
    return system_clock::time_point(duration_cast<system_clock::duration>(seconds(secs) + microseconds(micros)));
  };
  EXPECT_EQ(rfc3339_utc(at(0, 0)), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339_utc(at(1796070600, 42)), "2026-11-30T20:30:00.000042Z");
  EXPECT_EQ(rfc3339_utc(at(951782399, 999999)), "2000-02-28T23:59:59.999999Z");
  EXPECT_EQ(rfc3339_utc(at(-1, 500000)), "1969-12-31T23:59:59.500000Z");
}

}  // namespace
}  // namespace mcpgate::policy
