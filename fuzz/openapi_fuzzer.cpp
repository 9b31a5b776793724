// Bytes → the OpenAPI importer (YAML/JSON parse, $ref inlining with cycle and size caps,
// parameter and body mapping, the connector semantic checks). Every input must come back as
// tools or an error, never a crash or an escaping exception; imported tools must describe
// themselves and build a request from empty arguments without crashing.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/openapi_import.hpp"
#include "connectors/request_builder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  mcpgate::connectors::OpenApiImportOptions options;
  options.connector_id = "fz";
  options.max_schema_nodes = 5'000;
  auto imported = mcpgate::connectors::import_openapi_text(text, "fuzz.yaml", options);
  if (!imported) {
    if (imported.error().message.empty()) {
      __builtin_trap();
    }
    return 0;
  }
  for (const auto& tool : imported->tools) {
    (void)mcpgate::connectors::tool_descriptor(tool);
    (void)mcpgate::connectors::build_request(tool, nlohmann::json::object());
  }
  return 0;
}
