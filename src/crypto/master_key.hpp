#pragma once
// The data directory's master key: <data_dir>/master.key, 32 random bytes, mode 0600. Every
// other at-rest key is derived from it with HKDF-SHA256 and a purpose label, so one file
// protects everything and different uses never share a key.
//
// Losing the file makes sealed data (signing keys) unreadable; the store refuses to start
// rather than silently making new keys (ATTACKS row 184). Back it up with the database, but
// store the two apart.

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/aead.hpp"

namespace mcpgate::crypto {

inline constexpr std::size_t kMasterKeyBytes = 32;

class MasterKey {
 public:
  enum class Create { kIfMissing, kNever };

  // Loads `file`. With kIfMissing a missing file is created atomically (written to a temporary
  // file, fsync'd, then link()ed into place, so concurrent starters agree on one key and a
  // crash never leaves a half-written key). Refused: a file that is not a regular file (symlinks
  // are not followed), is accessible by group or others (chmod 600), or is not exactly 32 bytes.
  // kNotFound when missing and kNever; kFailedPrecondition for a bad file; kInternal for I/O.
  static Result<MasterKey> load(const std::filesystem::path& file, Create mode);

  // For tests and tools: a key from given bytes (exactly 32).
  static Result<MasterKey> from_bytes(std::string bytes);

  MasterKey(const MasterKey&) = default;
  MasterKey(MasterKey&&) noexcept = default;
  MasterKey& operator=(const MasterKey&) = default;
  MasterKey& operator=(MasterKey&&) noexcept = default;
  ~MasterKey();

  // 32 bytes derived for `purpose` (HKDF-SHA256, info = "mcpgate/" + purpose).
  std::string derive(std::string_view purpose) const;

  // An AES-256-GCM key derived for `purpose`.
  AeadKey aead_key(std::string_view purpose) const;

  // A value that identifies this key without revealing it (HMAC of a fixed label, base64url),
  // stored beside the data it protects to detect a swapped or regenerated master.key.
  std::string fingerprint() const;

 private:
  explicit MasterKey(std::string bytes) : bytes_(std::move(bytes)) {}

  std::string bytes_;
};

}  // namespace mcpgate::crypto
