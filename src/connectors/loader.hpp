#pragma once
// Loading a connector definition: YAML → JSON (with lines) → the shipped JSON Schema →
// semantic rules → ConnectorDef. Every error names the file and line:
// "connectors/github.yaml:42: /tools/3/request/url: host 'evil.example' is not in api.hosts".

#include <string>
#include <string_view>

#include "connectors/connector.hpp"
#include "connectors/yaml_json.hpp"
#include "core/result.hpp"

namespace mcpgate::connectors {

// The JSON Schema of the format (connectors/schema/connector.schema.json, compiled in).
const Json& connector_schema();

// Errors are kInvalidArgument; the message holds one "SOURCE:LINE: ..." line per problem found
// (schema errors stop at the first; semantic rules report all of theirs).
Result<ConnectorDef> parse_connector(std::string_view yaml_text, std::string_view source,
                                     const YamlLimits& limits = {});

// Reads the file (size-capped) and parses it with the path as the source name.
Result<ConnectorDef> load_connector_file(const std::string& path);

// Converts an already validated JSON definition (no schema or semantic checks): for callers
// that built the JSON themselves, such as the OpenAPI importer's tests.
ConnectorDef connector_from_json(const Json& doc);

}  // namespace mcpgate::connectors
