#pragma once
// Rows of SCIM provisioning (src/provision) as the store keeps them.
//
// A SCIM directory is one identity provider's connection to one organization, authenticated by
// a bearer token the store knows only as its hash. A SCIM user IS a gate user of that
// organization (users row, same id): userName is the gate username, active is !disabled, and a
// password the directory sends is kept only as the gate user's password hash. Beside the users
// row the store keeps the SCIM resource as JSON (canonical, with id and meta; never the password)
// and the columns the list filters use. Groups keep their members in a table, and every
// membership is also the FGA tuple group:<group id>#member@user:<user id>, written in the same
// transaction (scim_queries.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/types.hpp"

namespace mcpgate::scim {
struct Filter;
}

namespace mcpgate::store {

struct ScimDirectory {
  std::string id;
  std::string org_id;
  std::string name;
  std::string token_hash;  // hash_secret(token): 32 bytes
  Timestamp created_at = 0;
  std::optional<Timestamp> revoked_at;
};

enum class ScimKind { kUser, kGroup };

struct ScimMember {
  std::string user_id;
  std::string user_name;  // the member's userName (SCIM "display")

  friend bool operator==(const ScimMember&, const ScimMember&) = default;
};

struct ScimResource {
  std::string id;
  std::string org_id;
  std::string name;         // userName / displayName (unique per organization, ignoring case)
  std::string external_id;  // "" = none
  bool active = true;       // users only
  // The canonical resource (scim::normalize_resource) with id and meta; groups without members,
  // users without password.
  nlohmann::json resource = nlohmann::json::object();
  std::int64_t version = 1;  // meta.version; the store sets it (1 on create, +1 per replace)
  Timestamp created_at = 0;
  Timestamp last_modified = 0;
  std::vector<ScimMember> members;  // groups only, ordered by user id
};

// Where the membership tuples of a change go: the policy store, and the write time of the
// change log.
struct ScimTupleTarget {
  std::string store_id;
  Timestamp now = 0;
};

struct ScimListQuery {
  std::string org_id;
  ScimKind kind = ScimKind::kUser;
  const scim::Filter* filter = nullptr;  // bound to the kind's resource type; nullptr = all
  std::int64_t offset = 0;               // startIndex - 1
  std::int64_t limit = 100;              // 0: the total only
  bool with_members = true;              // groups: false skips reading members
};

struct ScimPage {
  std::int64_t total = 0;
  std::vector<ScimResource> resources;
};

}  // namespace mcpgate::store
