#pragma once
// The vault's two layers of AES-256-GCM (crypto::AeadKey) and the associated data that binds
// every blob to the one place it may be opened:
//
//   data key (DEK) wrapped by a master key's KEK, AAD
//     "vault/v1/dek" 0 tenant 0 dek_version 0 master_key_version
//   each secret field sealed by the tenant's DEK, AAD
//     "vault/v1" 0 tenant 0 user 0 connection_id 0 field
//
// so a blob copied to another tenant, user, connection or field, or a DEK row relabelled with
// another version, fails to open (GCM authentication), and a blob sealed under another key is
// reported as such (AeadKey's key id). NUL separates the parts, so names must not contain NUL
// (check_name refuses them): otherwise ("a\0b", "c") and ("a", "b\0c") would share an AAD.
//
// Nonce budget: random 96-bit nonces are safe for 2^32 seals per DEK; each token refresh is two
// seals. A tenant refreshing a million connections hourly reaches that in about 90 days: start a
// new data key (`mcpgate vault rotate-key --new-data-key`) well before (docs/SECURITY.md).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/aead.hpp"

namespace mcpgate::vault {

inline constexpr std::size_t kMaxNameBytes = 256;            // tenant, user, connector
inline constexpr std::size_t kMaxTokenBytes = 16 * 1024;     // one access or refresh token
inline constexpr std::size_t kMaxScopesBytes = 4 * 1024;
inline constexpr std::size_t kMaxConnectionVarsBytes = 8 * 1024;  // a connection's variables

// kInvalidArgument unless `value` is 1..kMaxNameBytes bytes without NUL. `what` names it.
Status check_name(std::string_view value, const char* what);

// Where a sealed field lives.
struct FieldRef {
  std::string_view tenant;
  std::string_view user_id;
  std::string_view connection_id;
  std::string_view field;  // "access_token", "refresh_token"
};

std::string field_aad(const FieldRef& ref);
std::string data_key_aad(std::string_view tenant, std::int64_t dek_version,
                         std::int64_t master_key_version);

Result<std::string> seal_field(const crypto::AeadKey& dek, const FieldRef& ref,
                               std::string_view plaintext);
// kPermissionDenied: the blob belongs to another row or field, or was altered;
// kFailedPrecondition: sealed under another data key; kInternal: not a sealed blob (corrupt).
// Messages name the field and connection, never contents.
Result<std::string> open_field(const crypto::AeadKey& dek, const FieldRef& ref,
                               std::string_view sealed);

// A fresh random DEK, wrapped; the plaintext key is cleansed before returning.
struct NewDataKey {
  std::string wrapped;
  crypto::AeadKey key;
};
Result<NewDataKey> make_data_key(const crypto::AeadKey& kek, std::string_view tenant,
                                 std::int64_t dek_version, std::int64_t master_key_version);
Result<crypto::AeadKey> unwrap_data_key(const crypto::AeadKey& kek, std::string_view wrapped,
                                        std::string_view tenant, std::int64_t dek_version,
                                        std::int64_t master_key_version);
// Opens under one KEK and wraps under another (master-key rotation); the DEK never leaves.
Result<std::string> rewrap_data_key(const crypto::AeadKey& old_kek, std::int64_t old_master_version,
                                    const crypto::AeadKey& new_kek, std::int64_t new_master_version,
                                    std::string_view wrapped, std::string_view tenant,
                                    std::int64_t dek_version);

}  // namespace mcpgate::vault
