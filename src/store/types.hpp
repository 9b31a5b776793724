#pragma once
// The records the authorization server keeps. Plain structs: the store copies them in and out.
//
// Conventions:
//  * Times are unix seconds (Timestamp). The store never reads a clock: every operation that
//    depends on time takes `now`, so tests and the two backends agree.
//  * Secrets never appear: codes, refresh tokens, client secrets and registration access
//    tokens are passed as `*_hash` = hash_secret(value) (store.hpp), 32 raw bytes. The store
//    refuses any other length, so a clear token cannot be stored by mistake.
//  * scope and resource are space-separated lists (RFC 6749 §3.3; RFC 8707 resource URIs
//    cannot contain spaces).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::store {

using Timestamp = std::int64_t;

// The organization every deployment has (migration 7 creates it; it cannot be removed). Users
// created without naming one belong to it, and so do all users of a database from before
// organizations existed.
inline constexpr const char* kDefaultOrgId = "default";

// Organization ids: 1 to 63 characters of a-z, 0-9 and '-', not starting with '-'
// ([a-z0-9][a-z0-9-]{0,62}). The one check every layer uses (config, CLI, store).
bool is_valid_org_id(std::string_view id);

// A tenant. `settings` is the organization's configuration as a JSON object (null is stored as
// {}); oauth/organizations.hpp reads and writes it: email domains, password_login, jit, client
// policy, ...
struct Organization {
  std::string id;
  std::string name;
  nlohmann::json settings = nlohmann::json::object();
  Timestamp created_at = 0;
};

struct User {
  std::string id;
  // Unique case-insensitively within its organization (ASCII case folding: "Alice" and
  // "alice" collide; non-ASCII letters compare as given). Two organizations may each have an
  // "alice".
  std::string username;
  std::string password_hash;  // PHC string from crypto::hash_password; "" = no password login
  bool disabled = false;
  Timestamp created_at = 0;
  std::string org_id = kDefaultOrgId;  // must name an existing organization
  // When deprovision_user last ran for the user (0 = never; unix seconds, for operators).
  Timestamp deprovisioned_at = 0;
  // Counts the deprovision_user calls. A browser session remembers the value it signed in with
  // and dies once it differs (oauth/deprovisioning.hpp): exact where a time comparison is not
  // (same-second reactivation, clocks of replicas that disagree).
  std::int64_t session_epoch = 0;
};

enum class ClientKind {
  kStatic,  // from the configuration file
  kDcr,     // RFC 7591 dynamic registration
  kCimd,    // client ID metadata document (client_id is an https URL)
};

struct Client {
  std::string client_id;
  ClientKind kind = ClientKind::kDcr;
  nlohmann::json metadata = nlohmann::json::object();  // RFC 7591 §2 client metadata
  std::string secret_hash;                             // "" = public client (no secret)
  Timestamp secret_expires_at = 0;                     // 0 = does not expire (RFC 7591)
  std::string registration_token_hash;                 // RFC 7592 token; "" = none
  bool disabled = false;
  Timestamp created_at = 0;
};

// One authorization: a user allowed a client some scope for some resources. Every code, refresh
// token and access token issued from one authorization code hangs off one grant; revoking the
// grant revokes all of them (the refresh-token "family" is the grant).
struct Grant {
  std::string id;
  std::string user_id;
  std::string client_id;
  std::string scope;
  std::string resource;
  Timestamp created_at = 0;
  std::optional<Timestamp> revoked_at;
};

struct AuthorizationCode {
  std::string code_hash;
  std::string grant_id;
  std::string client_id;
  std::string user_id;
  std::string redirect_uri;
  std::string code_challenge;         // "" when none was sent
  std::string code_challenge_method;  // "S256"
  std::string scope;
  std::string resource;
  // Anything else the token endpoint needs back (nonce, auth_time, dpop_jkt, ...).
  nlohmann::json extra = nlohmann::json::object();
  Timestamp created_at = 0;
  Timestamp expires_at = 0;
  std::optional<Timestamp> consumed_at;
};

enum class CodeOutcome {
  kConsumed,     // this caller won: issue tokens
  kAlreadyUsed,  // a replay (or the loser of a race): refuse, and revoke_grant(code.grant_id)
  kExpired,      // refuse
  kRevoked,      // grant revoked, or user/client disabled since: refuse
};

struct CodeRedemption {
  CodeOutcome outcome = CodeOutcome::kExpired;
  AuthorizationCode code;  // the stored record, whatever the outcome
};

struct RefreshToken {
  std::string token_hash;
  std::string grant_id;     // the family
  std::string parent_hash;  // the token this one replaced; "" for the first of the family
  std::string client_id;
  std::string scope;
  std::string resource;
  Timestamp created_at = 0;
  Timestamp expires_at = 0;             // this token's own (inactivity) expiry
  Timestamp family_expires_at = 0;      // absolute end of the family; rotation never extends it
  std::optional<Timestamp> used_at;     // set when rotated
  std::optional<Timestamp> revoked_at;  // set when the family was revoked
};

struct AccessTokenRecord {
  std::string jti;
  std::string grant_id;
  std::string client_id;
  Timestamp issued_at = 0;
  Timestamp expires_at = 0;
};

struct RotateRequest {
  std::string old_hash;
  std::string client_id;  // must be the token's client, else kPermissionDenied and no change
  std::string new_hash;
  Timestamp new_expires_at = 0;  // capped at the family's absolute expiry
  Timestamp now = 0;
  // The access token issued with the new refresh token, recorded in the same transaction when
  // the rotation wins (its grant_id is the family's, whatever is set here). One commit per
  // refresh instead of two.
  std::optional<AccessTokenRecord> access_token;
  // Caller's checks on the live token (e.g. a narrowed scope or resource must stay within the
  // grant), run in the transaction after the reuse/revocation/expiry checks and before any
  // change: an error is returned as is and nothing is spent.
  std::function<Status(const RefreshToken&)> precheck;
};

enum class RotateOutcome {
  kRotated,  // this caller won: `issued` is the new token
  kReused,   // already rotated: a replay or a lost race; refuse and revoke_grant(grant_id)
  kExpired,  // token or family expired
  kRevoked,  // family revoked, or user/client disabled
};

struct Rotation {
  RotateOutcome outcome = RotateOutcome::kExpired;
  RefreshToken presented;              // the stored record of the presented token
  std::optional<RefreshToken> issued;  // only with kRotated
  std::string user_id;                 // the family's user (the grant's)
  std::string org_id;                  // that user's organization now
};

// A JWT access token we issued, so revoking its grant can revoke it.
// An entry of the revocation list. `seq` increases with every insertion and is never reused:
// a node keeps the highest seq it has applied and asks for revoked_since(seq).
struct RevokedToken {
  std::int64_t seq = 0;
  std::string jti;
  Timestamp expires_at = 0;  // the entry can be dropped after this
};

struct Consent {
  std::string user_id;
  std::string client_id;
  std::string scope;
  std::string resource;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
};

enum class KeyState {
  kNext,     // published in the JWKS, not yet used to sign
  kActive,   // signs new tokens; at most one
  kRetired,  // published until the tokens it signed have expired, then deleted
};

struct SigningKeyRecord {
  std::string kid;
  std::string alg;          // "ES256", ...
  std::string private_pem;  // clear in memory only: sealed with AES-256-GCM at rest
  nlohmann::json public_jwk = nlohmann::json::object();
  KeyState state = KeyState::kNext;
  Timestamp created_at = 0;
  std::optional<Timestamp> activated_at;
  std::optional<Timestamp> retired_at;
};

struct CimdDocument {
  std::string url;       // the client_id
  std::string document;  // the body as fetched
  Timestamp fetched_at = 0;
  Timestamp expires_at = 0;
};

struct PurgeCounts {
  std::int64_t codes = 0;
  std::int64_t refresh_tokens = 0;
  std::int64_t access_tokens = 0;
  std::int64_t revocations = 0;
  std::int64_t grants = 0;
  std::int64_t cimd_documents = 0;
};

// --- authorization (FGA) persistence ---------------------------------------------------------
// What the fine-grained authorization engine keeps: its models, its relationship tuples with the
// revision that inserted them, and a change log (OpenFGA's ReadChanges). `store_id` names an FGA
// store (a tenant of the engine), not this database. JSON travels as text: the engine owns its
// format, the store only keeps it.

struct AuthzModel {
  std::string id;        // a ULID: ids sort by creation time, so the newest sorts last
  std::string store_id;
  Timestamp created_at = 0;
  std::string model;  // the model as JSON text
};

struct PageRequest {
  std::size_t limit = 50;  // clamped to 1..1000
  std::string token;       // "" = first page; else the next_token of the previous page
};

struct AuthzModelPage {
  std::vector<AuthzModel> models;  // newest first
  std::string next_token;          // "" = no more
};

// A tuple's identity is (object, relation, user); the condition is an attribute of it.
struct AuthzTuple {
  std::string object;             // "type:id"
  std::string relation;
  std::string user;               // "type:id", "type:*" or "type:id#relation"
  std::string condition_name;     // "" = unconditioned
  std::string condition_context;  // JSON object text; "" = none

  friend bool operator==(const AuthzTuple&, const AuthzTuple&) = default;
};

struct StoredAuthzTuple {
  AuthzTuple tuple;
  std::int64_t revision = 0;  // the write_tuples revision that inserted it
};

// Every field may be empty (= any). object and user may also be a type prefix ending in ':'
// ("document:" = every document); anything else matches exactly.
struct AuthzTupleFilter {
  std::string object;
  std::string relation;
  std::string user;
};

// All tuples of a store and the revision they are current at.
struct AuthzSnapshot {
  std::vector<StoredAuthzTuple> tuples;
  std::int64_t revision = 0;  // 0 = never written
};

enum class TupleOp { kWrite, kDelete };

struct AuthzTupleChange {
  std::int64_t revision = 0;
  TupleOp op = TupleOp::kWrite;
  AuthzTuple tuple;
  Timestamp changed_at = 0;
};

// --- the audit log and tool pins -------------------------------------------------------------
// The store keeps both as opaque text: the audit module owns the record format and its hash
// chain (audit/record.hpp), the gateway owns what a tool definition is.

// One record of the tamper-evident audit log as stored. `record` is the canonical JSON text of
// the record (it carries its own "seq" and "prev" = the hash of record seq-1); `hash` is the
// lowercase hex SHA-256 of exactly that text.
struct AuditRecord {
  std::int64_t seq = 0;  // 1, 2, 3, ... with no gaps
  std::string record;
  std::string hash;

  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

// The search columns of an audit record (migration 11), as read from its own members: "org",
// "user", "client_id", "tool", "decision" ("" when absent or not a string) and "time_ms"
// (nullopt when absent or not an integer). The store reads them from the text unless the writer
// hands them over (Store::append_audit_records with columns).
struct AuditColumns {
  std::string org_id;
  std::string user_id;
  std::string client_id;
  std::string tool;
  std::string decision;
  std::optional<std::int64_t> time_ms;

  friend bool operator==(const AuditColumns&, const AuditColumns&) = default;
};

// The approved definition of one upstream tool (tool pinning): the gateway records a hash of
// each tool's definition the first time it sees the tool, and a changed definition waits as
// "pending" until an operator approves it (`mcpgate tools approve`).
struct ToolPin {
  std::string upstream;            // upstream name from the configuration
  std::string tool;                // the upstream's own tool name
  std::string hash;                // lowercase hex SHA-256 of the approved canonical definition
  std::string definition;          // canonical JSON of the approved definition
  std::string pending_hash;        // "" = nothing pending; else the hash of a changed definition
  std::string pending_definition;  // canonical JSON of that changed definition
  Timestamp approved_at = 0;
  std::string approved_by;         // "first-sight" or "operator"
  Timestamp pending_since = 0;     // when the pending definition was first seen; 0 = none

  friend bool operator==(const ToolPin&, const ToolPin&) = default;
};

// --- deprovisioning (Store::deprovision_user / reactivate_user) ------------------------------

enum class DeprovisionMode {
  kDisable,  // SCIM active:false, `mcpgate user disable`: the user can be reactivated
  kDelete,   // SCIM DELETE: the user row goes, with its grants, consents and vault connections
};

// What one deprovision_user call found and did. A repeated call is harmless and reports the same
// revocation entries again (so a caller that crashed before telling its bearer guard can retry).
struct DeprovisionReport {
  std::string user_id;
  bool was_disabled = false;  // the user was already disabled before this call
  std::vector<std::string> grant_ids;  // grants this call revoked (not those revoked before)
  // Revocation-list entries of every unexpired access token of the user, whoever revoked them.
  std::vector<RevokedToken> revoked;
  std::int64_t vault_suspended = 0;  // kDisable: connections this call suspended
  std::int64_t vault_deleted = 0;    // kDelete: connections this call deleted
  bool deleted = false;              // kDelete: the user row is gone
};

struct ReactivationReport {
  std::string user_id;
  bool was_disabled = false;       // false: nothing to do (already active)
  std::int64_t vault_resumed = 0;  // connections usable again
};

// A user's account at an organization's identity provider (SSO, src/oauth/sso_*): the key is
// (org_id, issuer, subject) (OIDC Core §5.7: iss and sub together are the only stable
// identifier). Never found by email. email and groups are what the IdP said at the last
// sign-in, kept for display and for later use by policies; they identify nothing.
struct SsoIdentity {
  std::string org_id;
  std::string issuer;
  std::string subject;
  std::string user_id;
  std::string email;
  std::vector<std::string> groups;
  Timestamp created_at = 0;
  Timestamp last_login_at = 0;

  friend bool operator==(const SsoIdentity&, const SsoIdentity&) = default;
};

// A human's approval of one destructive admin call (src/admin/approvals.hpp), for MCP clients
// that cannot elicit. `binding` is the hex SHA-256 of (caller, operation, canonical arguments):
// only that exact call may use it, once, before expires_at.
struct AdminApproval {
  std::string id;         // random; the approval link names it
  std::string binding;
  std::string org_id;     // the caller's organization
  std::string user_id;    // who asked, and the only one who may approve
  std::string client_id;  // the agent that asked
  std::string operation;  // operationId
  std::string arguments;  // the canonical JSON the approver is shown
  std::string state;      // "pending" | "approved" | "denied" | "used"
  Timestamp created_at = 0;
  Timestamp expires_at = 0;
  Timestamp decided_at = 0;  // approved or denied (0: not yet)
  Timestamp used_at = 0;

  friend bool operator==(const AdminApproval&, const AdminApproval&) = default;
};

const char* client_kind_name(ClientKind kind);  // "static" | "dcr" | "cimd"
const char* key_state_name(KeyState state);     // "next" | "active" | "retired"

}  // namespace mcpgate::store
