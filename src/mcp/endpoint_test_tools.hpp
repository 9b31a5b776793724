#pragma once
// Tools used by the endpoint unit tests.

#include "mcp/registry.hpp"

namespace mcpgate::mcp::testing {

// A JSON-RPC request object.
inline Json request(int id, const std::string& method, Json params = Json::object()) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

inline asio::awaitable<Result<Json>> echo_tool(Json args, ToolContext&) {
  co_return tool_result_text("echo:" + args.value("text", ""));
}

inline asio::awaitable<Result<Json>> chatty_tool(Json, ToolContext& ctx) {
  co_await ctx.log("debug", "debug line");
  co_await ctx.log("info", "info line");
  co_await ctx.progress(1, 2.0, "half");
  co_return tool_result_text("done");
}

inline asio::awaitable<Result<Json>> sampling_tool(Json, ToolContext& ctx) {
  // (Built outside the co_await: g++ 12 miscompiles initializer lists inside co_await operands.)
  Json params = Json::object();
  params["messages"] = Json::array();
  params["maxTokens"] = 5;
  auto r = co_await ctx.request_client("sampling/createMessage", std::move(params));
  if (!r) {
    co_return tool_error(r.error().message);
  }
  co_return tool_result_text("model said " + (*r)["content"].value("text", ""));
}

inline asio::awaitable<Result<Json>> reconnect_tool(Json, ToolContext& ctx) {
  ctx.close_stream();
  co_return tool_result_text("after reconnect");
}

inline asio::awaitable<Result<Json>> mrtr_tool(Json, ToolContext& ctx) {
  if (ctx.request_state() == "round-1" && ctx.input_responses().is_object()
      && ctx.input_responses().contains("name")) {
    co_return tool_result_text("hello "
                               + ctx.input_responses()["name"]["content"].value("name", ""));
  }
  co_return input_required_result(
      Json{{"name", {{"method", "elicitation/create"}, {"params", Json::object()}}}}, "round-1");
}

// "Open this page first" (a connector without a connection): a URL elicitation as the Error.
inline asio::awaitable<Result<Json>> connect_first_tool(Json, ToolContext&) {
  co_return url_elicitation_required(
      "Connect your account: open https://gate.example/connect/fake",
      {UrlElicitation{"el-1", "https://gate.example/connect/fake", "Connect your account"}});
}

inline void register_connect_first_tool(Registry& r) {
  r.add_tool({Json{{"name", "connect_first"},
                   {"description", "Needs a connection"},
                   {"inputSchema", {{"type", "object"}}}},
              connect_first_tool});
}

inline asio::awaitable<Result<Json>> read_text(std::string uri,
                                               std::map<std::string, std::string>,
                                               ToolContext&) {
  co_return Json{
      {"contents", Json::array({Json{{"uri", uri}, {"mimeType", "text/plain"}, {"text", "hi"}}})}};
}

inline void register_test_tools(Registry& r) {
  r.add_tool({Json{{"name", "echo"},
                   {"description", "Echo"},
                   {"inputSchema",
                    {{"type", "object"},
                     {"properties", {{"text", {{"type", "string"}, {"maxLength", 10}}}}},
                     {"required", Json::array({"text"})}}}},
              echo_tool});
  r.add_tool(
      {Json{{"name", "chatty"}, {"description", "Logs"}, {"inputSchema", {{"type", "object"}}}},
       chatty_tool});
  r.add_tool(
      {Json{{"name", "sample"}, {"description", "Samples"}, {"inputSchema", {{"type", "object"}}}},
       sampling_tool});
  r.add_tool(
      {Json{
           {"name", "reconnect"}, {"description", "Closes"}, {"inputSchema", {{"type", "object"}}}},
       reconnect_tool});
  Tool mrtr{Json{{"name", "mrtr"}, {"description", "MRTR"}, {"inputSchema", {{"type", "object"}}}},
            mrtr_tool};
  mrtr.stateless_only = true;
  r.add_tool(mrtr);
  Tool needs{Json{{"name", "needs_sampling"},
                  {"description", "Needs"},
                  {"inputSchema", {{"type", "object"}}}},
             echo_tool};
  needs.required_client_capabilities = Json{{"sampling", Json::object()}};
  needs.descriptor["inputSchema"] = Json{{"type", "object"}};
  r.add_tool(needs);
  r.add_resource({Json{{"uri", "test://r"}, {"name", "r"}}, read_text});
}

}  // namespace mcpgate::mcp::testing
