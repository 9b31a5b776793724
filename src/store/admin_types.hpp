#pragma once
// What the admin plane (issue 9) reads from the store beyond the authorization server's own
// records: an organization-wide view of live sessions, an organization's counts, audit search.
// Plain structs, as types.hpp.

#include <cstddef>
#include <cstdint>
#include <string>

#include "store/types.hpp"

namespace mcpgate::store {

// A page of an organization's live sessions (grants that are not revoked, of its users), in
// grant id order after `after_id` ("" = from the first), at most `limit` (at most 1000).
struct SessionQuery {
  std::string org_id;
  std::string user_id;    // "" = every user of the organization
  std::string client_id;  // "" = every client
  std::string after_id;
  std::size_t limit = 50;
};

// One grant with what its tokens say about it. Times are 0 where no token tells (none issued
// yet, or the records were purged after expiry).
struct Session {
  Grant grant;
  Timestamp last_refresh_at = 0;     // the latest refresh-token rotation
  Timestamp refresh_expires_at = 0;  // the absolute end of its unrevoked refresh family
  Timestamp last_token_at = 0;       // the latest access token issued (code or refresh)
  Timestamp access_expires_at = 0;   // the latest expiry of its recorded access tokens
};

// The overview of one organization.
struct OrganizationCounts {
  std::int64_t users = 0;
  std::int64_t disabled_users = 0;
  std::int64_t live_sessions = 0;  // grants not revoked
  std::int64_t groups = 0;         // SCIM groups
};

// A search of the audit log, newest first. Only records whose "org" member is `org_id` match:
// an organization's administrators see their organization's records only (records written
// with authentication off, or before organizations existed, carry no org and match none).
// The filters compare with the index columns the store fills from each record at append time
// (migration 11), so a search is an index range scan, not a scan of the JSON.
struct AuditQuery {
  std::string org_id;
  std::string user;       // "" = any (the token subject)
  std::string client_id;  // "" = any
  std::string tool;       // "" = any
  std::string decision;   // "" = any; "allow" | "deny" | "error"
  std::int64_t from_ms = 0;    // time_ms >= from_ms (0 = no lower bound)
  std::int64_t to_ms = 0;      // time_ms < to_ms (0 = no upper bound)
  std::int64_t before_seq = 0; // keyset: seq < before_seq (0 = from the newest)
  std::size_t limit = 50;      // at most 1000
};

}  // namespace mcpgate::store
