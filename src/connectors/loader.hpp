#pragma once
// Loading a connector definition: YAML → JSON (with lines) → the shipped JSON Schema →
// semantic rules → ConnectorDef. Every error names the file and line:
// "connectors/github.yaml:42: /tools/3/request/url: host 'evil.example' is not in api.hosts".

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "connectors/connector.hpp"
#include "connectors/yaml_json.hpp"
#include "core/result.hpp"

namespace mcpgate::connectors {

// The JSON Schema of the format (connectors/schema/connector.schema.json, compiled in).
const Json& connector_schema();

// The document `openapi.file` names, as read: the name errors should show (the resolved path)
// and its text.
struct OpenApiDocument {
  std::string path;
  std::string text;
};

// Reads the file `openapi.file` names (given as written in the definition).
using OpenApiReader = std::function<Result<OpenApiDocument>(const std::string& file)>;

// The largest OpenAPI document a definition may import.
inline constexpr size_t kMaxOpenApiBytes = 8 * 1024 * 1024;

// Errors are kInvalidArgument; the message holds one "SOURCE:LINE: ..." line per problem found
// (schema errors stop at the first; semantic rules report all of theirs).
// With `read_openapi`, a definition's `openapi:` document is imported and its tools appended to
// the hand-written ones (selectors must name operationIds and tags the document has; names must
// not collide); import errors read "SOURCE:LINE: /openapi...: DOCUMENT:LINE: message". Without
// it, the `openapi:` section is validated but nothing is imported.
Result<ConnectorDef> parse_connector(std::string_view yaml_text, std::string_view source,
                                     const YamlLimits& limits = {},
                                     const OpenApiReader& read_openapi = {});

// Reads the file (size-capped) and parses it with the path as the source name; `openapi.file`
// is read relative to the file's folder.
Result<ConnectorDef> load_connector_file(const std::string& path);

// Converts an already validated JSON definition (no schema or semantic checks): for callers
// that built the JSON themselves, such as the OpenAPI importer's tests.
ConnectorDef connector_from_json(const Json& doc);

}  // namespace mcpgate::connectors
