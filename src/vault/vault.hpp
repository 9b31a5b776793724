#pragma once
// The token vault: each user's upstream OAuth tokens per connector, sealed at rest (envelope
// encryption: sealing.hpp, data_keys.hpp), opened on demand and kept opened in memory for the
// tool-call path.
//
// Use (all methods block on the store on a cache miss: call them through store::Executor):
//   connect flow   put_connection(tenant, user, connector, tokens, now)
//   tool call      get_connection(tenant, user, connector) -> access_token, expiry, status
//   refresh        acquire the lease (store), get_connection(..., kFromStore) (re-read after the
//                  lease), refresh at the provider, update_tokens(..., expected_version, now)
//                  -- kFailedPrecondition means another refresher won: re-read, use its tokens
//   invalid_grant  mark_needs_reconsent(..., expected_version, now)
//   list/disconnect list_connections(tenant, user) (no secrets), delete_connection(...)
//
// Cache: opened connections are cached per (tenant, user, connector) and replaced or dropped by
// every write made through this Vault. A write by another process (another replica's refresh
// or disconnect) is seen once the entry is older than Options::cache_ttl, when the next lookup
// re-reads the row (and re-opens it only if its version moved). So a replica may use a
// superseded access token for up to cache_ttl: tokens are refreshed before they expire, so it
// still works; a disconnect elsewhere takes up to cache_ttl to reach this replica. A suspension
// (a deactivated user) is not left to the TTL: the deprovisioning process calls forget_user, and
// other replicas forget_all on the store's users notification (app/serve.cpp).
//
// Thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"
#include "vault/data_keys.hpp"
#include "vault/keyring.hpp"

namespace mcpgate::vault {

using ConnectionStatus = store::VaultConnectionStatus;

// An opened connection. The token strings are wiped when the last holder lets go.
struct ConnectionSecrets {
  std::string id;
  std::string access_token;
  std::string refresh_token;  // "" = the provider issued none
  store::Timestamp expires_at = 0;  // 0 = unknown
  // When these tokens were stored (the row's updated_at): with expires_at it gives the token's
  // lifetime, which sets how early the runtime refreshes.
  store::Timestamp issued_at = 0;
  std::string scopes;
  // The connection variables as stored (a JSON object text from the connectors; "" = none).
  // Not secret, but sealed with the tokens so that they stay bound to this row.
  std::string connection_vars;
  ConnectionStatus status = ConnectionStatus::kActive;
  std::int64_t version = 0;  // pass to update_tokens as expected_version

  ConnectionSecrets() = default;
  ConnectionSecrets(const ConnectionSecrets&) = default;
  ConnectionSecrets& operator=(const ConnectionSecrets&) = default;
  ~ConnectionSecrets();

  friend bool operator==(const ConnectionSecrets&, const ConnectionSecrets&) = default;
};
using SecretsPtr = std::shared_ptr<const ConnectionSecrets>;

// A connection as the user may see it: no secrets.
struct ConnectionInfo {
  std::string id;
  std::string connector;
  ConnectionStatus status = ConnectionStatus::kActive;
  store::Timestamp expires_at = 0;
  std::string scopes;
  std::int64_t version = 0;
  store::Timestamp created_at = 0;
  store::Timestamp updated_at = 0;
  bool suspended = false;  // its user is deactivated (Store::deprovision_user)
};

// Tokens from a completed authorization (the connect flow).
struct TokenSet {
  std::string access_token;   // required
  std::string refresh_token;  // "" = none
  store::Timestamp expires_at = 0;
  std::string scopes;
  std::string connection_vars;  // opaque to the vault (JSON text from the connectors); "" = none
};

// Tokens from a refresh. Providers that do not rotate refresh tokens omit one: keep ours.
struct TokenUpdate {
  std::string access_token;                  // required
  std::optional<std::string> refresh_token;  // nullopt = keep the stored one
  store::Timestamp expires_at = 0;
  std::optional<std::string> scopes;  // nullopt = keep
  std::optional<std::string> connection_vars;  // nullopt = keep the stored ones
};

// What `vault status` shows: counts only.
struct VaultStatus {
  std::vector<std::int64_t> master_versions_loaded;
  std::int64_t active_master_version = 0;
  std::vector<store::VaultDataKey> data_keys;  // wrapped bytes cleared
  std::vector<store::VaultKeyUsage> usage;
};

class Vault {
 public:
  enum class Read {
    kCached,     // the opened copy when fresh enough (the tool-call path)
    kFromStore,  // always re-read the row (after taking a refresh lease)
  };

  struct Options {
    std::chrono::milliseconds cache_ttl{2000};
    std::size_t max_cached = 100000;  // beyond this the cache starts over (bounds memory)
  };

  Vault(store::Store& store, MasterKeyring keyring, Options options);
  Vault(store::Store& store, MasterKeyring keyring) : Vault(store, std::move(keyring), Options{}) {}

  // Creates the user's connection to `connector`, or replaces the tokens of the existing one
  // (a reconnect; status back to active). Returns the row version.
  Result<std::int64_t> put_connection(std::string_view tenant, std::string_view user_id,
                                      std::string_view connector, const TokenSet& tokens,
                                      store::Timestamp now);
  // kNotFound when the user has no connection to `connector` (start the connect flow);
  // kFailedPrecondition when the connection is suspended (its user is deactivated: nothing may
  // use or refresh it until Store::reactivate_user).
  Result<SecretsPtr> get_connection(std::string_view tenant, std::string_view user_id,
                                    std::string_view connector, Read read = Read::kCached);
  // Compare-and-set: kFailedPrecondition when the row is no longer at expected_version, or is
  // suspended.
  // Seals under the tenant's active data key. Returns the new version.
  Result<std::int64_t> update_tokens(std::string_view tenant, std::string_view user_id,
                                     std::string_view connector, const TokenUpdate& update,
                                     std::int64_t expected_version, store::Timestamp now);
  // Compare-and-set as above; the sealed tokens stay as they are.
  Result<std::int64_t> mark_needs_reconsent(std::string_view tenant, std::string_view user_id,
                                            std::string_view connector,
                                            std::int64_t expected_version, store::Timestamp now);
  Result<std::vector<ConnectionInfo>> list_connections(std::string_view tenant,
                                                       std::string_view user_id);
  Status delete_connection(std::string_view tenant, std::string_view user_id,
                           std::string_view connector);

  // Drops cached copies so the next lookup reads the row (and finds a suspension at once):
  // forget_user after deprovisioning a user in this process, forget_all when another process
  // changed some user (the store's users notification names no one).
  void forget_user(std::string_view user_id);
  void forget_all();

  // --- operator -------------------------------------------------------------------------------
  Result<RewrapReport> rotate_master_key(store::Timestamp now) { return keys_.rewrap_all(now); }
  Result<std::int64_t> new_data_key(std::string_view tenant, store::Timestamp now);
  Result<VaultStatus> status();

  // Opens a stored row (what a cache miss does after reading it). Public for the benchmark and
  // tests; callers use get_connection.
  Result<SecretsPtr> open_row(const store::VaultConnection& row);

 private:
  struct Entry {
    SecretsPtr secrets;
    std::chrono::steady_clock::time_point loaded;
  };

  Result<store::VaultConnection> seal_row(store::VaultConnection row, std::string_view access,
                                          std::string_view refresh, std::string_view vars,
                                          store::Timestamp now);
  void remember(const std::string& key, SecretsPtr secrets);
  void forget(const std::string& key);

  store::Store& store_;
  DataKeys keys_;
  Options options_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace mcpgate::vault
