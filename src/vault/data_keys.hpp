#pragma once
// Per-tenant data keys (DEKs): created on first use, wrapped under the active master key, kept
// unwrapped in memory (a DEK version's bytes never change; only its wrapping does), re-wrapped
// under a new master key by rotate-key, and superseded by a new version on request. Old
// versions stay in the store, so everything they sealed still opens.
//
// Thread-safe. Methods that miss the cache call the store (they block: use store::Executor).

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "crypto/aead.hpp"
#include "store/store.hpp"
#include "vault/keyring.hpp"

namespace mcpgate::vault {

using DataKeyPtr = std::shared_ptr<const crypto::AeadKey>;

struct ActiveDataKey {
  std::int64_t version = 0;
  DataKeyPtr key;
};

// What rotate-key did: DEKs re-wrapped, DEKs already under the active master key, and one
// message per DEK that could not be re-wrapped (its master key version is not loaded, or did
// not open it). Failures leave the DEK as it was; the rest still rotate.
struct RewrapReport {
  std::int64_t rewrapped = 0;
  std::int64_t current = 0;
  std::vector<std::string> failures;
};

class DataKeys {
 public:
  DataKeys(store::Store& store, MasterKeyring keyring);

  // The tenant's active DEK; the first call for a tenant creates version 1.
  Result<ActiveDataKey> active(std::string_view tenant, store::Timestamp now);
  // One DEK version (cache, else the store). kNotFound when the tenant has no such version.
  Result<DataKeyPtr> get(std::string_view tenant, std::int64_t version);
  // Adds version max+1 as the tenant's active DEK; returns it.
  Result<std::int64_t> start_new_version(std::string_view tenant, store::Timestamp now);
  // Re-wraps every DEK not wrapped under the active master key: one transaction per DEK, each a
  // compare-and-set on its master key version, so running it twice, or in two processes at
  // once, is harmless, and nothing stops while it runs.
  Result<RewrapReport> rewrap_all(store::Timestamp now);

  const MasterKeyring& keyring() const { return keyring_; }

 private:
  Result<DataKeyPtr> unwrap(const store::VaultDataKey& row);
  Result<std::int64_t> add_version(std::string_view tenant, std::int64_t version,
                                   store::Timestamp now);

  store::Store& store_;
  const MasterKeyring keyring_;
  std::shared_mutex mu_;
  std::map<std::pair<std::string, std::int64_t>, DataKeyPtr, std::less<>> cache_;
};

}  // namespace mcpgate::vault
