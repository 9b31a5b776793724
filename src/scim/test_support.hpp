#pragma once
// Shared helpers and fixtures of the scim tests.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "scim/error.hpp"
#include "scim/evaluate.hpp"
#include "scim/filter.hpp"

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

}  // namespace mcpgate::scim::testing
