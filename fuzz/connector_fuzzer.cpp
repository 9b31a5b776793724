// Bytes → a connector definition (YAML parse with size/depth/node caps, JSON Schema, semantic
// checks). Every input must come back as a definition or an error that says why — never a
// crash, a hang or an escaping exception. A definition that loads must also build a request
// for each tool from empty arguments without crashing, and never put a URL off its hosts.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/loader.hpp"
#include "connectors/request_builder.hpp"
#include "connectors/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto def = mcpgate::connectors::parse_connector(text, "fuzz.yaml");
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
