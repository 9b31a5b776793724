// Bytes → the configuration loader (YAML parse, validation, ${VAR} expansion) and the
// deployment rules. Every input must come back as a Config or an error, never a crash or an
// escaping exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto config = mcpgate::app::parse_config(text, "fuzz.yaml");
  if (config) {
    (void)mcpgate::app::check_deployment(*config);
  } else if (config.error().message.empty()) {
    __builtin_trap();  // every failure must say why
  }
  return 0;
}
