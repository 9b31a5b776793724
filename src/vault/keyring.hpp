#pragma once
// The vault's versioned master keys. Each master key version yields one key-encryption key
// (KEK: HKDF-derived from the master key with purpose "vault/kek", so the raw master key is never
// used directly and the data-dir key's other uses never share a key with the vault). Data keys
// are wrapped under the active version; every loaded version can still unwrap, which is what
// lets `mcpgate vault rotate-key` re-wrap without downtime.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <vector>

#include "core/result.hpp"
#include "crypto/aead.hpp"
#include "crypto/master_key.hpp"
#include "vault/options.hpp"

namespace mcpgate::vault {

class MasterKeyring {
 public:
  // kInvalidArgument for a version < 1; kAlreadyExists for a version loaded twice.
  Status add(std::int64_t version, const crypto::MasterKey& key);
  // kNotFound when the version is not loaded.
  Status set_active(std::int64_t version);

  std::int64_t active_version() const { return active_; }  // 0 = empty keyring
  // The KEK of a version, or nullptr when that version is not loaded.
  const crypto::AeadKey* kek(std::int64_t version) const;
  std::vector<std::int64_t> versions() const;
  bool empty() const { return keks_.empty(); }

 private:
  std::map<std::int64_t, crypto::AeadKey> keks_;
  std::int64_t active_ = 0;
};

// Looks an environment variable up (std::getenv in production; tests pass a map).
using EnvLookup = std::function<const char*(const char*)>;

// Loads every configured source, then MCPGATE_VAULT_MASTER_KEY, then (only with data_dir_key)
// version 1 from <data_dir>/master.key. The active version is options.active_master_key, else
// the highest loaded. kFailedPrecondition when no key is available at all (outside demo mode the
// vault must not start without one), when two sources claim one version, or when the active
// version is not loaded; kInvalidArgument for a malformed key (never echoed).
Result<MasterKeyring> load_keyring(const VaultKeyOptions& options,
                                   const std::filesystem::path& data_dir,
                                   const EnvLookup& env = {});

}  // namespace mcpgate::vault
