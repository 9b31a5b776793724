#pragma once
// The authorization server's persistence interface. Backends: SQLite (sqlite_store.hpp); a
// PostgreSQL backend implements the same interface and must pass the same conformance suite
// (store_suite.hpp).
//
// Contract for every backend:
//  * Methods block (disk, network). Call them through store::Executor (executor.hpp), never on
//    a network thread. Implementations are thread-safe: any number of threads may call at once.
//  * Each method is one transaction: it happens entirely or not at all.
//  * Expected failures are values: kNotFound (no such row), kAlreadyExists (unique key taken),
//    kFailedPrecondition (a referenced row is missing or in the wrong state), kInvalidArgument
//    (a hash that is not 32 bytes, a malformed record), kUnauthenticated (a presented secret
//    does not match), kUnavailable (database busy or unreachable: retry later), kInternal.
//    Error messages are for logs and never contain secrets or hashes.
//  * Single use is enforced by the database, not by the caller: of N concurrent
//    consume_authorization_code / rotate_refresh_token calls on the same value, exactly one
//    gets kConsumed / kRotated, in one process or across processes sharing the database.
//
// The token endpoint, in order (ATTACKS rows 17-18, 27-29, 43):
//   code  : consume_authorization_code -> kAlreadyUsed => revoke_grant(grant_id), invalid_grant
//           -> kConsumed => check client, redirect_uri, PKCE (a failed check still burned the
//           code, as it should) -> record_access_token -> create_refresh_token -> respond.
//   refresh: rotate_refresh_token -> kReused => revoke_grant(grant_id), invalid_grant
//           -> kRotated => record_access_token for the new access token -> respond.
// record_access_token and create_refresh_token refuse (kFailedPrecondition) once the grant is
// revoked, so a revocation racing an issuance cannot leave a live token behind.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/admin_types.hpp"
#include "store/scim_types.hpp"
#include "store/types.hpp"
#include "store/vault_types.hpp"

namespace mcpgate::store {

// The one way every secret is hashed before it reaches a store: SHA-256, 32 raw bytes. Our
// codes, tokens and secrets are 256-bit random values (crypto::random_token), so a plain hash is
// enough: nothing to brute-force. Lookups go by hash; where a presented secret is checked
// against a known row (client secret, registration token) the comparison is constant-time.
std::string hash_secret(std::string_view secret);

// The client-secret rule, in one place for the stores' verify_client_secret and the token
// endpoint's client authentication: accepted only when a hash is stored (nullopt: none; a
// public client or a NULL column; a value of another size than hash_secret's counts as none),
// it equals `presented_hash` (compared in constant time, and
// compared also when nothing is stored, so every refusal does the same work), the client is not
// disabled, and the secret has not expired (`expires_at` 0: never).
bool client_secret_accepted(std::optional<std::string_view> stored_hash,
                            bool disabled,
                            Timestamp expires_at,
                            std::string_view presented_hash,
                            Timestamp now);

// What another process changed, as change notifications name it (Store::watch_changes).
enum class ChangeTopic {
  kRevocations,  // revoked_tokens grew: read revoked_since()
  kAuthz,        // an authorization model or a tuple revision was written
  kSigningKeys,  // a signing key was added, activated or deleted
  kUsers,        // a user was disabled, enabled or deleted (deprovisioning)
};
inline constexpr std::size_t kChangeTopicCount = 4;

// Stops its watch when destroyed (waiting for a callback in progress to return).
class ChangeWatch {
 public:
  virtual ~ChangeWatch() = default;
};

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // --- organizations -------------------------------------------------------------------------
  // Creates the organization or replaces its name and settings (id and created_at stay as first
  // written). kInvalidArgument for an id is_valid_org_id refuses or an empty name. There is no
  // delete: the default organization always exists, and users refer to theirs.
  virtual Status upsert_organization(const Organization& org) = 0;
  virtual Result<Organization> find_organization(std::string_view id) = 0;
  // All organizations, ordered by id.
  virtual Result<std::vector<Organization>> list_organizations() = 0;

  // --- users ---------------------------------------------------------------------------------
  // kAlreadyExists when the id, or the username within the user's organization
  // (case-insensitively), is taken; kFailedPrecondition when the organization does not exist;
  // kInvalidArgument for an org_id is_valid_org_id refuses.
  virtual Status create_user(const User& user) = 0;
  virtual Result<User> find_user(std::string_view id) = 0;
  // The user of that organization with that name (case-insensitively); kNotFound otherwise —
  // a user of another organization with the same name is never returned.
  virtual Result<User> find_user_by_username(std::string_view org_id,
                                             std::string_view username) = 0;
  // A page of the organization's users ordered by id: those whose id sorts after `after_id`
  // ("" = from the first), at most `limit` (at most 1000). Keyset paging, so a page costs an
  // index range scan however deep the listing goes (the admin API's user listing).
  virtual Result<std::vector<User>> list_org_users(std::string_view org_id,
                                                   std::string_view after_id,
                                                   std::size_t limit) = 0;
  virtual Status set_user_password(std::string_view id, std::string_view password_hash) = 0;
  // Disabling a user makes its codes and refresh tokens fail (kRevoked); call
  // revoke_user_grants too to cut its live access tokens at once. The low-level flag: to take a
  // user's access away everywhere use deprovision_user (oauth/deprovisioning.hpp wraps it).
  virtual Status set_user_disabled(std::string_view id, bool disabled) = 0;

  // --- deprovisioning ------------------------------------------------------------------------
  // Everything that cuts a user off, in ONE transaction: the user is disabled (deprovisioned_at
  // = now, also when it was disabled already); every live grant is revoked with its refresh-token families and
  // unconsumed codes; the jti of every unexpired access token goes on the revocation list (other
  // replicas learn it through revoked_since / the revocations notification); the user's vault
  // connections are suspended (kDisable: suspended_at = now, version + 1) or deleted with their
  // refresh leases (kDelete, which then deletes the user row: consents and grant rows cascade).
  // kDisable is idempotent (a repeat only moves deprovisioned_at and reports the same revocation
  // entries);
  // kNotFound for an unknown user, so a repeated kDelete is kNotFound.
  // Issuance cannot slip past it: create_authorization_code refuses a disabled user, and on
  // PostgreSQL both lock the user row first (see postgres_store.cpp), so a grant is either seen
  // and revoked here or refused.
  virtual Result<DeprovisionReport> deprovision_user(std::string_view user_id,
                                                     DeprovisionMode mode, Timestamp now) = 0;
  // Enables the user again and lifts the suspension of its vault connections (they are usable at
  // once, no new consent). Revoked grants stay revoked: clients authorize again. Idempotent.
  // kNotFound for an unknown user.
  virtual Result<ReactivationReport> reactivate_user(std::string_view user_id) = 0;

  // --- clients -------------------------------------------------------------------------------
  virtual Status create_client(const Client& client) = 0;
  virtual Result<Client> find_client(std::string_view client_id) = 0;
  // Replaces metadata, secret_hash, secret_expires_at, registration_token_hash and disabled
  // (client_id, kind and created_at are fixed). kNotFound when absent.
  virtual Status update_client(const Client& client) = 0;
  // Revokes all of the client's grants (returned: the access tokens put on the revocation
  // list), then deletes the client with its grants, codes, refresh tokens and consents.
  virtual Result<std::vector<RevokedToken>> delete_client(std::string_view client_id,
                                                          Timestamp now) = 0;
  virtual Result<std::int64_t> count_clients(ClientKind kind) = 0;
  // A page of every registered client (static, DCR, CIMD) ordered by client_id, after
  // `after_id` ("" = from the first), at most `limit` (at most 1000).
  virtual Result<std::vector<Client>> list_clients(std::string_view after_id,
                                                   std::size_t limit) = 0;
  // kUnauthenticated unless the client exists, is enabled, has a secret that has not expired,
  // and its hash equals `secret_hash` (compared in constant time). Unknown clients are also
  // kUnauthenticated so the caller cannot tell them apart by the code.
  virtual Status verify_client_secret(std::string_view client_id,
                                      std::string_view secret_hash,
                                      Timestamp now) = 0;
  // The same for the RFC 7592 registration access token.
  virtual Status verify_registration_token(std::string_view client_id,
                                           std::string_view token_hash) = 0;

  // --- grants and authorization codes --------------------------------------------------------
  // Creates the grant and its code together. code.grant_id must equal grant.id, and user and
  // client must match. kFailedPrecondition when the user or client does not exist, or the user
  // is disabled.
  virtual Status create_authorization_code(const Grant& grant, const AuthorizationCode& code) = 0;
  // Atomic single use: marks the code consumed if it is unconsumed, unexpired and its grant is
  // live, and reports what happened (see CodeOutcome). kNotFound for an unknown code.
  virtual Result<CodeRedemption> consume_authorization_code(std::string_view code_hash,
                                                            Timestamp now) = 0;
  virtual Result<Grant> find_grant(std::string_view grant_id) = 0;
  // The user's grants that are not revoked, newest first ("connected applications").
  virtual Result<std::vector<Grant>> list_user_grants(std::string_view user_id) = 0;
  // Revokes the grant, all its refresh tokens, its unconsumed codes, and puts every unexpired
  // access token issued under it on the revocation list, in one transaction. Idempotent: a
  // second call returns the same entries. kNotFound for an unknown grant.
  virtual Result<std::vector<RevokedToken>> revoke_grant(std::string_view grant_id,
                                                         Timestamp now) = 0;
  virtual Result<std::vector<RevokedToken>> revoke_user_grants(std::string_view user_id,
                                                               Timestamp now) = 0;

  // --- refresh tokens ------------------------------------------------------------------------
  // The first token of a family (parent_hash empty). kFailedPrecondition when the grant is
  // missing or revoked; kAlreadyExists for a duplicate hash.
  virtual Status create_refresh_token(const RefreshToken& token) = 0;
  virtual Result<RefreshToken> find_refresh_token(std::string_view token_hash) = 0;
  // Atomic rotation (see RotateOutcome). kNotFound for an unknown token; kPermissionDenied when
  // request.client_id is not the token's client (nothing changes). The new token inherits
  // grant, client, scope, resource and family expiry; a token has at most one successor, so a
  // family can never fork.
  virtual Result<Rotation> rotate_refresh_token(const RotateRequest& request) = 0;

  // --- access tokens and the revocation list -------------------------------------------------
  // kFailedPrecondition when the grant is missing or revoked (the jti is then put on the
  // revocation list anyway: do not hand that token out).
  virtual Status record_access_token(const AccessTokenRecord& token) = 0;
  // Puts one jti on the revocation list (RFC 7009 for an access token). Idempotent.
  virtual Status revoke_access_token(std::string_view jti, Timestamp expires_at, Timestamp now) = 0;
  virtual Result<bool> is_access_token_revoked(std::string_view jti) = 0;
  // Entries with seq > after_seq, in seq order, at most `limit`. Cheap (index range scan):
  // meant to be polled every second or so to keep an in-memory revocation set current.
  virtual Result<std::vector<RevokedToken>> revoked_since(std::int64_t after_seq,
                                                          std::size_t limit) = 0;

  // --- consents ------------------------------------------------------------------------------
  // Insert or replace the (user, client) consent.
  virtual Status put_consent(const Consent& consent) = 0;
  virtual Result<Consent> find_consent(std::string_view user_id, std::string_view client_id) = 0;
  virtual Status delete_consent(std::string_view user_id, std::string_view client_id) = 0;

  // --- signing keys --------------------------------------------------------------------------
  // The private key is sealed (AES-256-GCM, key derived from the master key, associated data
  // bound to the kid) before it is written. kAlreadyExists for a duplicate kid, or a second
  // kActive key.
  virtual Status add_signing_key(const SigningKeyRecord& key) = 0;
  // Every key, oldest first, private keys unsealed. kFailedPrecondition when a key does not
  // open (wrong master key, or a row moved/tampered with).
  virtual Result<std::vector<SigningKeyRecord>> list_signing_keys() = 0;
  // next -> active; the previously active key becomes retired (retired_at = now).
  // kFailedPrecondition unless the key is kNext.
  virtual Status activate_signing_key(std::string_view kid, Timestamp now) = 0;
  // Only retired keys can be deleted (kFailedPrecondition otherwise).
  virtual Status delete_signing_key(std::string_view kid) = 0;

  // --- CIMD document cache -------------------------------------------------------------------
  virtual Status put_cimd_document(const CimdDocument& document) = 0;
  // Returned even when stale: the caller decides from expires_at.
  virtual Result<CimdDocument> find_cimd_document(std::string_view url) = 0;

  // --- housekeeping --------------------------------------------------------------------------
  // Deletes what can no longer matter: codes a day past expiry (kept that long so a late
  // replay still finds its grant), refresh tokens of expired families and expired unused ones,
  // expired access-token records and revocation entries, grants revoked over a day ago, and
  // expired CIMD documents.
  virtual Result<PurgeCounts> purge_expired(Timestamp now) = 0;

  // --- authorization (FGA) -------------------------------------------------------------------
  // kAlreadyExists for a duplicate (store_id, id).
  virtual Status write_authz_model(const AuthzModel& model) = 0;
  virtual Result<AuthzModel> find_authz_model(std::string_view store_id, std::string_view id) = 0;
  // The model with the greatest id (ULIDs: the newest); kNotFound when the store has none.
  virtual Result<AuthzModel> latest_authz_model(std::string_view store_id) = 0;
  // Newest first, page.limit at a time.
  virtual Result<AuthzModelPage> list_authz_models(std::string_view store_id,
                                                   const PageRequest& page) = 0;
  // Applies the deletes and the writes atomically as one new revision (monotonic per store_id,
  // starting at 1) and logs each change under it; returns the revision. OpenFGA's semantics:
  // kAlreadyExists if a written tuple exists (whatever its condition), kNotFound if a deleted
  // one does not, kInvalidArgument for an empty call, an empty field, or a tuple named twice in
  // one call. On any error nothing changes and no revision is used.
  virtual Result<std::int64_t> write_tuples(std::string_view store_id,
                                            const std::vector<AuthzTuple>& writes,
                                            const std::vector<AuthzTuple>& deletes,
                                            Timestamp now) = 0;
  // Matching tuples ordered by (object, relation, user).
  virtual Result<std::vector<StoredAuthzTuple>> read_tuples(std::string_view store_id,
                                                            const AuthzTupleFilter& filter) = 0;
  // Every tuple and the revision of that state, read in one snapshot (an engine loads this at
  // start, then follows tuple_changes_since(revision)).
  virtual Result<AuthzSnapshot> load_all_tuples(std::string_view store_id) = 0;
  // Changes with revision > `revision`, in (revision, order within the write) order. Returns
  // whole revisions only: about `limit` changes, more when needed to finish the last revision,
  // so resuming from the last revision returned never skips part of a write.
  virtual Result<std::vector<AuthzTupleChange>> tuple_changes_since(std::string_view store_id,
                                                                    std::int64_t revision,
                                                                    std::size_t limit) = 0;

  // --- audit log ----------------------------------------------------------------------------
  // The log is append-only and hash-chained by its writers (audit/audit_log.hpp); the store
  // keeps the chain's order honest: seq is the primary key, so of two writers that chained onto
  // the same tail only one can append.
  //
  // Appends `records` in one transaction. Their seqs must be contiguous and the first must be
  // the last stored seq + 1; each hash must be the hex SHA-256 of its record text
  // (kInvalidArgument otherwise, also for a first seq beyond last + 1). kAlreadyExists when
  // another writer appended first (a seq is taken): nothing is written, and the caller re-reads
  // last_audit_record() and re-chains. (kAlreadyExists is the contract's "unique key taken";
  // there is no separate "aborted" code.) An empty batch is a no-op.
  virtual Status append_audit_records(const std::vector<AuditRecord>& records) = 0;
  // The same, with each record's search columns as its writer built them (`columns[i]` for
  // `records[i]`; kInvalidArgument when the sizes differ), so the store need not parse the
  // texts again. The writer vouches that they are what the text says (audit/record.hpp's
  // record_columns; the audit tests compare them with the store's own reading).
  virtual Status append_audit_records(const std::vector<AuditRecord>& records,
                                      const std::vector<AuditColumns>& columns) = 0;
  // The record with the highest seq; kNotFound when the log is empty.
  virtual Result<AuditRecord> last_audit_record() = 0;
  // Records with seq > after_seq in seq order, at most `limit` (capped at 1,000,000).
  virtual Result<std::vector<AuditRecord>> read_audit_records(std::int64_t after_seq,
                                                              std::size_t limit) = 0;

  // --- tool pins -----------------------------------------------------------------------------
  // Pins of one upstream ("" = every upstream), ordered by (upstream, tool).
  virtual Result<std::vector<ToolPin>> list_tool_pins(std::string_view upstream) = 0;
  // Inserts `pin` when (upstream, tool) has none; returns the stored pin either way, so two
  // replicas that see a tool first at the same time agree on one pin. upstream, tool, hash and
  // definition are required (kInvalidArgument).
  virtual Result<ToolPin> pin_tool_if_absent(const ToolPin& pin) = 0;
  // Records a changed definition seen for a pinned tool: sets pending_hash/definition and
  // pending_since = now (kept when the same pending hash is set again, so it says since when
  // the change waits). A pending hash equal to the approved one clears pending (the upstream
  // went back to the approved definition). kNotFound when the tool is not pinned.
  virtual Status set_tool_pin_pending(std::string_view upstream,
                                      std::string_view tool,
                                      std::string_view pending_hash,
                                      std::string_view pending_definition,
                                      Timestamp now) = 0;
  // Operator approval of exactly the definition the operator saw: the pending definition whose
  // hash is `pending_hash` becomes the approved one (approved_by "operator", approved_at now,
  // pending cleared), in one statement, so a definition that changed again after it was shown
  // is never approved blind. kNotFound when the tool is not pinned; kFailedPrecondition when
  // nothing is pending or another definition is pending now (its message says which);
  // kInvalidArgument for an empty `pending_hash`.
  virtual Status approve_tool_pin(std::string_view upstream, std::string_view tool,
                                  std::string_view pending_hash, Timestamp now) = 0;

  // --- token vault (src/vault; the SQL is shared: vault_queries.hpp) ----------------------------
  // Data keys of one tenant ("" = every tenant), ordered by (tenant, version).
  virtual Result<std::vector<VaultDataKey>> list_vault_data_keys(std::string_view tenant) = 0;
  // Inserts a data-key version. An active one demotes the tenant's previous active version in
  // the same transaction. kAlreadyExists when (tenant, version) is taken (a racing creator won:
  // re-read); kInvalidArgument for an empty tenant or wrapped key, or a version < 1.
  virtual Status add_vault_data_key(const VaultDataKey& key) = 0;
  // Replaces the wrapping of one data key (master-key rotation), only if it is still wrapped
  // under `expected_master_version` (kFailedPrecondition otherwise: someone re-wrapped it
  // first); kNotFound when absent.
  virtual Status rewrap_vault_data_key(std::string_view tenant, std::int64_t version,
                                       std::int64_t expected_master_version,
                                       std::string_view wrapped,
                                       std::int64_t master_key_version, Timestamp now) = 0;
  // Inserts a connection with version 1. kAlreadyExists when the id or (tenant, user_id,
  // connector) is taken; kInvalidArgument for empty ids or sealed fields.
  virtual Status insert_vault_connection(const VaultConnection& connection) = 0;
  virtual Result<VaultConnection> find_vault_connection(std::string_view tenant,
                                                        std::string_view user_id,
                                                        std::string_view connector) = 0;
  // A user's connections ordered by connector, sealed fields included (the vault strips them).
  virtual Result<std::vector<VaultConnection>> list_vault_connections(std::string_view tenant,
                                                                      std::string_view user_id) = 0;
  // Compare-and-set: replaces status, expiry, scopes, data-key version, sealed fields and
  // updated_at of the row with connection.id, only if its version is `expected_version` and it
  // is not suspended; the row's version becomes expected_version + 1 (returned).
  // kFailedPrecondition when the version moved (another writer won: re-read) or the row is
  // suspended (deprovision_user), kNotFound when the row is gone.
  virtual Result<std::int64_t> update_vault_connection(const VaultConnection& connection,
                                                       std::int64_t expected_version) = 0;
  // Deletes the connection and its refresh lease. kNotFound when absent.
  virtual Status delete_vault_connection(std::string_view tenant, std::string_view user_id,
                                         std::string_view connector) = 0;
  // Connections per (tenant, data-key version), for `mcpgate vault status`.
  virtual Result<std::vector<VaultKeyUsage>> vault_key_usage() = 0;
  // Rows of one tenant still sealed under a data-key version other than `data_key_version`.
  virtual Result<std::int64_t> count_vault_connections_not_under(std::string_view tenant,
                                                                 std::int64_t data_key_version) = 0;

  // --- refresh leases (one token refresh per connection across processes) ---------------------
  // Atomic: granted when no lease exists, the lease expired (expires_at <= now), or `holder`
  // already holds it (renewal); the lease then runs until now + ttl_s. Otherwise the current
  // holder and expiry are returned with granted = false. kFailedPrecondition when the
  // connection does not exist; kInvalidArgument for an empty holder or ttl_s < 1.
  virtual Result<RefreshLease> acquire_refresh_lease(std::string_view connection_id,
                                                     std::string_view holder, Timestamp now,
                                                     Timestamp ttl_s) = 0;
  // Releases the lease if `holder` still holds it; kFailedPrecondition when it does not (it
  // expired and was taken over, or was never held).
  virtual Status release_refresh_lease(std::string_view connection_id,
                                       std::string_view holder) = 0;

  // --- SCIM provisioning (src/provision; the SQL is shared: scim_queries.hpp) -----------------
  // kAlreadyExists for a duplicate id or token hash; kInvalidArgument for an empty id or org
  // or a hash that is not 32 bytes.
  virtual Status create_scim_directory(const ScimDirectory& directory) = 0;
  // Directories of one organization ("" = every organization), ordered by id.
  virtual Result<std::vector<ScimDirectory>> list_scim_directories(std::string_view org_id) = 0;
  // Sets revoked_at (kept when already revoked). kNotFound when absent.
  virtual Status revoke_scim_directory(std::string_view id, Timestamp now) = 0;
  // The directory whose token hashes to `token_hash`, revoked or not (the caller refuses a
  // revoked one). kNotFound for an unknown hash.
  virtual Result<ScimDirectory> find_scim_directory_by_token(std::string_view token_hash) = 0;

  // Creates the gate user (id, username = name, disabled = !active, the password hash; "" = no
  // password login) and its SCIM row together. kAlreadyExists when the id, or the name within
  // the organization ignoring case, is taken.
  virtual Status create_scim_user(const ScimResource& user, std::string_view password_hash) = 0;
  // Replaces the SCIM row and the gate user's username and disabled flag (and the password hash
  // when given) if the stored version is `expected_version` (0: any); returns the new version.
  // kNotFound (no such user in that organization), kFailedPrecondition (the version moved),
  // kAlreadyExists (the new name is taken).
  virtual Result<std::int64_t> replace_scim_user(const ScimResource& user,
                                                 std::int64_t expected_version,
                                                 const std::optional<std::string>& password_hash) = 0;
  // Deletes the user's memberships with their tuples, the SCIM row and the gate user (its grants
  // go with it: revoke them first). kNotFound when absent from that organization.
  virtual Status delete_scim_user(std::string_view org_id, std::string_view id,
                                  const ScimTupleTarget& tuples) = 0;
  // Creates the group and its members, and writes a tuple per member in the same transaction.
  // kAlreadyExists (id, or displayName within the organization ignoring case);
  // kFailedPrecondition when a member is not a SCIM user of the organization.
  virtual Status create_scim_group(const ScimResource& group, const ScimTupleTarget& tuples) = 0;
  // Replaces the group row and its member set (version check as replace_scim_user); members
  // added and removed become tuple writes and deletes in the same transaction.
  virtual Result<std::int64_t> replace_scim_group(const ScimResource& group,
                                                  std::int64_t expected_version,
                                                  const ScimTupleTarget& tuples) = 0;
  // Deletes the group, its members and their tuples. kNotFound when absent from that org.
  virtual Status delete_scim_group(std::string_view org_id, std::string_view id,
                                   const ScimTupleTarget& tuples) = 0;
  // One resource of one organization (another organization's id is kNotFound).
  virtual Result<ScimResource> find_scim_resource(ScimKind kind, std::string_view org_id,
                                                  std::string_view id) = 0;
  // A page of an organization's resources that match the filter (compiled to parameterized
  // SQL by scim::to_sql), ordered by id, and the number of all matches.
  virtual Result<ScimPage> list_scim_resources(const ScimListQuery& query) = 0;
  // --- SSO identities (src/oauth sso_*; the SQL is shared: sso_queries.hpp) ------------------
  // The identity an organization's IdP vouches for as (issuer, subject), with the user it is
  // linked to. kNotFound when none. There is deliberately no lookup by email (ATTACKS row 64).
  virtual Result<SsoIdentity> find_sso_identity(std::string_view org_id, std::string_view issuer,
                                                std::string_view subject) = 0;
  // Just-in-time provisioning: creates `user` and links `identity` (whose user_id must be
  // user.id and org_id user.org_id) in one transaction. kAlreadyExists when the username is
  // taken in the organization or the identity is already linked (a concurrent first sign-in:
  // find it again); kFailedPrecondition when the organization does not exist; nothing is
  // written then.
  virtual Status create_sso_user(const User& user, const SsoIdentity& identity) = 0;
  // Records a sign-in of a linked identity: email, groups and last_login_at are replaced.
  // kNotFound unless (org_id, issuer, subject) is linked to identity.user_id.
  virtual Status record_sso_login(const SsoIdentity& identity) = 0;

  // --- admin plane (issue 9; the SQL is shared: admin_queries.hpp) ---------------------------
  // A page of an organization's live sessions (admin_types.hpp: SessionQuery).
  virtual Result<std::vector<Session>> list_sessions(const SessionQuery& query) = 0;
  // One grant of the organization's users with its token facts, revoked or not. kNotFound when
  // missing or of another organization.
  virtual Result<Session> find_session(std::string_view org_id, std::string_view grant_id) = 0;
  // Sets the client's disabled flag. Disabling also revokes every live grant of the client
  // with its refresh tokens and codes, and puts its unexpired access tokens on the revocation
  // list (returned), in the same transaction. kNotFound for an unknown client.
  virtual Result<std::vector<RevokedToken>> set_client_disabled(std::string_view client_id,
                                                                bool disabled, Timestamp now) = 0;
  virtual Result<OrganizationCounts> count_organization(std::string_view org_id) = 0;
  // Audit records matching the query (admin_types.hpp: AuditQuery), newest first.
  virtual Result<std::vector<AuditRecord>> search_audit(const AuditQuery& query) = 0;

  // --- approvals of destructive admin calls (src/admin/approvals.hpp; admin_approval_queries) -
  // kAlreadyExists when the id is taken; kInvalidArgument for a row missing id, binding, user
  // or operation, or not in state "pending".
  virtual Status create_admin_approval(const AdminApproval& approval) = 0;
  // kNotFound when there is no such id.
  virtual Result<AdminApproval> find_admin_approval(std::string_view id) = 0;
  // The newest approval still waiting (state "pending", unexpired at `now`) with this binding;
  // kNotFound when none.
  virtual Result<AdminApproval> find_pending_admin_approval(std::string_view binding,
                                                            Timestamp now) = 0;
  // pending -> approved (or denied) by `user_id`, who must be the one who asked: one
  // conditional UPDATE. kNotFound when no such id belongs to that user; kFailedPrecondition
  // when it is no longer pending or has expired.
  virtual Status decide_admin_approval(std::string_view id, std::string_view user_id,
                                       bool approve, Timestamp now) = 0;
  // Uses up an approved, unexpired approval with this binding (approved -> used): true when
  // there was one. Of concurrent calls, in one process or several, exactly one gets true.
  virtual Result<bool> use_admin_approval(std::string_view binding, Timestamp now) = 0;

  // --- change notifications between processes ------------------------------------------------
  // Calls `on_change` (from a thread of the store's) soon after any process commits a change of
  // a topic, and once for every topic whenever the watch (re)connects, since changes made while
  // it was away were missed. Callers keep their periodic catch-up: a notification only makes it
  // happen sooner. nullptr: this backend has no notifications (SQLite: the polls alone).
  virtual std::unique_ptr<ChangeWatch> watch_changes(std::function<void(ChangeTopic)> on_change) {
    (void)on_change;
    return nullptr;
  }
};

}  // namespace mcpgate::store
