#pragma once
// Where the vault's master keys come from (the `vault:` configuration section and the
// environment). See keyring.hpp for how they are loaded and README "Configuration reference".

#include <cstdint>
#include <string>
#include <vector>

namespace mcpgate::vault {

// One master key version from a file or an environment variable (exactly one of the two).
//  * file: exactly 32 raw bytes, mode 0600, a regular file (the same rules as
//    <data_dir>/master.key; `head -c 32 /dev/urandom > k && chmod 600 k` makes one);
//  * env: the name of a variable holding base64url (unpadded) of 32 bytes.
struct MasterKeySource {
  std::int64_t version = 0;  // >= 1
  std::string file;
  std::string env;
};

struct VaultKeyOptions {
  std::vector<MasterKeySource> master_keys;
  // The version new data keys are wrapped under (and `rotate-key` re-wraps to); 0 = the highest
  // version loaded.
  std::int64_t active_master_key = 0;
  // Demo only: master key version 1 is derived from <data_dir>/master.key, created when
  // missing. Without it, and without any configured key or MCPGATE_VAULT_MASTER_KEY, the vault
  // refuses to start: the data-dir key sits next to the database it would protect.
  bool data_dir_key = false;
};

// The environment's shorthand for one key: MCPGATE_VAULT_MASTER_KEY (base64url of 32 bytes) at
// version MCPGATE_VAULT_MASTER_KEY_VERSION (default 1).
inline constexpr const char* kMasterKeyEnv = "MCPGATE_VAULT_MASTER_KEY";
inline constexpr const char* kMasterKeyVersionEnv = "MCPGATE_VAULT_MASTER_KEY_VERSION";

}  // namespace mcpgate::vault
