#include "vault/data_keys.hpp"

#include <algorithm>
#include <mutex>

#include "vault/sealing.hpp"

namespace mcpgate::vault {
namespace {

// A creator that loses a race for the same version re-reads and uses the winner's key.
constexpr int kCreateAttempts = 3;

}  // namespace

DataKeys::DataKeys(store::Store& store, MasterKeyring keyring)
    : store_(store), keyring_(std::move(keyring)) {}

Result<DataKeyPtr> DataKeys::unwrap(const store::VaultDataKey& row) {
  const crypto::AeadKey* kek = keyring_.kek(row.master_key_version);
  if (kek == nullptr) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "vault: data key version " + std::to_string(row.version) + " of tenant "
                          + row.tenant + " is wrapped under master key version "
                          + std::to_string(row.master_key_version) + ", which is not configured");
  }
  MCPGATE_ASSIGN_OR_RETURN(
      crypto::AeadKey key,
      unwrap_data_key(*kek, row.wrapped, row.tenant, row.version, row.master_key_version));
  auto ptr = std::make_shared<const crypto::AeadKey>(std::move(key));
  std::unique_lock lock(mu_);
  // Another thread may have unwrapped it meanwhile: keep one.
  auto [it, inserted] = cache_.emplace(std::make_pair(row.tenant, row.version), ptr);
  return it->second;
}

Result<DataKeyPtr> DataKeys::get(std::string_view tenant, std::int64_t version) {
  {
    std::shared_lock lock(mu_);
    const auto it = cache_.find(std::make_pair(std::string(tenant), version));
    if (it != cache_.end()) {
      return it->second;
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(const auto rows, store_.list_vault_data_keys(tenant));
  for (const store::VaultDataKey& row : rows) {
    if (row.version == version) {
      return unwrap(row);
    }
  }
  return make_error(ErrorCode::kNotFound, "vault: tenant " + std::string(tenant)
                                              + " has no data key version "
                                              + std::to_string(version));
}

Result<std::int64_t> DataKeys::add_version(std::string_view tenant, std::int64_t version,
                                           store::Timestamp now) {
  const std::int64_t master = keyring_.active_version();
  const crypto::AeadKey* kek = keyring_.kek(master);
  if (kek == nullptr) {
    return make_error(ErrorCode::kFailedPrecondition, "vault: no active master key");
  }
  MCPGATE_ASSIGN_OR_RETURN(NewDataKey made, make_data_key(*kek, tenant, version, master));
  store::VaultDataKey row;
  row.tenant = std::string(tenant);
  row.version = version;
  row.wrapped = made.wrapped;
  row.master_key_version = master;
  row.active = true;
  row.created_at = now;
  MCPGATE_TRY(store_.add_vault_data_key(row));
  std::unique_lock lock(mu_);
  cache_.emplace(std::make_pair(row.tenant, version),
                 std::make_shared<const crypto::AeadKey>(std::move(made.key)));
  return version;
}

Result<ActiveDataKey> DataKeys::active(std::string_view tenant, store::Timestamp now) {
  MCPGATE_TRY(check_name(tenant, "tenant"));
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    MCPGATE_ASSIGN_OR_RETURN(const auto rows, store_.list_vault_data_keys(tenant));
    std::int64_t highest = 0;
    for (const store::VaultDataKey& row : rows) {
      highest = std::max(highest, row.version);
      if (row.active) {
        MCPGATE_ASSIGN_OR_RETURN(DataKeyPtr key, get(tenant, row.version));
        return ActiveDataKey{row.version, std::move(key)};
      }
    }
    // No active key (a new tenant): create the next version. A racing creator makes this
    // kAlreadyExists; the next round reads its key.
    auto added = add_version(tenant, highest + 1, now);
    if (added) {
      MCPGATE_ASSIGN_OR_RETURN(DataKeyPtr key, get(tenant, *added));
      return ActiveDataKey{*added, std::move(key)};
    }
    if (added.error().code != ErrorCode::kAlreadyExists) {
      return added.error();
    }
  }
  return make_error(ErrorCode::kUnavailable,
                    "vault: could not settle the data key of tenant " + std::string(tenant));
}

Result<std::int64_t> DataKeys::start_new_version(std::string_view tenant, store::Timestamp now) {
  MCPGATE_TRY(check_name(tenant, "tenant"));
  MCPGATE_ASSIGN_OR_RETURN(const auto rows, store_.list_vault_data_keys(tenant));
  std::int64_t highest = 0;
  for (const store::VaultDataKey& row : rows) {
    highest = std::max(highest, row.version);
  }
  return add_version(tenant, highest + 1, now);
}

Result<RewrapReport> DataKeys::rewrap_all(store::Timestamp now) {
  const std::int64_t target = keyring_.active_version();
  const crypto::AeadKey* new_kek = keyring_.kek(target);
  if (new_kek == nullptr) {
    return make_error(ErrorCode::kFailedPrecondition, "vault: no active master key");
  }
  MCPGATE_ASSIGN_OR_RETURN(const auto rows, store_.list_vault_data_keys(""));
  RewrapReport report;
  for (const store::VaultDataKey& row : rows) {
    const std::string name =
        "tenant " + row.tenant + " data key version " + std::to_string(row.version);
    if (row.master_key_version == target) {
      ++report.current;
      continue;
    }
    const crypto::AeadKey* old_kek = keyring_.kek(row.master_key_version);
    if (old_kek == nullptr) {
      report.failures.push_back(name + ": master key version "
                                + std::to_string(row.master_key_version)
                                + " is not configured, so it cannot be re-wrapped");
      continue;
    }
    auto wrapped = rewrap_data_key(*old_kek, row.master_key_version, *new_kek, target, row.wrapped,
                                   row.tenant, row.version);
    if (!wrapped) {
      report.failures.push_back(name + ": " + wrapped.error().message);
      continue;
    }
    const Status st = store_.rewrap_vault_data_key(row.tenant, row.version, row.master_key_version,
                                                   *wrapped, target, now);
    if (st) {
      ++report.rewrapped;
    } else if (st.error().code == ErrorCode::kFailedPrecondition) {
      ++report.current;  // another rotate-key got there first
    } else {
      report.failures.push_back(name + ": " + st.error().message);
    }
  }
  return report;
}

}  // namespace mcpgate::vault
