// Bytes → a connector definition (YAML parse with size/depth/node caps, JSON Schema, semantic
// checks; an `openapi:` section imports a fixed document). Every input must come back as a
// definition or an error that says why — never a crash, a hang or an escaping exception. A
// definition that loads must also build a request for each tool from empty arguments without
// crashing, and never put a URL off its hosts.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/loader.hpp"
#include "connectors/request_builder.hpp"
#include "connectors/url.hpp"

namespace {

// Every `openapi.file` but "missing.yaml" reads this document, so the import, its selectors and
// the merge with hand-written tools run on fuzzed definitions too.
constexpr const char* kFuzzOpenApi = R"(openapi: 3.0.3
info: {title: fuzz, version: "1"}
servers: [{url: "https://api.acme.example/v1"}]
components:
  schemas:
    Note: {type: object, required: [text], properties: {text: {type: string}, n: {type: integer}}}
paths:
  /things/{id}:
    get:
      operationId: getThing
      tags: [things]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
  /notes:
    post:
      operationId: addNote
      tags: [notes]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Note"}}}
)";

mcpgate::Result<mcpgate::connectors::OpenApiDocument> read_fuzz_openapi(const std::string& file) {
  if (file == "missing.yaml") {
    return mcpgate::make_error(mcpgate::ErrorCode::kNotFound, "cannot open missing.yaml");
  }
  return mcpgate::connectors::OpenApiDocument{"openapi.yaml", kFuzzOpenApi};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto def = mcpgate::connectors::parse_connector(text, "fuzz.yaml", {}, read_fuzz_openapi);
  if (!def) {
    if (def.error().message.empty()) {
      __builtin_trap();  // every failure must say why
    }
    return 0;
  }
  for (const auto& tool : def->tools) {
    (void)mcpgate::connectors::tool_descriptor(tool);
    auto req = mcpgate::connectors::build_request(tool, nlohmann::json::object(),
                                                  {{"base", "https://x.example"}});
    if (req && !mcpgate::connectors::check_url_allowed(req->url, tool.api.hosts,
                                                       tool.api.allow_loopback_http)) {
      __builtin_trap();  // a built request left the allowed hosts
    }
  }
  return 0;
}
