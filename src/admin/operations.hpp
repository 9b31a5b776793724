#pragma once
// The Admin API's operations as data (issue 9 item 1): method, path template, the scope a token
// must carry and the permission the caller must hold on `organization:<their org>` in their
// organization's authorization store. The router (admin_api.cpp), the OpenAPI document
// (openapi.cpp) and the authorization tests all read this one table, so an operation cannot be
// routed without being described and checked.
//
// Paths are relative to kApiBase. A template segment "{name}" matches one path segment that
// is a valid identifier (valid_id below); nothing is percent-decoded, so "%2F" or ".." can
// never become another path.

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace mcpgate::admin {

inline constexpr std::string_view kApiBase = "/admin/api/v1";
inline constexpr std::string_view kOpenApiPath = "/admin/openapi.json";
inline constexpr std::string_view kReadScope = "admin:read";
inline constexpr std::string_view kWriteScope = "admin:write";

enum class OpId {
  kListUsers,
  kGetUser,
  kDeactivateUser,
  kReactivateUser,
  kListUserGrants,
  kRevokeUserGrant,
  kListClients,
};

struct Operation {
  OpId id;
  std::string_view operation_id;  // OpenAPI operationId
  http::bhttp::verb method;
  std::string_view path;         // template below kApiBase, e.g. "/users/{user_id}"
  std::string_view scope;        // kReadScope or kWriteScope
  std::string_view permission;   // relation checked on organization:<org>
  std::string_view summary;
  bool has_body = false;         // accepts an optional JSON body ({"reason": ...})
  bool paged = false;            // takes limit and cursor
};

const std::vector<Operation>& operations();

// A path below kApiBase matched against the table.
struct RouteMatch {
  const Operation* op = nullptr;     // null: no operation for this path and method
  std::vector<std::string> params;   // the template's values, in order
  bool path_known = false;           // some operation has this path (so: 405, not 404)
  bool bad_id = false;               // a segment in an {id} position is not a valid id
  std::string allow;                 // the methods the path has ("GET, POST"), for 405
};
RouteMatch match_route(http::bhttp::verb method, std::string_view path);

// Identifiers in paths and cursors: 1 to 128 of A-Z a-z 0-9 and "-._~@+=", not "." or "..".
bool valid_id(std::string_view id);

}  // namespace mcpgate::admin
