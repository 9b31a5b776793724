#include "gateway/messages.hpp"

#include <gtest/gtest.h>

namespace mcpgate::gateway {
namespace {

TEST(RequestHeadTest, WritesTheLineTheFieldsAndTheContentLength) {
  HeadFields fields;
  set_head_field(fields, "Host", "127.0.0.1:8080");
  set_head_field(fields, "Accept", "application/json, text/event-stream");
  set_head_field(fields, "Mcp-Session-Id", "abc");
  auto head = request_head("POST", "/mcp", fields, 42, true);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head,
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "Accept: application/json, text/event-stream\r\nMcp-Session-Id: abc\r\n"
            "Content-Length: 42\r\n\r\n");
  auto get = request_head("GET", "/mcp", fields, 0, false);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->find("Content-Length"), std::string::npos);
  EXPECT_EQ(get->substr(get->size() - 4), "\r\n\r\n");
}

TEST(RequestHeadTest, ALaterFieldReplacesOneOfTheSameName) {
  HeadFields fields;
  set_head_field(fields, "User-Agent", "mcpgate-gateway/0.1");
  set_head_field(fields, "user-agent", "configured");
  ASSERT_EQ(fields.size(), 1u);
  auto head = request_head("POST", "/", fields, 0, true);
  ASSERT_TRUE(head.ok());
  EXPECT_NE(head->find("User-Agent: configured\r\n"), std::string::npos);
  EXPECT_EQ(head->find("mcpgate-gateway"), std::string::npos);
}

// A value from an upstream (protocol version, session id), the configuration or the vault that
// holds a line break must not add a header of its own (request smuggling / header injection).
TEST(RequestHeadTest, RefusesNamesAndValuesThatBreakTheLine) {
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"MCP-Protocol-Version", "2025-11-25\r\nX-Injected: 1"},
      {"Mcp-Session-Id", "abc\ndef"},
      {"Authorization", "Bearer a\rb"},
      {"Authorization", std::string("Bearer a\0b", 10)},
      {"X-Bad:Name", "v"},
      {"X Bad", "v"},
      {"X-Bad\r\n", "v"},
      {"", "v"},
  };
  for (const auto& [name, value] : hostile) {
    HeadFields fields;
    set_head_field(fields, "Host", "h");
    set_head_field(fields, name, value);
    auto head = request_head("POST", "/mcp", fields, 1, true);
    EXPECT_FALSE(head.ok()) << name;
    if (!head.ok()) {
      EXPECT_EQ(head.error().code, ErrorCode::kInternal);
      EXPECT_EQ(head.error().message.find("X-Injected"), std::string::npos);  // no echo of values
    }
  }
}

TEST(ToolCallParamsTextTest, IsWhatTheJsonFormSerialisesTo) {
  const Json args = Json::parse(R"({"b":[1,2,{"c":"\u00e9\n"}],"a":null})");
  const std::string text = tool_call_params_text("tool\"name", args, "gw-x-1");
  EXPECT_EQ(text, tool_call_params("tool\"name", args, "gw-x-1").dump());
  EXPECT_EQ(Json::parse(text)["arguments"], args);
}

}  // namespace
}  // namespace mcpgate::gateway
