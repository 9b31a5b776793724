// RFC 7643 §7 (schema representation) and §6 (resource type representation).

#include <string>

#include "scim/schema.hpp"

namespace mcpgate::scim {

namespace {

std::string_view mutability_name(Mutability m) {
  switch (m) {
    case Mutability::kReadOnly:
      return "readOnly";
    case Mutability::kImmutable:
      return "immutable";
    case Mutability::kWriteOnly:
      return "writeOnly";
    case Mutability::kReadWrite:
      break;
  }
  return "readWrite";
}

std::string_view returned_name(Returned r) {
  switch (r) {
    case Returned::kAlways:
      return "always";
    case Returned::kNever:
      return "never";
    case Returned::kRequest:
      return "request";
    case Returned::kDefault:
      break;
  }
  return "default";
}

std::string_view uniqueness_name(Uniqueness u) {
  switch (u) {
    case Uniqueness::kServer:
      return "server";
    case Uniqueness::kGlobal:
      return "global";
    case Uniqueness::kNone:
      break;
  }
  return "none";
}

nlohmann::json attribute_json(const Attribute& a) {
  nlohmann::json j = {{"name", a.name},
                      {"type", std::string(attr_type_name(a.type))},
                      {"multiValued", a.multi_valued},
                      {"description", a.description},
                      {"required", a.required},
                      {"mutability", std::string(mutability_name(a.mutability))},
                      {"returned", std::string(returned_name(a.returned))}};
  if (a.type != AttrType::kComplex && a.type != AttrType::kBoolean) {
    j["caseExact"] = a.case_exact;
  }
  if (a.type != AttrType::kComplex && a.type != AttrType::kBoolean) {
    j["uniqueness"] = std::string(uniqueness_name(a.uniqueness));
  }
  if (!a.canonical_values.empty()) {
    j["canonicalValues"] = a.canonical_values;
  }
  if (a.type == AttrType::kReference) {
    j["referenceTypes"] = a.reference_types;
  }
  if (a.type == AttrType::kComplex) {
    nlohmann::json subs = nlohmann::json::array();
    for (const auto& sub : a.sub_attributes) {
      subs.push_back(attribute_json(sub));
    }
    j["subAttributes"] = std::move(subs);
  }
  return j;
}

}  // namespace

nlohmann::json schema_to_json(const Schema& schema, std::string_view base_url) {
  nlohmann::json attributes = nlohmann::json::array();
  for (const auto& a : schema.attributes) {
    attributes.push_back(attribute_json(a));
  }
  return {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
          {"id", schema.id},
          {"name", schema.name},
          {"description", schema.description},
          {"attributes", std::move(attributes)},
          {"meta",
           {{"resourceType", "Schema"}, {"location", std::string(base_url) + "/Schemas/" + schema.id}}}};
}

nlohmann::json resource_type_to_json(const ResourceType& type, std::string_view base_url) {
  nlohmann::json extensions = nlohmann::json::array();
  for (const auto& e : type.extensions) {
    extensions.push_back({{"schema", e.schema->id}, {"required", e.required}});
  }
  nlohmann::json j = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
                      {"id", type.id},
                      {"name", type.name},
                      {"endpoint", type.endpoint},
                      {"description", type.description},
                      {"schema", type.core->id},
                      {"meta",
                       {{"resourceType", "ResourceType"},
                        {"location", std::string(base_url) + "/ResourceTypes/" + type.id}}}};
  if (!extensions.empty()) {
    j["schemaExtensions"] = std::move(extensions);
  }
  return j;
}

}  // namespace mcpgate::scim
