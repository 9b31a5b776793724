// The identity side of the admin plane's table (issue 9): sessions, the caller's organization
// and its groups, client registrations, audit search and status, signing keys. Kept apart from
// operations.cpp so each area's rows live in one place; build_operations() appends them.
#include "admin/operations.hpp"

namespace mcpgate::admin {

using http::bhttp::verb;

namespace {

// Unix milliseconds up to the year 2100.
Param identity_time(std::string_view name, std::string_view description) {
  Param p;
  p.name = name;
  p.in = ParamIn::kQuery;
  p.type = ParamType::kInteger;
  p.min = 0;
  p.max = 4'102'444'800'000;
  p.description = description;
  return p;
}

}  // namespace

std::vector<Operation> identity_operations() {
  const Param session_id =
      path_param("session_id", "A session (its grant id) of the caller's organization");
  // Client ids of CIMD clients are https URLs: a filter string, not an identifier.
  const Param client_filter = query_param("client_id", ParamType::kString, 2048,
                                          "Only the sessions of this OAuth client");
  const Param user_filter =
      query_param("user_id", ParamType::kId, 128, "Only the sessions of this user");
  // A client is named by a parameter, not a path segment: a CIMD client's id is an https URL,
  // which a path segment (valid_id) cannot carry.
  Param client_query = client_filter;
  client_query.required = true;
  client_query.description = "The OAuth client_id (for a CIMD client: its document URL)";
  const Param client_body = body_param("client_id", ParamType::kString, 2048, true,
                                       "The OAuth client_id (for a CIMD client: its document URL)");
  Param decision = query_param("decision", ParamType::kString, 16, "Only this decision");
  decision.one_of = {"allow", "deny", "error"};
  return {
      {"listSessions", verb::get, "/sessions", kReadScope, "can_read_sessions",
       "The live sessions (an agent's grant with its refresh and access tokens) of the caller's "
       "organization",
       "SessionList", {user_filter, client_filter}, true, false},
      {"getSession", verb::get, "/sessions/{session_id}", kReadScope, "can_read_sessions",
       "One session of the caller's organization, revoked or not", "Session", {session_id},
       false, false},
      {"revokeSession", verb::delete_, "/sessions/{session_id}", kWriteScope,
       "can_revoke_sessions",
       "Revoke a session: its grant, refresh tokens and live access tokens, at once on this "
       "replica and within the revocation poll on the others",
       "RevokeResult", {session_id}, false, true},
      {"getOrganization", verb::get, "/organization", kReadScope, "can_read_organization",
       "The caller's organization: name, email domains, sign-in settings, SSO, counts",
       "Organization", {}, false, false},
      {"listOrganizations", verb::get, "/organizations", kReadScope, "can_read_organization",
       "Every organization of the gate (operator organization only), each as getOrganization "
       "shows it",
       "OrganizationList", {}, true, false, true},
      {"listGroups", verb::get, "/groups", kReadScope, "can_read_groups",
       "The organization's groups (SCIM) with their members", "GroupList", {}, true, false},
      {"getGroup", verb::get, "/groups/{group_id}", kReadScope, "can_read_groups",
       "One group of the caller's organization with its members", "Group",
       {path_param("group_id", "A group of the caller's organization")}, false, false},
      {"getClient", verb::get, "/client", kReadScope, "can_read_clients",
       "One client registration: metadata, DCR facts, the CIMD document's URL and fetch time "
       "(never a secret)",
       "ClientDetail", {client_query}, false, false, true},
      {"disableClient", verb::post, "/client/disable", kWriteScope, "can_manage_clients",
       "Disable a client: its grants, refresh tokens and live access tokens are revoked and it "
       "can no longer authorize, redeem codes, refresh or authenticate",
       "ClientStateResult", {client_body, reason_param()}, false, true, true},
      {"enableClient", verb::post, "/client/enable", kWriteScope, "can_manage_clients",
       "Enable a disabled client again (revoked grants stay revoked: users authorize again)",
       "ClientStateResult", {client_body, reason_param()}, false, false, true},
      {"searchAudit", verb::get, "/audit", kReadScope, "can_read_audit",
       "The caller's organization's audit records, newest first",
       "AuditRecordList",
       {query_param("user_id", ParamType::kString, 256, "Only this user's (token subject)"),
        query_param("client_id", ParamType::kString, 2048, "Only this client's"),
        query_param("tool", ParamType::kString, 256, "Only calls of this tool"), decision,
        identity_time("from_ms", "Records at or after this time (unix ms)"),
        identity_time("to_ms", "Records before this time (unix ms)")},
       true, false},
      {"getAuditStatus", verb::get, "/audit/status", kReadScope, "can_read_audit",
       "Tamper evidence: the stored hash chain verified from its first record", "AuditStatus",
       {}, false, false, true},
      {"listSigningKeys", verb::get, "/signing-keys", kReadScope, "can_read_keys",
       "The authorization server's token signing keys (public facts only)", "SigningKeyList",
       {}, false, false, true},
      {"rotateSigningKey", verb::post, "/signing-keys/rotate", kWriteScope, "can_rotate_keys",
       "Rotate: the next key signs from now on, the active one is retired (still published "
       "until its tokens expire), a new next key is published",
       "RotateKeyResult", {reason_param()}, false, true, true},
  };
}

}  // namespace mcpgate::admin
