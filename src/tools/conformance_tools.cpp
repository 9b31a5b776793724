// Session-era conformance fixtures (2025-11-25 server scenarios).

#include <chrono>

#include "mcp/json_io.hpp"
#include "tools/conformance_fixtures.hpp"

namespace mcpgate::tools::conformance {

namespace {

using mcp::Json;
using mcp::ToolContext;

Json descriptor(const char* name, const char* description, Json schema = no_args_schema()) {
  return Json{{"name", name}, {"description", description}, {"inputSchema", std::move(schema)}};
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

Json image_item() {
  return Json{{"type", "image"}, {"data", png_base64()}, {"mimeType", "image/png"}};
}

asio::awaitable<Result<Json>> simple_text(Json, ToolContext&) {
  co_return mcp::tool_result_text("This is a simple text response for testing.");
}

asio::awaitable<Result<Json>> image_content(Json, ToolContext&) {
  co_return Json{{"content", Json::array({image_item()})}};
}

asio::awaitable<Result<Json>> audio_content(Json, ToolContext&) {
  co_return Json{
      {"content",
       Json::array({Json{{"type", "audio"}, {"data", wav_base64()}, {"mimeType", "audio/wav"}}})}};
}

asio::awaitable<Result<Json>> embedded_resource(Json, ToolContext&) {
  Json resource{{"uri", "test://embedded-resource"},
                {"mimeType", "text/plain"},
                {"text", "This is an embedded resource content."}};
  co_return Json{{"content", Json::array({Json{{"type", "resource"}, {"resource", resource}}})}};
}

asio::awaitable<Result<Json>> multiple_content_types(Json, ToolContext&) {
  Json resource{{"uri", "test://mixed-content-resource"},
                {"mimeType", "application/json"},
                {"text", mcp::dump_json(Json{{"test", "data"}, {"value", 123}})}};
  co_return Json{{"content",
                  Json::array({mcp::text_content("Multiple content types test:"),
                               image_item(),
                               Json{{"type", "resource"}, {"resource", resource}}})}};
}

asio::awaitable<Result<Json>> tool_with_logging(Json, ToolContext& ctx) {
  co_await ctx.log("info", "Tool execution started");
  co_await sleep_for(std::chrono::milliseconds(50));
  co_await ctx.log("info", "Tool processing data");
  co_await sleep_for(std::chrono::milliseconds(50));
  co_await ctx.log("info", "Tool execution completed");
  co_return mcp::tool_result_text("Tool with logging executed successfully");
}

asio::awaitable<Result<Json>> tool_with_progress(Json, ToolContext& ctx) {
  for (int step = 0; step <= 100; step += 50) {
    if (ctx.cancelled()) {
      co_return mcp::tool_error("Cancelled");
    }
    co_await ctx.progress(step, 100.0, "Completed step " + std::to_string(step) + " of 100");
    if (step < 100) {
      co_await sleep_for(std::chrono::milliseconds(50));
    }
  }
  co_return mcp::tool_result_text("Progress test completed");
}

asio::awaitable<Result<Json>> error_handling(Json, ToolContext&) {
  co_return mcp::tool_error("This tool intentionally returns an error for testing");
}

asio::awaitable<Result<Json>> reconnection(Json, ToolContext& ctx) {
  ctx.close_stream();  // the client must reconnect with Last-Event-ID to get the result
  co_await sleep_for(std::chrono::milliseconds(100));
  co_return mcp::tool_result_text(
      "Reconnection test completed successfully. If you received this, the client properly "
      "reconnected after stream closure.");
}

asio::awaitable<Result<Json>> sampling(Json args, ToolContext& ctx) {
  Json params{{"messages",
               Json::array({Json{{"role", "user"},
                                 {"content", mcp::text_content(args.value("prompt", ""))}}})},
              {"maxTokens", 100}};
  auto result = co_await ctx.request_client("sampling/createMessage", std::move(params));
  if (!result) {
    co_return mcp::tool_result_text("Sampling not supported or error: " + result.error().message);
  }
  std::string text = "No response";
  if (auto content = result->find("content"); content != result->end() && content->is_object()) {
    text = content->value("text", text);
  }
  co_return mcp::tool_result_text("LLM response: " + text);
}

std::string describe_elicitation(const char* prefix, const Json& result) {
  const Json content = result.value("content", Json::object());
  return std::string(prefix) + "action=" + result.value("action", "unknown")
         + ", content=" + mcp::dump_json(content.is_null() ? Json::object() : content);
}

asio::awaitable<Result<Json>> elicit(ToolContext& ctx, Json params, const char* prefix) {
  auto result = co_await ctx.request_client("elicitation/create", std::move(params));
  if (!result) {
    co_return mcp::tool_result_text("Elicitation not supported or error: "
                                    + result.error().message);
  }
  co_return mcp::tool_result_text(describe_elicitation(prefix, *result));
}

asio::awaitable<Result<Json>> elicitation(Json args, ToolContext& ctx) {
  Json schema{
      {"type", "object"},
      {"properties", {{"response", {{"type", "string"}, {"description", "User's response"}}}}},
      {"required", Json::array({"response"})}};
  Json params{{"message", args.value("message", "")}, {"requestedSchema", std::move(schema)}};
  co_return co_await elicit(ctx, std::move(params), "User response: ");
}

asio::awaitable<Result<Json>> elicitation_defaults(Json, ToolContext& ctx) {
  Json props{{"name", {{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
             {"age", {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
             {"score", {{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
             {"status",
              {{"type", "string"},
               {"description", "User status"},
               {"enum", Json::array({"active", "inactive", "pending"})},
               {"default", "active"}}},
             {"verified",
              {{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}};
  Json params{{"message", "Please review and update the form fields with defaults"},
              {"requestedSchema",
               {{"type", "object"}, {"properties", props}, {"required", Json::array()}}}};
  co_return co_await elicit(ctx, std::move(params), "Elicitation completed: ");
}

Json titled_options(const char* a, const char* b, const char* c, const char* word) {
  Json out = Json::array();
  const char* values[] = {a, b, c};
  const char* ordinals[] = {"First", "Second", "Third"};
  for (int i = 0; i < 3; ++i) {
    out.push_back(Json{{"const", values[i]}, {"title", std::string(ordinals[i]) + " " + word}});
  }
  return out;
}

asio::awaitable<Result<Json>> elicitation_enums(Json, ToolContext& ctx) {
  Json props{
      {"untitledSingle",
       {{"type", "string"},
        {"description", "Select one option"},
        {"enum", Json::array({"option1", "option2", "option3"})}}},
      {"titledSingle",
       {{"type", "string"},
        {"description", "Select one option with titles"},
        {"oneOf", titled_options("value1", "value2", "value3", "Option")}}},
      {"legacyEnum",
       {{"type", "string"},
        {"description", "Select one option (legacy)"},
        {"enum", Json::array({"opt1", "opt2", "opt3"})},
        {"enumNames", Json::array({"Option One", "Option Two", "Option Three"})}}},
      {"untitledMulti",
       {{"type", "array"},
        {"description", "Select multiple options"},
        {"minItems", 1},
        {"maxItems", 3},
        {"items", {{"type", "string"}, {"enum", Json::array({"option1", "option2", "option3"})}}}}},
      {"titledMulti",
       {{"type", "array"},
        {"description", "Select multiple options with titles"},
        {"minItems", 1},
        {"maxItems", 3},
        {"items", {{"anyOf", titled_options("value1", "value2", "value3", "Choice")}}}}}};
  Json params{{"message", "Please select options from the enum fields"},
              {"requestedSchema",
               {{"type", "object"}, {"properties", props}, {"required", Json::array()}}}};
  co_return co_await elicit(ctx, std::move(params), "Elicitation completed: ");
}

asio::awaitable<Result<Json>> json_schema_tool(Json args, ToolContext&) {
  co_return mcp::tool_result_text("JSON Schema 2020-12 tool called with: " + mcp::dump_json(args));
}

Json json_schema_2020_12() {
  Json address{{"$anchor", "addressDef"},
               {"type", "object"},
               {"properties", {{"street", {{"type", "string"}}}, {"city", {{"type", "string"}}}}}};
  Json one_contact = Json::array(
      {Json{{"required", Json::array({"phone"})}}, Json{{"required", Json::array({"email"})}}});
  return Json{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
              {"type", "object"},
              {"$defs", {{"address", address}}},
              {"properties",
               {{"name", {{"type", "string"}}},
                {"address", {{"$ref", "#/$defs/address"}}},
                {"contactMethod", {{"type", "string"}, {"enum", Json::array({"phone", "email"})}}},
                {"phone", {{"type", "string"}}},
                {"email", {{"type", "string"}}}}},
              {"allOf", Json::array({Json{{"anyOf", one_contact}}})},
              {"if",
               {{"properties", {{"contactMethod", {{"const", "phone"}}}}},
                {"required", Json::array({"contactMethod"})}}},
              {"then", {{"required", Json::array({"phone"})}}},
              {"else", {{"required", Json::array({"email"})}}},
              {"additionalProperties", false}};
}

}  // namespace

void register_session_tools(mcp::Registry& registry) {
  registry.add_tool(
      {descriptor("test_simple_text", "Tests simple text content response"), simple_text});
  registry.add_tool(
      {descriptor("test_image_content", "Tests image content response"), image_content});
  registry.add_tool(
      {descriptor("test_audio_content", "Tests audio content response"), audio_content});
  registry.add_tool(
      {descriptor("test_embedded_resource", "Tests embedded resource content response"),
       embedded_resource});
  registry.add_tool(
      {descriptor("test_multiple_content_types",
                  "Tests response with multiple content types (text, image, resource)"),
       multiple_content_types});
  registry.add_tool(
      {descriptor("test_tool_with_logging", "Tests tool that emits log messages during execution"),
       tool_with_logging});
  registry.add_tool(
      {descriptor("test_tool_with_progress", "Tests tool that reports progress notifications"),
       tool_with_progress});
  registry.add_tool(
      {descriptor("test_error_handling", "Tests error response handling"), error_handling});
  registry.add_tool(
      {descriptor("test_reconnection",
                  "Tests SSE stream disconnection and client reconnection (SEP-1699): the server "
                  "closes the stream mid-call and delivers the result after the client reconnects"),
       reconnection});
  registry.add_tool(
      {descriptor("test_sampling",
                  "Tests server-initiated sampling (LLM completion request)",
                  Json{{"type", "object"},
                       {"properties",
                        {{"prompt",
                          {{"type", "string"}, {"description", "The prompt to send to the LLM"}}}}},
                       {"required", Json::array({"prompt"})}}),
       sampling});
  registry.add_tool(
      {descriptor("test_elicitation",
                  "Tests server-initiated elicitation (user input request)",
                  Json{{"type", "object"},
                       {"properties",
                        {{"message",
                          {{"type", "string"}, {"description", "The message to show the user"}}}}},
                       {"required", Json::array({"message"})}}),
       elicitation});
  registry.add_tool({descriptor("test_elicitation_sep1034_defaults",
                                "Tests elicitation with default values per SEP-1034"),
                     elicitation_defaults});
  registry.add_tool({descriptor("test_elicitation_sep1330_enums",
                                "Tests elicitation with enum schema improvements per SEP-1330"),
                     elicitation_enums});
  registry.add_tool(
      {descriptor("json_schema_2020_12_tool",
                  "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
                  json_schema_2020_12()),
       json_schema_tool});
}

}  // namespace mcpgate::tools::conformance
