#pragma once
// SCIM schema descriptions (RFC 7643 §2, §7): attribute characteristics as data. The core User
// and Group schemas, the Enterprise User extension, and the common attributes every resource has
// (id, externalId, meta; RFC 7643 §3.1) are defined in schema.cpp. Everything else in the module
// (filter binding, PATCH, projection, /Schemas) reads them from here.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::scim {

inline constexpr std::string_view kUserSchemaId = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchemaId = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kEnterpriseUserSchemaId =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
inline constexpr std::string_view kPatchOpMessageId = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr std::string_view kListResponseMessageId = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

enum class AttrType { kString, kBoolean, kDecimal, kInteger, kDateTime, kBinary, kReference, kComplex };
enum class Mutability { kReadWrite, kReadOnly, kImmutable, kWriteOnly };
enum class Returned { kDefault, kAlways, kNever, kRequest };
enum class Uniqueness { kNone, kServer, kGlobal };

std::string_view attr_type_name(AttrType type);  // "string", "boolean", ... as in RFC 7643 §7

struct Attribute {
  std::string name;
  AttrType type = AttrType::kString;
  bool multi_valued = false;
  std::string description;
  bool required = false;
  bool case_exact = false;
  Mutability mutability = Mutability::kReadWrite;
  Returned returned = Returned::kDefault;
  Uniqueness uniqueness = Uniqueness::kNone;
  std::vector<std::string> canonical_values;
  std::vector<std::string> reference_types;
  std::vector<Attribute> sub_attributes;  // only for kComplex (one level: SCIM has no deeper nesting)

  // A sub-attribute by name, ignoring case; nullptr when there is none.
  const Attribute* find_sub(std::string_view sub_name) const;
  // Strings compare by bytes (caseExact) or ignoring ASCII case.
  bool is_string_like() const {
    return type == AttrType::kString || type == AttrType::kReference || type == AttrType::kBinary;
  }
};

struct Schema {
  std::string id;  // the schema URN
  std::string name;
  std::string description;
  std::vector<Attribute> attributes;

  const Attribute* find(std::string_view attr_name) const;  // ignoring case
};

struct SchemaExtension {
  const Schema* schema = nullptr;
  bool required = false;
};

// A resource type (RFC 7643 §6): its core schema, its extensions (whose attributes live in the
// resource under the extension's URN) and the common attributes.
struct ResourceType {
  std::string id;  // "User"
  std::string name;
  std::string endpoint;  // "/Users"
  std::string description;
  const Schema* core = nullptr;
  std::vector<SchemaExtension> extensions;

  // The extension with this URN (ignoring case), or nullptr.
  const Schema* find_extension(std::string_view urn) const;
};

const Schema& common_schema();  // id, externalId, meta (not published under /Schemas)
const Schema& user_schema();
const Schema& group_schema();
const Schema& enterprise_user_schema();
const ResourceType& user_resource_type();   // User + Enterprise User extension
const ResourceType& group_resource_type();  // Group

// RFC 7643 §7 representations for /Schemas and /ResourceTypes. `base_url` (no trailing slash)
// fills meta.location.
nlohmann::json schema_to_json(const Schema& schema, std::string_view base_url);
nlohmann::json resource_type_to_json(const ResourceType& type, std::string_view base_url);

}  // namespace mcpgate::scim
