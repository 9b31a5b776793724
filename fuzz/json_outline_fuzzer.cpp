// Bytes → gateway::outline_json, the validator that lets the gateway forward an upstream's
// tools/call result as the bytes it received. Differential against nlohmann::json: it never
// accepts what the library refuses, it accepts everything the library accepts (apart from its
// own depth limit, and apart from text with a NUL byte, which the library takes as the end of
// the input — "1\0garbage" parses as 1 — and the outline rightly refuses), and every member it
// reports is what the parsed document has under that key — otherwise a crafted upstream answer
// could reach the client in a form the gate never checked.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gateway/json_outline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  constexpr std::size_t kDepth = 32;
  const auto outline = mcpgate::gateway::outline_json(text, kDepth);
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!outline) {
    if (outline.error().code == mcpgate::ErrorCode::kResourceExhausted) {
      return 0;  // deeper than the outline allows; the library has no such limit
    }
    if (!parsed.is_discarded() && text.find('\0') == std::string_view::npos) {
      __builtin_trap();  // refused a document the JSON library accepts
    }
    return 0;
  }
  if (parsed.is_discarded()) {
    __builtin_trap();  // accepted a document the JSON library refuses
  }
  // The value's text is the whole document's value.
  const nlohmann::json value = nlohmann::json::parse(outline->value, nullptr, false);
  if (value.is_discarded() || value != parsed) {
    __builtin_trap();
  }
  if (outline->is_object() != parsed.is_object()) {
    __builtin_trap();
  }
  if (parsed.is_object() && !outline->ambiguous_keys()) {
    if (outline->members.size() != parsed.size()) {
      __builtin_trap();  // without duplicates or escapes the member lists agree
    }
    for (const auto& m : outline->members) {
      const auto it = parsed.find(std::string(m.key));
      if (it == parsed.end()) {
        __builtin_trap();
      }
      const nlohmann::json member = nlohmann::json::parse(m.value, nullptr, false);
      if (member.is_discarded() || member != *it) {
        __builtin_trap();  // the member's bytes are not the member's value
      }
    }
  }
  return 0;
}
