#include "vault/vault.hpp"

#include <mutex>

#include <openssl/crypto.h>

#include "crypto/random.hpp"
#include "vault/sealing.hpp"

namespace mcpgate::vault {
namespace {

constexpr std::string_view kAccessField = "access_token";
constexpr std::string_view kRefreshField = "refresh_token";
constexpr std::string_view kConnectionVarsField = "connection_vars";
// Racing writers of one row (two connect flows, a connect and a refresh) retry this often.
constexpr int kWriteAttempts = 3;

Status check_ref(std::string_view tenant, std::string_view user_id, std::string_view connector) {
  MCPGATE_TRY(check_name(tenant, "tenant"));
  MCPGATE_TRY(check_name(user_id, "user"));
  return check_name(connector, "connector");
}

Status check_token(std::string_view token, const char* what, bool required) {
  if (required && token.empty()) {
    return make_error(ErrorCode::kInvalidArgument, std::string("vault: ") + what + " is empty");
  }
  if (token.size() > kMaxTokenBytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("vault: ") + what + " is longer than 16 KiB");
  }
  return {};
}

Status check_scopes(std::string_view scopes) {
  if (scopes.size() > kMaxScopesBytes) {
    return make_error(ErrorCode::kInvalidArgument, "vault: scopes are longer than 4 KiB");
  }
  return {};
}

Status check_connection_vars(std::string_view vars) {
  if (vars.size() > kMaxConnectionVarsBytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      "vault: connection variables are longer than 8 KiB");
  }
  return {};
}

// The cache key; names never contain NUL (check_name), so it is unambiguous.
std::string cache_key(std::string_view tenant, std::string_view user_id,
                      std::string_view connector) {
  std::string key;
  key.reserve(tenant.size() + user_id.size() + connector.size() + 2);
  key.append(tenant).push_back('\0');
  key.append(user_id).push_back('\0');
  key.append(connector);
  return key;
}

Error suspended_error() {
  return make_error(ErrorCode::kFailedPrecondition,
                    "vault: the connection is suspended (its user is deactivated)");
}

std::string new_connection_id() {
  return "vc_" + crypto::random_id();
}

}  // namespace

ConnectionSecrets::~ConnectionSecrets() {
  OPENSSL_cleanse(access_token.data(), access_token.size());
  OPENSSL_cleanse(refresh_token.data(), refresh_token.size());
}

Vault::Vault(store::Store& store, MasterKeyring keyring, Options options)
    : store_(store), keys_(store, std::move(keyring)), options_(options) {}

void Vault::remember(const std::string& key, SecretsPtr secrets) {
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    // A slower reader must not put back a version older than one a writer already cached.
    const ConnectionSecrets& cached = *it->second.secrets;
    if (cached.id == secrets->id && cached.version > secrets->version) {
      return;
    }
    it->second = Entry{std::move(secrets), now};
    return;
  }
  if (cache_.size() >= options_.max_cached) {
    cache_.clear();
  }
  cache_.emplace(key, Entry{std::move(secrets), now});
}

void Vault::forget(const std::string& key) {
  std::unique_lock lock(mu_);
  cache_.erase(key);
}

Result<store::VaultConnection> Vault::seal_row(store::VaultConnection row, std::string_view access,
                                               std::string_view refresh, std::string_view vars,
                                               store::Timestamp now) {
  MCPGATE_ASSIGN_OR_RETURN(const ActiveDataKey dek, keys_.active(row.tenant, now));
  row.data_key_version = dek.version;
  MCPGATE_ASSIGN_OR_RETURN(
      row.access_token_sealed,
      seal_field(*dek.key, FieldRef{row.tenant, row.user_id, row.id, kAccessField}, access));
  MCPGATE_ASSIGN_OR_RETURN(
      row.refresh_token_sealed,
      seal_field(*dek.key, FieldRef{row.tenant, row.user_id, row.id, kRefreshField}, refresh));
  MCPGATE_ASSIGN_OR_RETURN(
      row.connection_vars_sealed,
      seal_field(*dek.key, FieldRef{row.tenant, row.user_id, row.id, kConnectionVarsField}, vars));
  row.updated_at = now;
  return row;
}

Result<SecretsPtr> Vault::open_row(const store::VaultConnection& row) {
  MCPGATE_ASSIGN_OR_RETURN(const DataKeyPtr dek, keys_.get(row.tenant, row.data_key_version));
  auto out = std::make_shared<ConnectionSecrets>();
  MCPGATE_ASSIGN_OR_RETURN(
      out->access_token,
      open_field(*dek, FieldRef{row.tenant, row.user_id, row.id, kAccessField},
                 row.access_token_sealed));
  MCPGATE_ASSIGN_OR_RETURN(
      out->refresh_token,
      open_field(*dek, FieldRef{row.tenant, row.user_id, row.id, kRefreshField},
                 row.refresh_token_sealed));
  if (!row.connection_vars_sealed.empty()) {  // empty: written before the column existed
    MCPGATE_ASSIGN_OR_RETURN(
        out->connection_vars,
        open_field(*dek, FieldRef{row.tenant, row.user_id, row.id, kConnectionVarsField},
                   row.connection_vars_sealed));
  }
  out->id = row.id;
  out->expires_at = row.expires_at;
  out->issued_at = row.updated_at;
  out->scopes = row.scopes;
  out->status = row.status;
  out->version = row.version;
  return SecretsPtr(std::move(out));
}

Result<std::int64_t> Vault::put_connection(std::string_view tenant, std::string_view user_id,
                                           std::string_view connector, const TokenSet& tokens,
                                           store::Timestamp now) {
  MCPGATE_TRY(check_ref(tenant, user_id, connector));
  MCPGATE_TRY(check_token(tokens.access_token, "access token", true));
  MCPGATE_TRY(check_token(tokens.refresh_token, "refresh token", false));
  MCPGATE_TRY(check_scopes(tokens.scopes));
  MCPGATE_TRY(check_connection_vars(tokens.connection_vars));
  const std::string key = cache_key(tenant, user_id, connector);
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto existing = store_.find_vault_connection(tenant, user_id, connector);
    if (!existing && existing.error().code != ErrorCode::kNotFound) {
      return existing.error();
    }
    store::VaultConnection row;
    if (existing && existing->suspended_at != 0) {
      return suspended_error();  // a reconnect must not lift a deprovisioning
    }
    if (existing) {
      row = std::move(existing).value();
    } else {
      row.id = new_connection_id();
      row.tenant = std::string(tenant);
      row.user_id = std::string(user_id);
      row.connector = std::string(connector);
      row.created_at = now;
    }
    row.status = ConnectionStatus::kActive;
    row.expires_at = tokens.expires_at;
    row.scopes = tokens.scopes;
    MCPGATE_ASSIGN_OR_RETURN(store::VaultConnection sealed,
                             seal_row(row, tokens.access_token, tokens.refresh_token,
                                      tokens.connection_vars, now));
    Result<std::int64_t> version = std::int64_t{1};
    if (existing) {
      version = store_.update_vault_connection(sealed, row.version);
    } else if (auto st = store_.insert_vault_connection(sealed); !st) {
      version = st.error();
    }
    if (version) {
      auto secrets = std::make_shared<ConnectionSecrets>();
      secrets->id = row.id;
      secrets->access_token = tokens.access_token;
      secrets->refresh_token = tokens.refresh_token;
      secrets->expires_at = row.expires_at;
      secrets->issued_at = now;
      secrets->scopes = row.scopes;
      secrets->connection_vars = tokens.connection_vars;
      secrets->version = *version;
      remember(key, std::move(secrets));
      return version;
    }
    // The store refuses a new connection of a deactivated user: final.
    if (!existing && version.error().code == ErrorCode::kFailedPrecondition) {
      return version.error();
    }
    // Lost a race with another connect for the same user and connector: go again on its row.
    const ErrorCode code = version.error().code;
    if (code != ErrorCode::kAlreadyExists && code != ErrorCode::kFailedPrecondition
        && code != ErrorCode::kNotFound) {
      return version.error();
    }
  }
  return make_error(ErrorCode::kUnavailable,
                    "vault: the connection kept changing while it was being stored; try again");
}

Result<SecretsPtr> Vault::get_connection(std::string_view tenant, std::string_view user_id,
                                         std::string_view connector, Read read) {
  MCPGATE_TRY(check_ref(tenant, user_id, connector));
  const std::string key = cache_key(tenant, user_id, connector);
  SecretsPtr cached;
  {
    std::shared_lock lock(mu_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) {
      cached = it->second.secrets;
      if (read == Read::kCached
          && std::chrono::steady_clock::now() - it->second.loaded < options_.cache_ttl) {
        return cached;
      }
    }
  }
  auto row = store_.find_vault_connection(tenant, user_id, connector);
  if (!row) {
    if (row.error().code == ErrorCode::kNotFound) {
      forget(key);
    }
    return row.error();
  }
  if (row->suspended_at != 0) {
    forget(key);
    return suspended_error();
  }
  if (cached && cached->id == row->id && cached->version == row->version) {
    remember(key, cached);  // unchanged: only the freshness moves
    return cached;
  }
  MCPGATE_ASSIGN_OR_RETURN(SecretsPtr opened, open_row(*row));
  remember(key, opened);
  return opened;
}

Result<std::int64_t> Vault::update_tokens(std::string_view tenant, std::string_view user_id,
                                          std::string_view connector, const TokenUpdate& update,
                                          std::int64_t expected_version, store::Timestamp now) {
  MCPGATE_TRY(check_ref(tenant, user_id, connector));
  MCPGATE_TRY(check_token(update.access_token, "access token", true));
  if (update.refresh_token) {
    MCPGATE_TRY(check_token(*update.refresh_token, "refresh token", false));
  }
  if (update.scopes) {
    MCPGATE_TRY(check_scopes(*update.scopes));
  }
  if (update.connection_vars) {
    MCPGATE_TRY(check_connection_vars(*update.connection_vars));
  }
  MCPGATE_ASSIGN_OR_RETURN(store::VaultConnection row,
                           store_.find_vault_connection(tenant, user_id, connector));
  if (row.suspended_at != 0) {
    forget(cache_key(tenant, user_id, connector));
    return suspended_error();
  }
  if (row.version != expected_version) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "vault: connection changed since it was read (version "
                          + std::to_string(row.version) + ", expected "
                          + std::to_string(expected_version) + "); re-read it");
  }
  std::string refresh;
  std::string vars;
  if (update.refresh_token && update.connection_vars) {
    refresh = *update.refresh_token;
    vars = *update.connection_vars;
  } else {
    MCPGATE_ASSIGN_OR_RETURN(const SecretsPtr current, open_row(row));
    refresh = update.refresh_token ? *update.refresh_token : current->refresh_token;
    vars = update.connection_vars ? *update.connection_vars : current->connection_vars;
  }
  row.status = ConnectionStatus::kActive;
  row.expires_at = update.expires_at;
  if (update.scopes) {
    row.scopes = *update.scopes;
  }
  auto sealed = seal_row(row, update.access_token, refresh, vars, now);
  if (!sealed) {
    OPENSSL_cleanse(refresh.data(), refresh.size());
    return sealed.error();
  }
  auto version = store_.update_vault_connection(*sealed, expected_version);
  if (!version) {
    OPENSSL_cleanse(refresh.data(), refresh.size());
    return version.error();
  }
  auto secrets = std::make_shared<ConnectionSecrets>();
  secrets->id = row.id;
  secrets->access_token = update.access_token;
  secrets->refresh_token = std::move(refresh);
  secrets->expires_at = row.expires_at;
  secrets->issued_at = now;
  secrets->scopes = row.scopes;
  secrets->connection_vars = std::move(vars);
  secrets->version = *version;
  remember(cache_key(tenant, user_id, connector), std::move(secrets));
  return version;
}

Result<std::int64_t> Vault::mark_needs_reconsent(std::string_view tenant, std::string_view user_id,
                                                 std::string_view connector,
                                                 std::int64_t expected_version,
                                                 store::Timestamp now) {
  MCPGATE_TRY(check_ref(tenant, user_id, connector));
  MCPGATE_ASSIGN_OR_RETURN(store::VaultConnection row,
                           store_.find_vault_connection(tenant, user_id, connector));
  row.status = ConnectionStatus::kNeedsReconsent;
  row.updated_at = now;
  auto version = store_.update_vault_connection(row, expected_version);
  forget(cache_key(tenant, user_id, connector));
  return version;
}

Result<std::vector<ConnectionInfo>> Vault::list_connections(std::string_view tenant,
                                                            std::string_view user_id) {
  MCPGATE_TRY(check_name(tenant, "tenant"));
  MCPGATE_TRY(check_name(user_id, "user"));
  MCPGATE_ASSIGN_OR_RETURN(const auto rows, store_.list_vault_connections(tenant, user_id));
  std::vector<ConnectionInfo> out;
  out.reserve(rows.size());
  for (const store::VaultConnection& r : rows) {
    out.push_back(ConnectionInfo{r.id, r.connector, r.status, r.expires_at, r.scopes, r.version,
                                 r.created_at, r.updated_at, r.suspended_at != 0});
  }
  return out;
}

Status Vault::delete_connection(std::string_view tenant, std::string_view user_id,
                                std::string_view connector) {
  MCPGATE_TRY(check_ref(tenant, user_id, connector));
  const std::string key = cache_key(tenant, user_id, connector);
  forget(key);
  const Status st = store_.delete_vault_connection(tenant, user_id, connector);
  forget(key);  // a lookup that raced the delete may have put it back
  return st;
}

void Vault::forget_user(std::string_view user_id) {
  // Keys are tenant NUL user NUL connector (cache_key); names never hold NUL.
  std::unique_lock lock(mu_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    const std::string& key = it->first;
    const std::size_t first = key.find('\0');
    const std::size_t second = key.find('\0', first + 1);
    if (first != std::string::npos && second != std::string::npos
        && std::string_view(key).substr(first + 1, second - first - 1) == user_id) {
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

void Vault::forget_all() {
  std::unique_lock lock(mu_);
  cache_.clear();
}

Result<std::int64_t> Vault::new_data_key(std::string_view tenant, store::Timestamp now) {
  return keys_.start_new_version(tenant, now);
}

Result<VaultStatus> Vault::status() {
  VaultStatus out;
  out.master_versions_loaded = keys_.keyring().versions();
  out.active_master_version = keys_.keyring().active_version();
  MCPGATE_ASSIGN_OR_RETURN(out.data_keys, store_.list_vault_data_keys(""));
  for (auto& k : out.data_keys) {
    k.wrapped.clear();
  }
  MCPGATE_ASSIGN_OR_RETURN(out.usage, store_.vault_key_usage());
  return out;
}

}  // namespace mcpgate::vault
