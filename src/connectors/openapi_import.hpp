#pragma once
// OpenAPI 3.0 / 3.1 → connector tools. Each operation becomes a ToolDef in the same form as a
// hand-written one (and passes the same semantic checks), so the executor has one code path.
//
// Mapping: the name is the operationId in snake_case (or method + path when there is none),
// prefixed by the connector id, at most 64 characters, de-duplicated; path, query and header
// parameters and the JSON (or form) request body become one flat inputSchema — unless a
// name collides, then the body moves under a single `body` argument; local `$ref`s are inlined
// (cycles and oversized expansions are errors); annotations follow the HTTP method.
// Security parameters (Authorization, the spec's apiKey parameters) are dropped: the gateway
// injects credentials itself.

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/connector.hpp"
#include "core/result.hpp"

namespace mcpgate::connectors {

struct OpenApiImportOptions {
  std::string connector_id;  // ^[a-z][a-z0-9_]{0,23}$, the tool-name prefix
  std::string server_url;    // overrides servers[0].url
  std::vector<std::string> include_operations;  // operationIds; empty = all
  std::vector<std::string> include_tags;        // empty = all
  std::vector<std::string> exclude_operations;
  std::vector<std::string> exclude_tags;
  std::vector<std::string> hosts;  // allowed API hosts; empty = the server URL's host
  bool allow_loopback_http = false;
  std::vector<std::pair<std::string, std::string>> headers;  // sent on every request
  size_t max_schema_nodes = 50'000;  // per operation, after inlining $refs
};

struct OpenApiImport {
  std::vector<ToolDef> tools;
  std::vector<std::string> warnings;  // operations or parameters left out, and why
  std::set<std::string> operation_ids;  // every operationId of the document, selected or not
  std::set<std::string> tags;           // every operation tag of the document
};

Result<OpenApiImport> import_openapi(const Json& spec, const OpenApiImportOptions& options);

// YAML or JSON text (same limits and line reporting as connector files): errors read
// "SOURCE:LINE: operationId: message", the line of the operation (or server) at fault.
Result<OpenApiImport> import_openapi_text(std::string_view text, std::string_view source,
                                          const OpenApiImportOptions& options);

// "getPetById" → "get_pet_by_id"; "" when nothing usable is left.
std::string snake_case_name(std::string_view operation_id);

}  // namespace mcpgate::connectors
