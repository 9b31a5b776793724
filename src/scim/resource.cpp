#include "scim/resource.hpp"

#include <string>
#include <utility>

#include "core/ascii.hpp"
#include "scim/error.hpp"
#include "scim/evaluate.hpp"
#include "scim/names.hpp"
#include "scim/patch.hpp"
#include "scim/path.hpp"

namespace mcpgate::scim {

namespace {

// The attributes of one schema found in `object`, normalized into `out`.
Status normalize_schema_attributes(const Schema& schema, const nlohmann::json& object, nlohmann::json& out,
                                   const ResourceType& type, bool core) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (core && (ascii::iequals(key, "schemas") || type.find_extension(key) != nullptr)) {
      continue;
    }
    const Attribute* a = schema.find(key);
    if (a == nullptr && core) {
      a = common_schema().find(key);
    }
    if (a == nullptr) {
      return scim_error(ScimType::kInvalidSyntax,
                        "'" + printable(key) + "' is not an attribute of " + (core ? type.name : schema.id));
    }
    if (a->mutability == Mutability::kReadOnly || it.value().is_null()) {
      continue;
    }
    MCPGATE_ASSIGN_OR_RETURN(nlohmann::json value, normalize_attribute_value(*a, it.value()));
    if (a->multi_valued && value.empty()) {
      continue;
    }
    out[a->name] = std::move(value);
  }
  for (const auto& a : schema.attributes) {
    if (a.required && a.mutability != Mutability::kReadOnly && !out.contains(a.name)) {
      return scim_error(ScimType::kInvalidValue, "'" + a.name + "' is required");
    }
  }
  return {};
}

}  // namespace

Result<nlohmann::json> normalize_resource(const nlohmann::json& input, const ResourceType& type) {
  if (!input.is_object()) {
    return scim_error(ScimType::kInvalidSyntax, "a resource is a JSON object");
  }
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json schemas = nlohmann::json::array({type.core->id});
  MCPGATE_TRY(normalize_schema_attributes(*type.core, input, out, type, true));
  for (const auto& ext : type.extensions) {
    const nlohmann::json* object = find_member(input, ext.schema->id);
    if (object == nullptr || object->is_null()) {
      if (ext.required) {
        return scim_error(ScimType::kInvalidValue, "the extension " + ext.schema->id + " is required");
      }
      continue;
    }
    if (!object->is_object()) {
      return scim_error(ScimType::kInvalidSyntax, ext.schema->id + " must be an object");
    }
    nlohmann::json normalized = nlohmann::json::object();
    MCPGATE_TRY(normalize_schema_attributes(*ext.schema, *object, normalized, type, false));
    if (!normalized.empty()) {
      out[ext.schema->id] = std::move(normalized);
      schemas.push_back(ext.schema->id);
    }
  }
  if (const auto* listed = find_member(input, "schemas"); listed != nullptr) {
    bool has_core = false;
    if (listed->is_array()) {
      for (const auto& s : *listed) {
        has_core = has_core || (s.is_string() && ascii::iequals(s.get_ref<const std::string&>(), type.core->id));
      }
    }
    if (!has_core) {
      return scim_error(ScimType::kInvalidSyntax, "schemas must list " + type.core->id);
    }
  }
  nlohmann::json result = {{"schemas", std::move(schemas)}};
  result.update(out);
  return result;
}

Result<nlohmann::json> replace_resource(const nlohmann::json& existing, const nlohmann::json& input,
                                        const ResourceType& type) {
  MCPGATE_ASSIGN_OR_RETURN(nlohmann::json next, normalize_resource(input, type));
  const auto carry = [&](const Schema& schema, const nlohmann::json* before, nlohmann::json& after) -> Status {
    if (before == nullptr || !before->is_object()) {
      return {};
    }
    for (const auto& a : schema.attributes) {
      const nlohmann::json* old_value = find_member(*before, a.name);
      if (old_value == nullptr || !is_present(*old_value)) {
        continue;
      }
      const bool keep = a.mutability == Mutability::kReadOnly
                        || (a.mutability == Mutability::kWriteOnly && !after.contains(a.name));
      if (keep) {
        after[a.name] = *old_value;
      } else if (a.mutability == Mutability::kImmutable && (!after.contains(a.name) || after[a.name] != *old_value)) {
        return scim_error(ScimType::kMutability, "'" + a.name + "' is immutable and already has a value");
      }
    }
    return {};
  };
  MCPGATE_TRY(carry(common_schema(), &existing, next));
  MCPGATE_TRY(carry(*type.core, &existing, next));
  for (const auto& ext : type.extensions) {
    const nlohmann::json* before = find_member(existing, ext.schema->id);
    nlohmann::json after = next.contains(ext.schema->id) ? next[ext.schema->id] : nlohmann::json::object();
    MCPGATE_TRY(carry(*ext.schema, before, after));
    if (!after.empty()) {
      next[ext.schema->id] = std::move(after);
    }
  }
  next["schemas"] = nlohmann::json::array({type.core->id});
  for (const auto& ext : type.extensions) {
    if (next.contains(ext.schema->id)) {
      next["schemas"].push_back(ext.schema->id);
    }
  }
  return next;
}

}  // namespace mcpgate::scim
