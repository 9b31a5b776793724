// Bytes → mcp::parse_json, the reader every JSON-RPC message body goes through (UTF-8 and depth
// pre-scan, then a non-throwing parse). Beyond "no crash": whatever it accepts is valid UTF-8
// and survives dump_json → parse_json unchanged, and the scanner and the parser agree. Whatever
// passes the pre-scan, the reader (mcp/json_reader) accepts exactly when nlohmann's own parser
// does, with the same value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mcp/json_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mcpgate::mcp;
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  const auto parsed = parse_json(text);
  if (scan_json(text).ok()) {
    const Json reference = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (reference.is_discarded() == parsed.ok()
        || (parsed && (reference != *parsed || reference.dump() != parsed->dump()))) {
      __builtin_trap();  // the reader and nlohmann disagree
    }
  }
  if (!parsed) {
    if (parsed.error().message.empty()) {
      __builtin_trap();  // every refusal must say why
    }
    return 0;
  }
  if (!is_valid_utf8(text) || !scan_json(text).ok()) {
    __builtin_trap();  // accepted what the pre-scan refuses
  }
  const std::string out = dump_json(*parsed);
  if (out != parsed->dump()) {
    __builtin_trap();  // the writer (mcp/json_writer) and nlohmann's dump disagree
  }
  const auto again = parse_json(out);
  if (!again || *again != *parsed) {
    __builtin_trap();  // our own output does not read back as the same value
  }
  // The JSON-RPC envelope fields a handler looks at first.
  if (parsed->is_object()) {
    (void)parsed->contains("jsonrpc");
    if (const auto it = parsed->find("method"); it != parsed->end() && it->is_string()) {
      (void)it->get_ref<const std::string&>().size();
    }
  }
  return 0;
}
