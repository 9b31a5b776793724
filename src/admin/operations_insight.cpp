// The admin plane's "insight" operations (issue 9; the web console's overview and blast-radius
// pages read them, and so can the API, the admin MCP server and the CLI): call statistics from
// the audit log, and what a user + agent pair may do. Their rows of the table and the schemas of
// their answers; the handlers are in insight_service.cpp.
#include "admin/operations.hpp"

namespace mcpgate::admin {

using http::bhttp::verb;

std::vector<Operation> insight_operations() {
  Param hours;
  hours.name = "hours";
  hours.in = ParamIn::kQuery;
  hours.type = ParamType::kInteger;
  hours.min = 1;
  hours.max = 168;
  hours.description = "The window: the last N hours (default 24), in 24 buckets";
  Param user_id;
  user_id.name = "user_id";
  user_id.in = ParamIn::kPath;
  user_id.type = ParamType::kId;
  user_id.required = true;
  user_id.description = "A user of the caller's organization";
  Param client_id;
  client_id.name = "client_id";
  client_id.in = ParamIn::kQuery;
  client_id.type = ParamType::kString;
  client_id.max_length = 512;  // CIMD client ids are URLs
  client_id.description = "The agent (OAuth client); without it only the user's own checks";
  return {
      {"getCallStats", verb::get, "/stats/calls", kReadScope, "can_read_audit",
       "Tool calls, denials and errors per tool and per upstream over time (from the audit log)",
       "CallStats", {hours}, false, false},
      {"getAgentAccess", verb::get, "/users/{user_id}/access", kReadScope, "can_read_grants",
       "What a user + agent pair may do: both policy checks of every tool, and whether the "
       "pair's live grants carry a scope for it",
       "AgentAccess", {user_id, client_id}, false, false},
  };
}

namespace {

Json insight_object(const Json& properties, const Json& required) {
  Json s = {{"type", "object"}};
  s["properties"] = properties;
  s["required"] = required;
  return s;
}

Json insight_int_series() {
  Json s = {{"type", "array"}};
  s["items"] = Json{{"type", "integer"}};
  return s;
}

}  // namespace

void add_insight_schemas(Json& s) {
  {
    Json series = Json::object();
    series["calls"] = insight_int_series();
    series["denied"] = insight_int_series();
    series["errors"] = insight_int_series();
    Json p = Json::object();
    p["name"] = Json{{"type", "string"}};
    p["calls"] = Json{{"type", "integer"}};
    p["denied"] = Json{{"type", "integer"}};
    p["errors"] = Json{{"type", "integer"}};
    p["series"] = insight_object(series, Json::array({"calls", "denied", "errors"}));
    s["CallStatsRow"] = insight_object(p, Json::array({"name", "calls", "denied", "errors", "series"}));
  }
  {
    Json rows = {{"type", "array"}};
    rows["items"] = Json{{"$ref", "#/components/schemas/CallStatsRow"}};
    Json p = Json::object();
    p["since"] = Json{{"type", "integer"}, {"description", "Window start (unix ms)"}};
    p["until"] = Json{{"type", "integer"}, {"description", "Window end (unix ms)"}};
    p["bucket_seconds"] = Json{{"type", "integer"}};
    p["buckets"] = Json{{"type", "integer"}};
    p["total"] = Json{{"$ref", "#/components/schemas/CallStatsRow"}};
    p["by_tool"] = rows;
    p["by_upstream"] = rows;
    p["records_scanned"] = Json{{"type", "integer"}};
    p["complete"] = Json{{"type", "boolean"},
                         {"description", "false when the window reaches past the newest records "
                                         "the gate scans (the counts are then a lower bound)"}};
    s["CallStats"] = insight_object(p, Json::array({"since", "until", "bucket_seconds", "buckets",
                                                    "total", "by_tool", "by_upstream",
                                                    "records_scanned", "complete"}));
  }
  {
    Json p = Json::object();
    p["result"] = Json{{"type", "string"},
                       {"enum", Json::array({"allow", "deny", "conditional", "error"})}};
    p["detail"] = Json{{"type", "string"}};
    s["AccessCheck"] = insight_object(p, Json::array({"result", "detail"}));
  }
  {
    Json nullable_check = Json::object();
    nullable_check["oneOf"] =
        Json::array({Json{{"$ref", "#/components/schemas/AccessCheck"}}, Json{{"type", "null"}}});
    Json p = Json::object();
    p["server"] = Json{{"type", "string"}};
    p["tool"] = Json{{"type", "string"}};
    p["object"] = Json{{"type", "string"}};
    p["user_check"] = Json{{"$ref", "#/components/schemas/AccessCheck"}};
    p["client_check"] = nullable_check;
    p["verdict"] = Json{{"type", "string"},
                        {"enum", Json::array({"allow", "deny", "conditional"})},
                        {"description", "Both checks together (error counts as deny)"}};
    p["in_granted_scopes"] = Json{{"type", Json::array({"boolean", "null"})},
                                  {"description", "Whether a live grant of the pair carries a "
                                                  "scope for the tool (null without a client)"}};
    s["ToolAccess"] = insight_object(p, Json::array({"server", "tool", "object", "user_check",
                                                     "client_check", "verdict",
                                                     "in_granted_scopes"}));
  }
  {
    Json tools = {{"type", "array"}};
    tools["items"] = Json{{"$ref", "#/components/schemas/ToolAccess"}};
    Json grants = {{"type", "array"}};
    grants["items"] = Json{{"type", "string"}};
    Json p = Json::object();
    p["user_id"] = Json{{"type", "string"}};
    p["client_id"] = Json{{"type", Json::array({"string", "null"})}};
    p["grants"] = grants;
    p["tools"] = tools;
    p["allowed"] = Json{{"type", "integer"}};
    p["conditional"] = Json{{"type", "integer"}};
    p["denied"] = Json{{"type", "integer"}};
    s["AgentAccess"] = insight_object(p, Json::array({"user_id", "client_id", "grants", "tools",
                                                      "allowed", "conditional", "denied"}));
  }
}

}  // namespace mcpgate::admin
