#pragma once
// The admin plane's operations as data (issue 9): for each, its HTTP method and path, the scope
// a token must carry, the permission the caller must hold on `organization:<their org>` in
// their organization's authorization store, and its typed arguments. Everything that exposes an
// operation reads this one table, so an operation cannot be reachable without being described
// and checked:
//   * the Admin API router and its OpenAPI document (admin_api.cpp, openapi.cpp),
//   * the admin MCP server's tools and their input schemas (/admin/mcp),
//   * the CLI's `mcpgate admin` subcommands,
//   * the authorization tests, which call every operation with and without the permission.
// What an operation does is bound separately, by operation id (handlers.hpp).
//
// Arguments are one JSON object whatever the channel: the HTTP layer gathers them from the
// path, the query and the JSON body; an MCP client sends them as the tool's arguments.
// check_arguments() is the one validator. Paths are relative to kApiBase; a "{name}" segment
// matches one path segment that is a valid identifier (valid_id); nothing is percent-decoded,
// so "%2F" or ".." can never become another path.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/message.hpp"

namespace mcpgate::admin {

using Json = nlohmann::json;

inline constexpr std::string_view kApiBase = "/admin/api/v1";
inline constexpr std::string_view kOpenApiPath = "/admin/openapi.json";
inline constexpr std::string_view kReadScope = "admin:read";
inline constexpr std::string_view kWriteScope = "admin:write";

// Where the HTTP API takes an argument from (an MCP tool takes all of them as its arguments).
enum class ParamIn { kPath, kQuery, kBody };

enum class ParamType {
  kId,           // a string that is valid_id()
  kString,       // a string of at most max_length bytes (no control characters)
  kInteger,      // min..max
  kBoolean,
  kStringArray,  // at most max_items strings, each at most max_length bytes
  kObject,       // a JSON object (the handler checks its members), at most max_length bytes
  kText,         // a multi-line string (tabs and line breaks allowed), at most max_length bytes
  kObjectArray,  // at most max_items JSON objects (the handler checks their members), at most
                 // max_length bytes serialised
};

struct Param {
  std::string_view name;
  ParamIn in = ParamIn::kQuery;
  ParamType type = ParamType::kString;
  bool required = false;
  std::string_view description;
  std::int64_t min = 0;                // kInteger
  std::int64_t max = 0;                // kInteger
  std::size_t max_length = 256;        // kString, kStringArray items, kObject (serialised)
  std::size_t max_items = 100;         // kStringArray
  std::vector<std::string_view> one_of;  // kString: the allowed values (empty: any)
};

struct Operation {
  std::string_view operation_id;  // OpenAPI operationId; the MCP tool is its snake_case
  http::bhttp::verb method;
  std::string_view path;          // template below kApiBase, e.g. "/users/{user_id}"
  std::string_view scope;         // kReadScope or kWriteScope
  std::string_view permission;    // relation checked on organization:<org>
  std::string_view summary;
  std::string_view result_schema;  // the OpenAPI component schema of a 200 answer
  std::vector<Param> params;       // path parameters in template order, then the others
  bool paged = false;              // also takes limit and cursor (added by operations())
  // Changes or removes something that is not restored by calling again (revocations,
  // deactivation, deletions): MCP destructiveHint, and /admin/mcp asks a human first.
  bool destructive = false;
  // Acts on the whole gate, not on one organization (client registrations, signing and vault
  // keys, upstreams, configuration): only callers of the operator organization may call it
  // (RunnerOptions::operator_org), on top of its permission there.
  bool gate_wide = false;

  bool read_only() const { return method == http::bhttp::verb::get; }
  bool has_body() const;
};

// Rows of the table by area, each in its own file (build_operations() appends them).
std::vector<Operation> policy_operations();    // operations_policy.cpp
std::vector<Operation> runtime_operations();   // operations_runtime.cpp
std::vector<Operation> insight_operations();   // operations_insight.cpp
// sessions, organizations, groups, clients, audit, signing keys (operations_identity.cpp).
std::vector<Operation> identity_operations();
// The OpenAPI component schemas of an area's answers (openapi.cpp's schemas() adds them).
void add_insight_schemas(Json& schemas);

// The common shapes of a row's parameters, for the area files.
Param path_param(std::string_view name, std::string_view description);  // required id
Param query_param(std::string_view name, ParamType type, std::size_t max_length,
                  std::string_view description);
Param body_param(std::string_view name, ParamType type, std::size_t max_length, bool required,
                 std::string_view description);

// The table, in the order the OpenAPI document and the tool list show it.
const std::vector<Operation>& operations();
const Operation* find_operation(std::string_view operation_id);

// The reason an operator may give for any change: recorded in the admin_call line.
Param reason_param();

// A path below kApiBase matched against the table.
struct RouteMatch {
  const Operation* op = nullptr;     // null: no operation for this path and method
  std::vector<std::string> params;   // the template's values, in order
  bool path_known = false;           // some operation has this path (so: 405, not 404)
  std::string allow;                 // the methods the path has ("GET, POST"), for 405
};
RouteMatch match_route(http::bhttp::verb method, std::string_view path);

// Identifiers in paths and cursors: 1 to 128 of A-Z a-z 0-9 and "-._~@+=", not "." or "..".
bool valid_id(std::string_view id);

// `args` against the operation's parameters: an object whose members are all declared, of
// their type and within their bounds, with every required one present. kInvalidArgument names
// the first offending member (never echoes its value).
Status check_arguments(const Operation& op, const Json& args, std::size_t max_page_size);

// The JSON Schema (2020-12) of the operation's arguments as one object: the MCP tool's
// inputSchema. `in` filters to the parameters taken from one place (the OpenAPI body schema).
Json arguments_schema(const Operation& op, std::size_t max_page_size);
Json parameter_schema(const Param& p, std::size_t max_page_size);
Json body_schema(const Operation& op);

// "listUserGrants" -> "list_user_grants".
std::string snake_case(std::string_view operation_id);

}  // namespace mcpgate::admin
