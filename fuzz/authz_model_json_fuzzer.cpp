// Bytes -> JSON -> authz::model_from_json / validate_model, the path of models written through
// the OpenFGA-compatible API. Beyond "no crash" (and no exception: nothing here may throw):
//  * a refusal always says why;
//  * an accepted model writes JSON that reads back to the same JSON;
//  * validate_model's verdict does not change across that round trip;
//  * model_to_dsl of an accepted model never crashes the DSL parser.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "authz/dsl.hpp"
#include "authz/model.hpp"

namespace {

using namespace mcpgate::authz;  // NOLINT(google-build-using-namespace)

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return 0;
  }
  const auto model = model_from_json(json);
  if (!model) {
    check(!model.error().message.empty());
    return 0;
  }
  const nlohmann::json out = model_to_json(*model);
  const auto again = model_from_json(out);
  check(again.ok());
  check(model_to_json(*again) == out);
  const auto verdict = validate_model(*model);
  check(verdict.ok() == validate_model(*again).ok());
  check(verdict.ok() || !verdict.error().message.empty());
  (void)parse_dsl(model_to_dsl(*model));
  return 0;
}
