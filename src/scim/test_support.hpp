#pragma once
// Shared helpers and fixtures of the scim tests.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scim/error.hpp"
#include "scim/evaluate.hpp"
#include "scim/filter.hpp"
#include "scim/sql.hpp"

namespace mcpgate::scim::testing {

using nlohmann::json;

// A few users with the attributes the filter tests look at (our own data, shaped like the
// examples of RFC 7643 §8).
inline json test_users() {
  return json::parse(R"([
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
     "id": "u1", "externalId": "ext-1", "userName": "bjensen", "active": true,
     "name": {"familyName": "Jensen", "givenName": "Barbara", "formatted": "Ms. Barbara J Jensen"},
     "displayName": "Babs Jensen", "title": "Tour Guide", "userType": "Employee",
     "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}],
     "ims": [{"value": "babs@foo.com", "type": "xmpp"}],
     "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
              "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"a330bc54f0671c9\""},
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "701984", "costCenter": "4130", "department": "Tour Operations",
        "manager": {"value": "u3", "displayName": "John Smith"}}},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
     "id": "u2", "externalId": "EXT-2", "userName": "O'Malley_Tom%", "active": false,
     "name": {"familyName": "O'Malley", "givenName": "Tom"},
     "displayName": "Tom O'Malley", "title": "", "userType": "Intern",
     "emails": [{"value": "tom@EXAMPLE.org", "type": "work"}],
     "meta": {"resourceType": "User", "created": "2011-05-13T06:42:34+02:00",
              "lastModified": "2011-05-13T06:42:34+02:00"}},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
     "id": "u3", "userName": "JSmith", "active": true,
     "name": {"familyName": "Smith", "givenName": "John"},
     "displayName": "John Smith", "userType": "Employee",
     "emails": [{"value": "john@example.com", "type": "home"},
                {"value": "j.smith@example.org", "type": "work", "primary": true}],
     "x509Certificates": [{"value": "TUlJREFD"}],
     "meta": {"resourceType": "User", "created": "2012-02-01T00:00:00.250Z",
              "lastModified": "2013-01-01T00:00:00.5Z"},
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "100", "department": "Management"}},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
     "id": "u4", "userName": "nobody", "emails": [], "name": {},
     "meta": {"resourceType": "User", "lastModified": "2020-12-31T23:59:59.999999Z"}}
  ])");
}

// The ids of the users `filter` matches, in order ("" when the filter does not compile).
inline std::string matching_ids(std::string_view filter_text, const json& users) {
  auto filter = compile_filter(filter_text, user_resource_type());
  if (!filter) {
    return "error: " + filter.error().message;
  }
  std::string ids;
  for (const auto& u : users) {
    if (matches(*filter, u)) {
      ids += (ids.empty() ? "" : ",") + u["id"].get<std::string>();
    }
  }
  return ids;
}

inline ScimType filter_error_type(std::string_view filter_text) {
  auto filter = compile_filter(filter_text, user_resource_type());
  return filter ? ScimType::kNone : scim_type_of(filter.error());
}

// The tests' SQL mapping: indexed columns, an emails value table, the document in `doc`.
inline SqlMapping indexed_mapping(SqlDialect dialect = SqlDialect::kSqlite) {
  SqlMapping m;
  m.dialect = dialect;
  m.columns["id"] = {"users.id", false};
  m.columns["username"] = {"user_name_ci", true};
  m.columns["externalid"] = {"external_id", false};
  m.columns["active"] = {"active", false};
  m.columns["meta.lastmodified"] = {"last_modified", false};
  SqlValueTable emails;
  emails.table = "user_emails";
  emails.owner_column = "user_id";
  emails.owner_key = "users.id";
  emails.columns["value"] = {"value", false};
  emails.columns["type"] = {"type", false};
  emails.columns["primary"] = {"is_primary", false};
  m.value_tables["emails"] = emails;
  m.json_column = "doc";
  return m;
}

inline SqlMapping json_mapping(SqlDialect dialect = SqlDialect::kSqlite) {
  SqlMapping m;
  m.dialect = dialect;
  m.json_column = "users.doc";
  return m;
}

// Filters over every operator, type, and combination the evaluator knows.
inline const std::vector<std::string>& filter_bank() {
  static const std::vector<std::string> kBank = {
      R"(userName eq "BJENSEN")",
      R"(userName ne "bjensen")",
      R"(userName sw "j")",
      R"(userName ew "SEN")",
      R"(userName co "%")",
      R"(userName co "_")",
      R"(userName co "")",
      R"(userName co "o'malley")",
      R"(userName gt "n")",
      R"(userName le "bjensen")",
      R"(externalId eq "EXT-2")",
      R"(externalId eq "ext-2")",
      R"(externalId sw "ext")",
      R"(externalId ew "-2")",
      R"(externalId co "T-")",
      R"(externalId co "")",
      R"(externalId gt "EXT")",
      R"(id eq "u1")",
      R"(id ne "u1")",
      R"(title pr)",
      R"(title eq null)",
      R"(title ne null)",
      R"(not (title pr))",
      R"(userType ne "Employee")",
      R"(userType gt "A")",
      R"(not (userType gt "A"))",
      R"(displayName co "smith")",
      R"(name.familyName co "o'mal")",
      R"(name.givenName sw "B" or name.givenName sw "J")",
      R"(name pr)",
      R"(not (name pr))",
      R"(name[givenName eq "tom" or familyName eq "smith"])",
      R"(active eq true)",
      R"(active eq false)",
      R"(active ne true)",
      R"(active eq "False")",
      R"(active pr)",
      R"(meta.lastModified eq "2011-05-13T04:42:34Z")",
      R"(meta.lastModified gt "2011-05-13T04:42:34Z")",
      R"(meta.lastModified ge "2011-05-13T04:42:34Z")",
      R"(meta.lastModified lt "2011-05-13T04:42:35Z")",
      R"(meta.lastModified le "2011-05-13T04:42:33Z")",
      R"(meta.created lt "2012-02-01T00:00:01Z")",
      R"(meta.created pr)",
      R"(emails pr)",
      R"(not (emails pr))",
      R"(emails.value co "example.com")",
      R"(emails co "EXAMPLE.ORG")",
      R"(emails.type eq "home")",
      R"(emails.type ne "home")",
      R"(emails.primary eq true)",
      R"(emails.primary pr)",
      R"(emails.type eq "home" and emails.value co "example.org")",
      R"(emails[type eq "home" and value co "example.org"])",
      R"(emails[type eq "work" and value co "example.org"])",
      R"(emails[type eq "work" and primary eq true])",
      R"(emails[not (type eq "work")])",
      R"(not (emails[type eq "work"]))",
      R"(emails[value ew ".org" or primary pr])",
      R"(ims[type eq "xmpp" and value co "@foo.com"])",
      R"(x509Certificates.value eq "TUlJREFD")",
      R"(x509Certificates pr)",
      R"(schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")",
      R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984")",
      R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "u3")",
      R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr)",
      R"(department sw "tour")",
      R"(title pr and userType eq "Employee")",
      R"(title pr or userType eq "Intern")",
      R"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))",
      R"(userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org"))",
      R"(userType eq "Employee" and emails[type eq "work" and value co "@example.com"])",
      R"(not (not (userName eq "jsmith")) and not (active eq false or externalId pr))",
      R"(userName eq "x' OR '1'='1")",
      R"(userName eq "\"; DROP TABLE users; --")",
  };
  return kBank;
}

}  // namespace mcpgate::scim::testing
