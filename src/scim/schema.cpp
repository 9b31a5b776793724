// The schema data: RFC 7643 §3.1 (common attributes), §4.1 and §8.7.1 (User), §4.2 (Group),
// §4.3 (Enterprise User). Descriptions are short and our own.

#include "scim/schema.hpp"

#include <utility>

#include "core/ascii.hpp"

namespace mcpgate::scim {

namespace {

Attribute simple_attr(std::string name, AttrType type, std::string description) {
  Attribute a;
  a.name = std::move(name);
  a.type = type;
  a.description = std::move(description);
  a.case_exact = type == AttrType::kBinary;  // RFC 7643 §2.3.6: binary values are case exact
  return a;
}

Attribute string_attr(std::string name, std::string description) {
  return simple_attr(std::move(name), AttrType::kString, std::move(description));
}

Attribute read_only(Attribute a) {
  a.mutability = Mutability::kReadOnly;
  return a;
}

Attribute with_canonical(Attribute a, std::vector<std::string> values) {
  a.canonical_values = std::move(values);
  return a;
}

Attribute complex_attr(std::string name, std::string description, std::vector<Attribute> subs,
                       bool multi_valued) {
  Attribute a = simple_attr(std::move(name), AttrType::kComplex, std::move(description));
  a.multi_valued = multi_valued;
  a.sub_attributes = std::move(subs);
  return a;
}

Attribute reference_attr(std::string name, std::string description, std::vector<std::string> types) {
  Attribute a = simple_attr(std::move(name), AttrType::kReference, std::move(description));
  a.reference_types = std::move(types);
  return a;
}

// The usual shape of a multi-valued attribute (RFC 7643 §2.4): value, display, type, primary.
Attribute multi_valued_attr(std::string name, std::string description, Attribute value,
                            std::vector<std::string> canonical_types) {
  return complex_attr(std::move(name), std::move(description),
                      {std::move(value), string_attr("display", "A human-readable name, for display."),
                       with_canonical(string_attr("type", "A label for the value's function."),
                                      std::move(canonical_types)),
                       simple_attr("primary", AttrType::kBoolean, "Whether this is the primary value.")},
                      true);
}

Schema make_common_schema() {
  Schema s;
  s.id = "";
  s.name = "Common";
  s.description = "Attributes of every resource (RFC 7643 section 3.1).";
  Attribute id = read_only(string_attr("id", "The service provider's identifier of the resource."));
  id.case_exact = true;
  id.returned = Returned::kAlways;
  id.uniqueness = Uniqueness::kServer;
  Attribute external_id = string_attr("externalId", "The provisioning client's identifier of the resource.");
  external_id.case_exact = true;
  Attribute resource_type = read_only(string_attr("resourceType", "The name of the resource's type."));
  resource_type.case_exact = true;
  Attribute version = read_only(string_attr("version", "The resource's version (its entity tag)."));
  version.case_exact = true;
  Attribute location = read_only(reference_attr("location", "The resource's URI.", {"uri"}));
  location.case_exact = true;
  Attribute meta = read_only(complex_attr(
      "meta", "Resource metadata.",
      {resource_type, read_only(simple_attr("created", AttrType::kDateTime, "When the resource was created.")),
       read_only(simple_attr("lastModified", AttrType::kDateTime, "When the resource was last changed.")),
       location, version},
      false));
  // RFC 7643 §3: every resource lists its schema URIs; filterable (`schemas eq "urn:…"`), set by
  // the server.
  Attribute schemas = read_only(reference_attr("schemas", "The URIs of the resource's schemas.", {"uri"}));
  schemas.multi_valued = true;
  schemas.returned = Returned::kAlways;
  s.attributes = {schemas, id, external_id, meta};
  return s;
}

Schema make_user_schema() {
  Schema s;
  s.id = std::string(kUserSchemaId);
  s.name = "User";
  s.description = "User Account";
  Attribute user_name = string_attr("userName", "The unique identifier the user signs in with.");
  user_name.required = true;
  user_name.uniqueness = Uniqueness::kServer;
  Attribute password = string_attr("password", "The user's clear-text password (write only).");
  password.mutability = Mutability::kWriteOnly;
  password.returned = Returned::kNever;
  Attribute groups_value = read_only(string_attr("value", "The id of the group."));
  Attribute groups_ref = read_only(reference_attr("$ref", "The URI of the group.", {"User", "Group"}));
  Attribute groups_display = read_only(string_attr("display", "The group's display name."));
  Attribute groups_type = read_only(with_canonical(string_attr("type", "direct or indirect membership."),
                                                   {"direct", "indirect"}));
  Attribute photos_value = reference_attr("value", "The URL of the photo.", {"external"});
  Attribute cert_value = simple_attr("value", AttrType::kBinary, "The DER certificate, base64.");
  Attribute addresses = complex_attr(
      "addresses", "Physical mailing addresses.",
      {string_attr("formatted", "The full address, for display."),
       string_attr("streetAddress", "The street address."), string_attr("locality", "The city or locality."),
       string_attr("region", "The state or region."), string_attr("postalCode", "The postal code."),
       string_attr("country", "The country (ISO 3166-1 alpha-2)."),
       with_canonical(string_attr("type", "A label for the address's function."), {"work", "home", "other"}),
       simple_attr("primary", AttrType::kBoolean, "Whether this is the primary address.")},
      true);
  s.attributes = {
      user_name,
      complex_attr("name", "The components of the user's name.",
                   {string_attr("formatted", "The full name, for display."),
                    string_attr("familyName", "The family name."), string_attr("givenName", "The given name."),
                    string_attr("middleName", "The middle name(s)."),
                    string_attr("honorificPrefix", "The honorific prefix."),
                    string_attr("honorificSuffix", "The honorific suffix.")},
                   false),
      string_attr("displayName", "The name of the user, for display."),
      string_attr("nickName", "The casual name of the user."),
      reference_attr("profileUrl", "A URL of the user's online profile.", {"external"}),
      string_attr("title", "The user's title."),
      string_attr("userType", "The relationship between the organization and the user."),
      string_attr("preferredLanguage", "The user's preferred language (RFC 7231 Accept-Language)."),
      string_attr("locale", "The user's default location, for localization."),
      string_attr("timezone", "The user's time zone (IANA name)."),
      simple_attr("active", AttrType::kBoolean, "Whether the user may use the service."),
      password,
      multi_valued_attr("emails", "Email addresses.", string_attr("value", "The email address."),
                        {"work", "home", "other"}),
      multi_valued_attr("phoneNumbers", "Phone numbers.", string_attr("value", "The phone number."),
                        {"work", "home", "mobile", "fax", "pager", "other"}),
      multi_valued_attr("ims", "Instant messaging addresses.", string_attr("value", "The address."),
                        {"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}),
      multi_valued_attr("photos", "URLs of photos of the user.", photos_value, {"photo", "thumbnail"}),
      addresses,
      read_only(complex_attr("groups", "The groups the user belongs to (managed through the groups).",
                             {groups_value, groups_ref, groups_display, groups_type}, true)),
      multi_valued_attr("entitlements", "Entitlements of the user.", string_attr("value", "The entitlement."), {}),
      multi_valued_attr("roles", "Roles of the user.", string_attr("value", "The role."), {}),
      multi_valued_attr("x509Certificates", "Certificates issued to the user.", cert_value, {}),
  };
  return s;
}

Schema make_group_schema() {
  Schema s;
  s.id = std::string(kGroupSchemaId);
  s.name = "Group";
  s.description = "Group";
  Attribute value = string_attr("value", "The id of the member.");
  value.mutability = Mutability::kImmutable;
  Attribute ref = reference_attr("$ref", "The URI of the member.", {"User", "Group"});
  ref.mutability = Mutability::kImmutable;
  Attribute type = with_canonical(string_attr("type", "The member's resource type."), {"User", "Group"});
  type.mutability = Mutability::kImmutable;
  Attribute display = read_only(string_attr("display", "The member's name, for display."));
  s.attributes = {string_attr("displayName", "The name of the group, for display."),
                  complex_attr("members", "The members of the group.", {value, ref, type, display}, true)};
  return s;
}

Schema make_enterprise_user_schema() {
  Schema s;
  s.id = std::string(kEnterpriseUserSchemaId);
  s.name = "EnterpriseUser";
  s.description = "Enterprise User";
  s.attributes = {
      string_attr("employeeNumber", "The organization's identifier of the employee."),
      string_attr("costCenter", "The cost center."),
      string_attr("organization", "The organization."),
      string_attr("division", "The division."),
      string_attr("department", "The department."),
      complex_attr("manager", "The user's manager.",
                   {string_attr("value", "The id of the manager's User resource."),
                    reference_attr("$ref", "The URI of the manager's User resource.", {"User"}),
                    read_only(string_attr("displayName", "The manager's display name."))},
                   false),
  };
  return s;
}

const Attribute* find_in(const std::vector<Attribute>& attributes, std::string_view name) {
  for (const auto& a : attributes) {
    if (ascii::iequals(a.name, name)) {
      return &a;
    }
  }
  return nullptr;
}

}  // namespace

std::string_view attr_type_name(AttrType type) {
  switch (type) {
    case AttrType::kString:
      return "string";
    case AttrType::kBoolean:
      return "boolean";
    case AttrType::kDecimal:
      return "decimal";
    case AttrType::kInteger:
      return "integer";
    case AttrType::kDateTime:
      return "dateTime";
    case AttrType::kBinary:
      return "binary";
    case AttrType::kReference:
      return "reference";
    case AttrType::kComplex:
      return "complex";
  }
  return "string";
}

const Attribute* Attribute::find_sub(std::string_view sub_name) const { return find_in(sub_attributes, sub_name); }

const Attribute* Schema::find(std::string_view attr_name) const { return find_in(attributes, attr_name); }

const Schema* ResourceType::find_extension(std::string_view urn) const {
  for (const auto& e : extensions) {
    if (ascii::iequals(e.schema->id, urn)) {
      return e.schema;
    }
  }
  return nullptr;
}

const Schema& common_schema() {
  static const Schema kSchema = make_common_schema();
  return kSchema;
}

const Schema& user_schema() {
  static const Schema kSchema = make_user_schema();
  return kSchema;
}

const Schema& group_schema() {
  static const Schema kSchema = make_group_schema();
  return kSchema;
}

const Schema& enterprise_user_schema() {
  static const Schema kSchema = make_enterprise_user_schema();
  return kSchema;
}

const ResourceType& user_resource_type() {
  static const ResourceType kType = [] {
    ResourceType t;
    t.id = "User";
    t.name = "User";
    t.endpoint = "/Users";
    t.description = "User Account";
    t.core = &user_schema();
    t.extensions = {{&enterprise_user_schema(), false}};
    return t;
  }();
  return kType;
}

const ResourceType& group_resource_type() {
  static const ResourceType kType = [] {
    ResourceType t;
    t.id = "Group";
    t.name = "Group";
    t.endpoint = "/Groups";
    t.description = "Group";
    t.core = &group_schema();
    return t;
  }();
  return kType;
}

}  // namespace mcpgate::scim
