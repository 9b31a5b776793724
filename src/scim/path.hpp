#pragma once
// Attribute paths (RFC 7644 §3.10, the attrPath of §3.4.2.2): an optional schema URN, an
// attribute name and an optional sub-attribute, all matched ignoring case, and their resolution
// against a resource type's schemas.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "scim/schema.hpp"

namespace mcpgate::scim {

struct AttrPath {
  std::string urn;   // the schema URN prefix as written ("" when there is none)
  std::string name;  // the attribute name as written
  std::string sub;   // the sub-attribute name as written ("" when there is none)

  std::string to_string() const;  // "urn:…:User:name.givenName"
  bool operator==(const AttrPath&) const = default;
};

// A whole string as an attrPath (the entries of `attributes=`, the keys of a PATCH value without
// a path). Errors are invalidPath.
Result<AttrPath> parse_attr_path(std::string_view text);

// What a path names in a resource type.
struct Resolved {
  const Schema* schema = nullptr;     // the defining schema (common_schema() for id, externalId, meta)
  bool in_extension = false;          // the attribute lives in the resource under schema->id
  const Attribute* attr = nullptr;    // nullptr: the path names a whole extension object
  const Attribute* sub = nullptr;     // the sub-attribute, or nullptr

  // The leaf: sub if set, else attr.
  const Attribute* leaf() const { return sub != nullptr ? sub : attr; }
  // A canonical lower-case key: "username", "name.givenname", "emails.value",
  // "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager.value". SqlMapping uses
  // these keys.
  std::string key() const;
};

// Resolves a path: a URN prefix selects the core schema or an extension; without one the core
// schema and the common attributes are searched, then the extensions (a name defined by exactly
// one extension). nullopt for anything that is not defined.
std::optional<Resolved> resolve_path(const ResourceType& type, const AttrPath& path);

// Case-insensitive member lookup in a JSON object (nullptr when absent or not an object).
const nlohmann::json* find_member(const nlohmann::json& object, std::string_view key);
nlohmann::json* find_member(nlohmann::json& object, std::string_view key);
// Removes every member whose name equals `key` ignoring case; returns how many.
std::size_t erase_member(nlohmann::json& object, std::string_view key);

// Where the attribute of `r` lives in `resource`: the resource itself or its extension object
// (nullptr when the extension object is absent).
const nlohmann::json* attribute_container(const nlohmann::json& resource, const Resolved& r);

}  // namespace mcpgate::scim
