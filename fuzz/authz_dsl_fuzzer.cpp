// Bytes -> authz::parse_dsl, the path every `model.fga` (CLI, config, API) takes. Beyond "no
// crash":
//  * a refusal always says where and why ("line:column: message");
//  * whatever parses writes to JSON that model_from_json reads back to the same JSON;
//  * validate_model gives the same verdict for the model read back from JSON (it must not
//    depend on relation order);
//  * model_to_dsl writes DSL that parses again to the same model, up to blanks in condition
//    bodies (the DSL drops blanks at line ends).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "authz/dsl.hpp"
#include "authz/model.hpp"

namespace {

using namespace mcpgate::authz;  // NOLINT(google-build-using-namespace)

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

// The model's JSON with condition bodies stripped of blanks, for the DSL round trip.
nlohmann::json without_body_blanks(nlohmann::json j) {
  if (auto it = j.find("conditions"); it != j.end() && it->is_object()) {
    for (auto& [name, condition] : it->items()) {
      std::string squeezed;
      for (const char c : condition["expression"].get<std::string>()) {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
          squeezed += c;
        }
      }
      condition["expression"] = squeezed;
    }
  }
  return j;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  const auto model = parse_dsl(text);
  if (!model) {
    const auto& message = model.error().message;
    check(model.error().code == mcpgate::ErrorCode::kInvalidArgument);
    check(message.find(": ") != std::string::npos && message.size() > 4);
    return 0;
  }
  const nlohmann::json json = model_to_json(*model);
  const auto again = model_from_json(json);
  check(again.ok());
  check(model_to_json(*again) == json);
  const auto verdict = validate_model(*model);
  check(verdict.ok() == validate_model(*again).ok());
  check(verdict.ok() || !verdict.error().message.empty());

  const auto reparsed = parse_dsl(model_to_dsl(*model));
  check(reparsed.ok());
  check(without_body_blanks(model_to_json(*reparsed)) == without_body_blanks(json));
  return 0;
}
