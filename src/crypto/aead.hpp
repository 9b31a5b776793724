#pragma once
// AES-256-GCM for secrets at rest (signing keys, later upstream credentials).
//
// Sealed format (all of it authenticated):
//   byte 0      format version, 1
//   bytes 1-4   key id, big-endian (AeadKey::id(): derived from the key, so a blob sealed
//               under another key is reported as such instead of as tampering)
//   bytes 5-16  96-bit random nonce
//   then        ciphertext, then the 16-byte GCM tag
// GCM's associated data is bytes 0-4 followed by the caller's `aad`. Bind every blob to where it
// lives (e.g. "signing_key:<kid>") so a row copied elsewhere fails to open (ATTACKS row 183).
//
// Random nonces are safe for up to 2^32 seals per key; we seal a handful of keys.
// Thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mcpgate::crypto {

inline constexpr std::size_t kAeadKeyBytes = 32;

class AeadKey {
 public:
  // `bytes` must be exactly 32 bytes of key material (kInvalidArgument otherwise).
  static Result<AeadKey> from_bytes(std::string bytes);

  AeadKey(const AeadKey&) = default;
  AeadKey(AeadKey&&) noexcept = default;
  AeadKey& operator=(const AeadKey&) = default;
  AeadKey& operator=(AeadKey&&) noexcept = default;
  ~AeadKey();

  std::uint32_t id() const { return id_; }

  Result<std::string> seal(std::string_view plaintext, std::string_view aad) const;

  // kInvalidArgument for a malformed blob; kFailedPrecondition when it was sealed under another
  // key id; kPermissionDenied when authentication fails (tampered blob, wrong aad).
  Result<std::string> open(std::string_view sealed, std::string_view aad) const;

 private:
  AeadKey(std::string key, std::uint32_t id) : key_(std::move(key)), id_(id) {}

  std::string key_;
  std::uint32_t id_ = 0;
};

// The key id a sealed blob names, or nullopt when it is not a version-1 blob.
std::optional<std::uint32_t> aead_key_id(std::string_view sealed);

}  // namespace mcpgate::crypto
