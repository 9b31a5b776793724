#pragma once
// Rows of the token vault (src/vault) as the store keeps them. The store never sees a plaintext
// secret: data keys arrive wrapped under a master key, token fields arrive sealed under a data
// key, and the store only moves these opaque blobs (BLOB / BYTEA) around. src/vault owns the
// formats and the associated data that binds each blob to its row.

#include <cstdint>
#include <string>

#include "store/types.hpp"

namespace mcpgate::store {

// One version of a tenant's data key (DEK). At most one version per tenant is active: new seals
// use it; older versions stay so what they sealed still opens.
struct VaultDataKey {
  std::string tenant;
  std::int64_t version = 0;             // 1, 2, ... per tenant
  std::string wrapped;                  // the 32-byte DEK sealed under the master key below
  std::int64_t master_key_version = 0;  // which master key wrapped it
  bool active = false;
  Timestamp created_at = 0;
  Timestamp rewrapped_at = 0;  // last re-wrap under another master key; 0 = never

  friend bool operator==(const VaultDataKey&, const VaultDataKey&) = default;
};

enum class VaultConnectionStatus {
  kActive,
  kNeedsReconsent,  // the provider refused the refresh token (invalid_grant): reconnect
};

const char* vault_connection_status_name(VaultConnectionStatus status);  // "active" | ...

// One user's connection to one connector: a row per (tenant, user_id, connector).
struct VaultConnection {
  std::string id;  // random, fixed for the row's life (the sealed fields' associated data names it)
  std::string tenant;
  std::string user_id;
  std::string connector;
  VaultConnectionStatus status = VaultConnectionStatus::kActive;
  Timestamp expires_at = 0;  // the access token's expiry (unix seconds); 0 = unknown
  std::string scopes;        // as granted, space-separated
  std::int64_t data_key_version = 0;  // the tenant DEK the fields are sealed under
  std::string access_token_sealed;
  std::string refresh_token_sealed;
  // The connection variables (a JSON object, e.g. Salesforce's instance_url), sealed like the
  // tokens so that whoever can write the table cannot redirect calls to another allowed host.
  // Empty for rows written before schema version 6 (read as "no variables").
  std::string connection_vars_sealed;
  std::int64_t version = 0;  // row version: 1 on insert, +1 on every update (compare-and-set)
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  // Set by Store::deprovision_user (its user was deactivated), cleared by reactivate_user; 0 =
  // not suspended. Orthogonal to `status`: a suspended row keeps its tokens and its status, so
  // reactivation makes it usable again without a new consent. Only those two operations change
  // it (each moves `version`, so a refresh that read the row before fails its compare-and-set);
  // update_vault_connection leaves it alone and refuses a suspended row.
  Timestamp suspended_at = 0;

  friend bool operator==(const VaultConnection&, const VaultConnection&) = default;
};

// How many connections of a tenant are sealed under each of its data-key versions.
struct VaultKeyUsage {
  std::string tenant;
  std::int64_t data_key_version = 0;
  std::int64_t connections = 0;

  friend bool operator==(const VaultKeyUsage&, const VaultKeyUsage&) = default;
};

// The answer to acquire_refresh_lease: granted to the caller, or held by someone else until
// expires_at.
struct RefreshLease {
  bool granted = false;
  std::string holder;
  Timestamp expires_at = 0;
};

}  // namespace mcpgate::store
