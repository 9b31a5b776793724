// Stateless-era conformance fixtures (2026-07-28 server scenarios): MRTR tools and prompt,
// capability and logging probes, list-change triggers, an x-mcp-header tool.

#include "mcp/json_io.hpp"
#include "tools/conformance_fixtures.hpp"

namespace mcpgate::tools::conformance {

namespace {

using mcp::Json;
using mcp::ToolContext;

mcp::Tool stateless_tool(const char* name, const char* description, mcp::ToolHandler handler) {
  mcp::Tool tool{
      Json{{"name", name}, {"description", description}, {"inputSchema", no_args_schema()}},
      std::move(handler)};
  tool.stateless_only = true;
  return tool;
}

Json elicit_request(const char* message, const char* field, const char* type) {
  return Json{{"method", "elicitation/create"},
              {"params",
               {{"message", message},
                {"requestedSchema",
                 {{"type", "object"},
                  {"properties", {{field, {{"type", type}}}}},
                  {"required", Json::array({field})}}}}}};
}

Json sampling_request(const char* text, int max_tokens) {
  return Json{
      {"method", "sampling/createMessage"},
      {"params",
       {{"messages", Json::array({Json{{"role", "user"}, {"content", mcp::text_content(text)}}})},
        {"maxTokens", max_tokens}}}};
}

Json roots_request() {
  return Json{{"method", "roots/list"}, {"params", Json::object()}};
}

// The value of `field` in an elicitation response's content ("unknown" when absent).
std::string elicited(const Json& responses, const char* key, const char* field) {
  if (!responses.is_object() || !responses.contains(key)) {
    return "unknown";
  }
  const Json content = responses[key].value("content", Json::object());
  if (content.is_object()) {
    if (auto it = content.find(field); it != content.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return "unknown";
}

bool has_response(const Json& responses, const char* key) {
  return responses.is_object() && responses.contains(key) && responses[key].is_object();
}

size_t roots_count(const Json& responses, const char* key) {
  if (!has_response(responses, key)) {
    return 0;
  }
  auto roots = responses[key].find("roots");
  return (roots != responses[key].end() && roots->is_array()) ? roots->size() : 0;
}

std::string sampled_text(const Json& responses, const char* key, const char* fallback) {
  if (!has_response(responses, key)) {
    return fallback;
  }
  const Json content = responses[key].value("content", Json::object());
  return content.is_object() ? content.value("text", fallback) : std::string(fallback);
}

asio::awaitable<Result<Json>> missing_capability(Json, ToolContext&) {
  co_return mcp::tool_result_text("Success");  // only reached when the client declared sampling
}

asio::awaitable<Result<Json>> mrtr_elicitation(Json, ToolContext& ctx) {
  if (has_response(ctx.input_responses(), "user_name")) {
    co_return mcp::tool_result_text("Hello, " + elicited(ctx.input_responses(), "user_name", "name")
                                    + "!");
  }
  co_return mcp::input_required_result(
      Json{{"user_name", elicit_request("What is your name?", "name", "string")}});
}

asio::awaitable<Result<Json>> mrtr_sampling(Json, ToolContext& ctx) {
  if (has_response(ctx.input_responses(), "capital_question")) {
    co_return mcp::tool_result_text(
        "Sampling result: "
        + sampled_text(ctx.input_responses(), "capital_question", "no response"));
  }
  co_return mcp::input_required_result(
      Json{{"capital_question", sampling_request("What is the capital of France?", 100)}});
}

asio::awaitable<Result<Json>> mrtr_list_roots(Json, ToolContext& ctx) {
  if (has_response(ctx.input_responses(), "client_roots")) {
    co_return mcp::tool_result_text(
        "Found " + std::to_string(roots_count(ctx.input_responses(), "client_roots")) + " root(s)");
  }
  co_return mcp::input_required_result(Json{{"client_roots", roots_request()}});
}

asio::awaitable<Result<Json>> mrtr_request_state(Json, ToolContext& ctx) {
  const Json& responses = ctx.input_responses();
  if (ctx.request_state() == "request-state" && has_response(responses, "confirm")) {
    const Json content = responses["confirm"].value("content", Json::object());
    if (content.is_object() && content.value("ok", false) == true) {
      co_return mcp::tool_result_text("state-ok: requestState validated");
    }
  }
  co_return mcp::input_required_result(
      Json{{"confirm", elicit_request("Please confirm", "ok", "boolean")}}, "request-state");
}

asio::awaitable<Result<Json>> mrtr_multiple_inputs(Json, ToolContext& ctx) {
  const Json& r = ctx.input_responses();
  if (ctx.request_state() == "multiple-inputs" && has_response(r, "user_name")
      && has_response(r, "greeting") && has_response(r, "client_roots")) {
    co_return mcp::tool_result_text("Name: " + elicited(r, "user_name", "name")
                                    + "; Greeting: " + sampled_text(r, "greeting", "Hello there!")
                                    + "; Roots: " + std::to_string(roots_count(r, "client_roots")));
  }
  co_return mcp::input_required_result(
      Json{{"user_name", elicit_request("What is your name?", "name", "string")},
           {"greeting", sampling_request("Generate a greeting", 50)},
           {"client_roots", roots_request()}},
      "multiple-inputs");
}

asio::awaitable<Result<Json>> mrtr_multi_round(Json, ToolContext& ctx) {
  const Json& r = ctx.input_responses();
  const std::string state = ctx.request_state().value_or("");
  if (state == "round-1" && has_response(r, "step1")) {
    const std::string name = elicited(r, "step1", "name");
    co_return mcp::input_required_result(
        Json{{"step2", elicit_request("Step 2: What is your favorite color?", "color", "string")}},
        "round-2:" + name);
  }
  if (state.rfind("round-2:", 0) == 0 && has_response(r, "step2")) {
    co_return mcp::tool_result_text("Multi-round complete for " + state.substr(8) + " who likes "
                                    + elicited(r, "step2", "color"));
  }
  co_return mcp::input_required_result(
      Json{{"step1", elicit_request("Step 1: What is your name?", "name", "string")}}, "round-1");
}

asio::awaitable<Result<Json>> mrtr_tampered_state(Json, ToolContext& ctx) {
  // The protocol layer rejects a requestState whose HMAC does not verify before we get here.
  if (ctx.request_state() == "tamper-test" && has_response(ctx.input_responses(), "confirm")) {
    co_return mcp::tool_result_text("integrity-ok: state verified");
  }
  co_return mcp::input_required_result(
      Json{{"confirm", elicit_request("Please confirm", "ok", "boolean")}}, "tamper-test");
}

asio::awaitable<Result<Json>> mrtr_capabilities(Json, ToolContext& ctx) {
  const Json& responses = ctx.input_responses();
  if (responses.is_object() && !responses.empty()) {
    std::string keys;
    for (const auto& [key, value] : responses.items()) {
      keys += (keys.empty() ? "" : ",") + key;
    }
    co_return mcp::tool_result_text("capabilities-ok: received " + keys);
  }
  Json requests = Json::object();
  if (ctx.client_capabilities().contains("elicitation")) {
    requests["elicit_input"] = elicit_request("Elicitation input", "value", "string");
  }
  if (ctx.client_capabilities().contains("sampling")) {
    requests["sample_input"] = sampling_request("Sample request", 50);
  }
  if (requests.empty()) {
    co_return mcp::tool_result_text("No supported capabilities declared");
  }
  co_return mcp::input_required_result(std::move(requests), "capabilities-test");
}

asio::awaitable<Result<Json>> streaming_elicitation(Json, ToolContext& ctx) {
  co_await ctx.progress(50, 100.0, "Halfway");
  co_return mcp::tool_result_text("Streaming complete");
}

asio::awaitable<Result<Json>> logging_tool(Json, ToolContext& ctx) {
  // Delivered only when the request's _meta set io.modelcontextprotocol/logLevel.
  co_await ctx.log("info", "Diagnostic trace logging activated");
  co_return mcp::tool_result_text("Logging evaluated");
}

asio::awaitable<Result<Json>> trigger_change(mcp::Registry* registry, mcp::ChangeKind kind) {
  registry->notify_changed(kind);
  co_return mcp::tool_result_text("Mutation triggered");
}

asio::awaitable<Result<Json>> header_param(Json args, ToolContext&) {
  co_return mcp::tool_result_text("region=" + args.value("region", ""));
}

asio::awaitable<Result<Json>> mrtr_prompt(Json, ToolContext& ctx) {
  if (has_response(ctx.input_responses(), "user_context")) {
    const std::string context = elicited(ctx.input_responses(), "user_context", "context");
    co_return Json{
        {"messages",
         Json::array({Json{{"role", "user"},
                           {"content", mcp::text_content("Prompt with context: " + context)}}})}};
  }
  co_return mcp::input_required_result(
      Json{{"user_context",
            elicit_request("What context should the prompt use?", "context", "string")}});
}

}  // namespace

void register_stateless_tools(mcp::Registry& registry) {
  auto missing =
      stateless_tool("test_missing_capability", "Test tool requiring sampling", missing_capability);
  missing.required_client_capabilities = Json{{"sampling", Json::object()}};
  registry.add_tool(std::move(missing));
  registry.add_tool(stateless_tool("test_input_required_result_elicitation",
                                   "MRTR: returns InputRequiredResult with elicitation request",
                                   mrtr_elicitation));
  registry.add_tool(stateless_tool("test_input_required_result_sampling",
                                   "MRTR: returns InputRequiredResult with sampling request",
                                   mrtr_sampling));
  registry.add_tool(stateless_tool("test_input_required_result_list_roots",
                                   "MRTR: returns InputRequiredResult with roots/list request",
                                   mrtr_list_roots));
  registry.add_tool(stateless_tool("test_input_required_result_request_state",
                                   "MRTR: returns InputRequiredResult with requestState",
                                   mrtr_request_state));
  registry.add_tool(stateless_tool("test_input_required_result_multiple_inputs",
                                   "MRTR: returns InputRequiredResult with multiple input requests",
                                   mrtr_multiple_inputs));
  registry.add_tool(stateless_tool("test_input_required_result_multi_round",
                                   "MRTR: multi-round InputRequiredResult workflow",
                                   mrtr_multi_round));
  registry.add_tool(stateless_tool("test_input_required_result_tampered_state",
                                   "MRTR: HMAC-signed requestState integrity test",
                                   mrtr_tampered_state));
  registry.add_tool(stateless_tool("test_input_required_result_capabilities",
                                   "MRTR: respects client capabilities in inputRequests",
                                   mrtr_capabilities));
  registry.add_tool(stateless_tool("test_streaming_elicitation",
                                   "Diagnostic tool validating response progress streams",
                                   streaming_elicitation));
  registry.add_tool(
      stateless_tool("test_logging_tool", "Diagnostic logging validator tool", logging_tool));
  mcp::Registry* reg = &registry;
  registry.add_tool(stateless_tool("test_trigger_tool_change",
                                   "Fires notifications/tools/list_changed",
                                   [reg](Json, ToolContext&) {
                                     return trigger_change(reg, mcp::ChangeKind::kToolsListChanged);
                                   }));
  registry.add_tool(stateless_tool("test_trigger_prompt_change",
                                   "Fires notifications/prompts/list_changed",
                                   [reg](Json, ToolContext&) {
                                     return trigger_change(reg,
                                                           mcp::ChangeKind::kPromptsListChanged);
                                   }));
  auto header_tool = stateless_tool(
      "test_header_param", "Echoes a parameter mirrored into Mcp-Param-Region", header_param);
  header_tool.descriptor["inputSchema"] = Json{
      {"type", "object"},
      {"properties",
       {{"region", {{"type", "string"}, {"description", "Region"}, {"x-mcp-header", "Region"}}}}},
      {"required", Json::array({"region"})}};
  registry.add_tool(std::move(header_tool));

  mcp::Prompt prompt{Json{{"name", "test_input_required_result_prompt"},
                          {"description", "MRTR: prompt that requires elicitation input"}},
                     mrtr_prompt,
                     {}};
  prompt.stateless_only = true;
  registry.add_prompt(std::move(prompt));
}

}  // namespace mcpgate::tools::conformance
