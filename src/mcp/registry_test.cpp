#include "mcp/registry.hpp"

#include <gtest/gtest.h>

namespace mcpgate::mcp {
namespace {

asio::awaitable<Result<Json>> noop(Json, ToolContext&) {
  co_return tool_result_text("ok");
}

Tool tool_named(const std::string& name) {
  return Tool{Json{{"name", name}, {"description", "d"}, {"inputSchema", {{"type", "object"}}}},
              noop};
}

TEST(RegistryTest, KeepsRegistrationOrderAndReplacesInPlace) {
  Registry r;
  r.add_tool(tool_named("a"));
  r.add_tool(tool_named("b"));
  auto replacement = tool_named("a");
  replacement.descriptor["description"] = "new";
  r.add_tool(replacement);
  auto tools = r.tools();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0].descriptor["description"], "new");
  EXPECT_EQ(tools[1].descriptor["name"], "b");
  ASSERT_NE(r.find_tool("b"), nullptr);
  EXPECT_EQ(r.find_tool("zzz"), nullptr);
}

TEST(RegistryTest, LooksToolsUpByNameAcrossReplaceAndRemove) {
  Registry r;
  for (const char* name : {"a", "b", "c", "a_long_tool_name_beyond_small_string_size"}) {
    r.add_tool(tool_named(name));
  }
  auto replacement = tool_named("b");
  replacement.descriptor["description"] = "new b";
  r.add_tool(replacement);
  ASSERT_NE(r.get_tool("b"), nullptr);
  EXPECT_EQ(r.get_tool("b")->descriptor["description"], "new b");
  EXPECT_NE(r.get_tool("a_long_tool_name_beyond_small_string_size"), nullptr);
  EXPECT_TRUE(r.remove_tool("a"));
  EXPECT_FALSE(r.remove_tool("a"));
  EXPECT_EQ(r.get_tool("a"), nullptr);
  auto tools = r.tools();
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0].descriptor["name"], "b");
  EXPECT_EQ(tools[0].descriptor["description"], "new b");
  EXPECT_EQ(tools[1].descriptor["name"], "c");
  r.add_tool(tool_named("a"));  // back, at the end
  EXPECT_EQ(r.tools().back().descriptor["name"], "a");
}

TEST(RegistryTest, DecidesFromTheSchemaWhetherAnyObjectOfArgumentsIsValid) {
  Registry r;
  auto open = tool_named("open");
  open.input_accepts_any_object = false;  // the registry decides, not the caller
  r.add_tool(open);
  auto closed = tool_named("closed");
  closed.descriptor["inputSchema"] = {{"type", "object"}, {"required", {"x"}}};
  closed.input_accepts_any_object = true;
  r.add_tool(closed);
  auto none = tool_named("none");
  none.descriptor.erase("inputSchema");
  r.add_tool(none);
  EXPECT_TRUE(r.get_tool("open")->input_accepts_any_object);
  EXPECT_FALSE(r.get_tool("closed")->input_accepts_any_object);
  EXPECT_FALSE(r.get_tool("none")->input_accepts_any_object);
  // A replacement is judged again.
  auto narrowed = tool_named("open");
  narrowed.descriptor["inputSchema"]["additionalProperties"] = false;
  r.add_tool(narrowed);
  EXPECT_FALSE(r.get_tool("open")->input_accepts_any_object);
}

TEST(RegistryTest, ListenersSeeListChangesAndResourceUpdates) {
  Registry r;
  std::vector<ChangeEvent> seen;
  const auto id = r.add_listener([&](const ChangeEvent& e) { seen.push_back(e); });
  r.add_tool(tool_named("a"));
  EXPECT_TRUE(r.remove_tool("a"));
  EXPECT_FALSE(r.remove_tool("a"));
  r.notify_resource_updated("test://x");
  r.remove_listener(id);
  r.add_tool(tool_named("b"));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kind, ChangeKind::kToolsListChanged);
  EXPECT_EQ(seen[2].kind, ChangeKind::kResourceUpdated);
  EXPECT_EQ(seen[2].uri, "test://x");
}

TEST(RegistryTest, MatchesLevelOneUriTemplates) {
  auto vars = match_uri_template("test://template/{id}/data", "test://template/123/data");
  ASSERT_TRUE(vars.has_value());
  EXPECT_EQ((*vars)["id"], "123");
  EXPECT_FALSE(
      match_uri_template("test://template/{id}/data", "test://template//data").has_value());
  EXPECT_FALSE(
      match_uri_template("test://template/{id}/data", "test://template/1/2/data").has_value());
  EXPECT_FALSE(
      match_uri_template("test://template/{id}/data", "test://template/1/datax").has_value());
}

TEST(RegistryTest, ResolvesFixedResourcesBeforeTemplates) {
  Registry r;
  r.add_resource_template({Json{{"uriTemplate", "file:///{name}"}, {"name", "t"}}, {}, {}});
  r.add_resource({Json{{"uri", "file:///fixed"}, {"name", "fixed"}}, {}});
  auto fixed = r.resolve_resource("file:///fixed");
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(fixed->descriptor["name"], "fixed");
  auto templated = r.resolve_resource("file:///other");
  ASSERT_TRUE(templated.has_value());
  EXPECT_EQ(templated->vars["name"], "other");
  EXPECT_FALSE(r.resolve_resource("http://nope").has_value());
}

}  // namespace
}  // namespace mcpgate::mcp
