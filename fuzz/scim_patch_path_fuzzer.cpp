// Bytes -> scim::parse_patch_path and apply_patch. Input: a PATCH path (RFC 7644 §3.5.2),
// optionally followed by a NUL byte and a JSON value. The path (and the value, or one of a few
// built-in ones) goes through add, replace and remove on a User and a Group. Beyond "no crash, no
// sanitizer report, no stack exhaustion":
//  * a malformed path is invalidPath and says why;
//  * a failed PATCH leaves the resource exactly as it was (all or nothing), with a scimType;
//  * a successful one leaves an object whose readOnly id and meta are unchanged, and `changed`
//    says whether anything else changed.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "scim/error.hpp"
#include "scim/filter.hpp"
#include "scim/patch.hpp"

namespace {

using namespace mcpgate::scim;  // NOLINT(google-build-using-namespace)

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

const nlohmann::json& fuzz_user() {
  static const nlohmann::json kUser = nlohmann::json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "bjensen",
    "active": true, "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "b@example.com", "type": "work", "primary": true}, {"value": "b@home.example", "type": "home"}],
    "meta": {"resourceType": "User", "lastModified": "2024-01-01T00:00:00Z"}})");
  return kUser;
}

const nlohmann::json& fuzz_group() {
  static const nlohmann::json kGroup = nlohmann::json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1", "displayName": "Admins",
    "members": [{"value": "u1", "type": "User"}, {"value": "u2"}],
    "meta": {"resourceType": "Group"}})");
  return kGroup;
}

void try_patch(const nlohmann::json& original, const ResourceType& type, const nlohmann::json& operation) {
  nlohmann::json resource = original;
  const nlohmann::json request = {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:PatchOp"}},
                                  {"Operations", nlohmann::json::array({operation})}};
  auto outcome = apply_patch(resource, request, type);
  if (!outcome) {
    check(resource == original);
    check(scim_type_of(outcome.error()) != ScimType::kNone);
    return;
  }
  check(resource.is_object());
  check(resource["id"] == original["id"]);
  check(resource["meta"] == original["meta"]);
  check(outcome->changed == (resource != original));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);  // NOLINT
  const auto nul = input.find('\0');
  const std::string path(input.substr(0, nul));
  auto parsed = parse_patch_path(path);
  if (!parsed) {
    check(scim_type_of(parsed.error()) == ScimType::kInvalidPath);
    check(!scim_detail(parsed.error()).empty());
  }
  nlohmann::json values = nlohmann::json::array({"x", true, nlohmann::json::object({{"value", "u9"}}),
                                                 nlohmann::json::array({nlohmann::json::object({{"value", "u1"}})})});
  if (nul != std::string_view::npos) {
    auto value = nlohmann::json::parse(input.substr(nul + 1), nullptr, false);
    if (!value.is_discarded()) {
      values = nlohmann::json::array({value});
    }
  }
  for (const auto& [resource, type] : {std::pair<const nlohmann::json*, const ResourceType*>{&fuzz_user(), &user_resource_type()},
                                       {&fuzz_group(), &group_resource_type()}}) {
    try_patch(*resource, *type, {{"op", "remove"}, {"path", path}});
    // One value per input (chosen by its size) keeps the fuzzer fast; the corpus covers them all.
    const auto& value = values[size % values.size()];
    try_patch(*resource, *type, {{"op", "add"}, {"path", path}, {"value", value}});
    try_patch(*resource, *type, {{"op", "Replace"}, {"path", path}, {"value", value}});
  }
  return 0;
}
