#include "vault/keyring.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

#include <openssl/crypto.h>

#include "crypto/encoding.hpp"

namespace mcpgate::vault {
namespace {

constexpr std::string_view kKekPurpose = "vault/kek";

Error precondition(std::string message) {
  return make_error(ErrorCode::kFailedPrecondition, "vault: " + std::move(message));
}

Result<crypto::MasterKey> key_from_base64url(const char* text, const std::string& what) {
  auto bytes = crypto::base64url_decode(text);
  if (!bytes || bytes->size() != crypto::kMasterKeyBytes) {
    if (bytes) {
      OPENSSL_cleanse(bytes->data(), bytes->size());
    }
    return make_error(ErrorCode::kInvalidArgument,
                      "vault: " + what + " must be unpadded base64url of exactly 32 bytes");
  }
  return crypto::MasterKey::from_bytes(std::move(bytes).value());
}

Result<std::int64_t> parse_version(const char* text, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno != 0 || v < 1) {
    return make_error(ErrorCode::kInvalidArgument, "vault: " + what + " must be an integer >= 1");
  }
  return static_cast<std::int64_t>(v);
}

Status add_source(MasterKeyring& ring, std::int64_t version, Result<crypto::MasterKey> key,
                  const std::string& what) {
  if (!key) {
    return make_error(key.error().code, what + ": " + key.error().message);
  }
  if (auto st = ring.add(version, *key); !st) {
    if (st.error().code == ErrorCode::kAlreadyExists) {
      return precondition("master key version " + std::to_string(version)
                          + " is configured twice (" + what + ")");
    }
    return st;
  }
  return {};
}

}  // namespace

Status MasterKeyring::add(std::int64_t version, const crypto::MasterKey& key) {
  if (version < 1) {
    return make_error(ErrorCode::kInvalidArgument, "vault: master key versions start at 1");
  }
  if (keks_.count(version) != 0) {
    return make_error(ErrorCode::kAlreadyExists,
                      "vault: master key version " + std::to_string(version) + " loaded twice");
  }
  keks_.emplace(version, key.aead_key(kKekPurpose));
  if (version > active_) {
    active_ = version;
  }
  return {};
}

Status MasterKeyring::set_active(std::int64_t version) {
  if (keks_.count(version) == 0) {
    return make_error(ErrorCode::kNotFound,
                      "vault: master key version " + std::to_string(version) + " is not loaded");
  }
  active_ = version;
  return {};
}

const crypto::AeadKey* MasterKeyring::kek(std::int64_t version) const {
  const auto it = keks_.find(version);
  return it == keks_.end() ? nullptr : &it->second;
}

std::vector<std::int64_t> MasterKeyring::versions() const {
  std::vector<std::int64_t> out;
  for (const auto& [v, k] : keks_) {
    out.push_back(v);
  }
  return out;
}

Result<MasterKeyring> load_keyring(const VaultKeyOptions& options,
                                   const std::filesystem::path& data_dir,
                                   const EnvLookup& env_lookup) {
  const EnvLookup env = env_lookup ? env_lookup : [](const char* name) { return std::getenv(name); };
  MasterKeyring ring;
  for (const MasterKeySource& source : options.master_keys) {
    const std::string what = "vault.master_keys version " + std::to_string(source.version);
    if (source.file.empty() == source.env.empty()) {
      return make_error(ErrorCode::kInvalidArgument, what + ": needs exactly one of file and env");
    }
    if (!source.file.empty()) {
      MCPGATE_TRY(add_source(ring, source.version,
                             crypto::MasterKey::load(source.file, crypto::MasterKey::Create::kNever),
                             what));
      continue;
    }
    const char* value = env(source.env.c_str());
    if (value == nullptr || *value == '\0') {
      return precondition(what + ": environment variable " + source.env + " is not set");
    }
    MCPGATE_TRY(add_source(ring, source.version, key_from_base64url(value, source.env), what));
  }
  if (const char* value = env(kMasterKeyEnv); value != nullptr && *value != '\0') {
    std::int64_t version = 1;
    if (const char* v = env(kMasterKeyVersionEnv); v != nullptr && *v != '\0') {
      MCPGATE_ASSIGN_OR_RETURN(version, parse_version(v, kMasterKeyVersionEnv));
    }
    MCPGATE_TRY(add_source(ring, version, key_from_base64url(value, kMasterKeyEnv), kMasterKeyEnv));
  }
  if (options.data_dir_key) {
    MCPGATE_TRY(add_source(
        ring, 1,
        crypto::MasterKey::load(data_dir / "master.key", crypto::MasterKey::Create::kIfMissing),
        "vault.data_dir_key"));
  }
  if (ring.empty()) {
    return precondition(std::string("no master key: set ") + kMasterKeyEnv
                        + " (base64url of 32 bytes) or vault.master_keys; vault.data_dir_key:"
                          " true derives one from <data_dir>/master.key (demo only)");
  }
  if (options.active_master_key != 0) {
    if (auto st = ring.set_active(options.active_master_key); !st) {
      return precondition("vault.active_master_key " + std::to_string(options.active_master_key)
                          + " is not among the loaded master keys");
    }
  }
  return ring;
}

}  // namespace mcpgate::vault
