#pragma once
// The operator's vault commands (wired into `mcpgate` by src/app/main.cpp):
//
//   mcpgate vault status --config C
//        master key versions loaded and active; per tenant, each data key version with the
//        master key version that wraps it and how many connections it seals. Counts only.
//   mcpgate vault rotate-key --config C [--new-data-key [--tenant T]]
//        re-wraps every data key under the active master key (one transaction per key; running
//        servers keep working: they hold their data keys unwrapped, and a replica that still
//        has the old master key version configured opens either wrapping). With
//        --new-data-key, also starts a new data key version for tenant T (default: every
//        tenant): new seals use it, what older versions sealed still opens, and each refresh
//        moves a connection to it.
//
// Rotation, step by step: add the new key (vault.master_keys) to every replica with
// active_master_key set to it, restart or reload them, run rotate-key, check `vault status`
// shows no data key under the old version, then remove the old key from the configuration.
//
// Exit codes: 0 done, 1 the command ran but some data key could not be re-wrapped (listed),
// 2 the store or keys could not be used.

#include <iosfwd>
#include <string>

#include "store/types.hpp"
#include "vault/vault.hpp"

namespace mcpgate::vault {

int run_vault_status(Vault& vault, std::ostream& out, std::ostream& err);

struct RotateOptions {
  bool new_data_key = false;
  std::string tenant;  // "" = every tenant that has a data key
};

int run_vault_rotate_key(Vault& vault, const RotateOptions& options, store::Timestamp now,
                         std::ostream& out, std::ostream& err);

}  // namespace mcpgate::vault
