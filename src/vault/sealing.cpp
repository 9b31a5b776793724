#include "vault/sealing.hpp"

#include <openssl/crypto.h>

#include "crypto/random.hpp"

namespace mcpgate::vault {
namespace {

// Wipes a string holding key material or a token when it goes out of scope.
struct Cleanse {
  std::string& s;

  ~Cleanse() { OPENSSL_cleanse(s.data(), s.size()); }
};

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  std::size_t n = 0;
  for (const auto p : parts) {
    n += p.size() + 1;
  }
  out.reserve(n);
  bool first = true;
  for (const auto p : parts) {
    if (!first) {
      out.push_back('\0');
    }
    first = false;
    out.append(p);
  }
  return out;
}

Error open_error(const Error& e, std::string_view what) {
  switch (e.code) {
    case ErrorCode::kPermissionDenied:
      return make_error(ErrorCode::kPermissionDenied,
                        "vault: " + std::string(what)
                            + " does not open here: it was sealed for another tenant, user,"
                              " connection or field, or altered");
    case ErrorCode::kFailedPrecondition:
      return make_error(ErrorCode::kFailedPrecondition,
                        "vault: " + std::string(what) + " was sealed under a different key");
    default:
      return make_error(ErrorCode::kInternal,
                        "vault: " + std::string(what) + " is corrupt (not a sealed blob)");
  }
}

}  // namespace

Status check_name(std::string_view value, const char* what) {
  if (value.empty() || value.size() > kMaxNameBytes
      || value.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("vault: ") + what + " must be 1 to 256 bytes without NUL");
  }
  return {};
}

std::string field_aad(const FieldRef& ref) {
  return join({"vault/v1", ref.tenant, ref.user_id, ref.connection_id, ref.field});
}

std::string data_key_aad(std::string_view tenant, std::int64_t dek_version,
                         std::int64_t master_key_version) {
  return join({"vault/v1/dek", tenant, std::to_string(dek_version),
               std::to_string(master_key_version)});
}

Result<std::string> seal_field(const crypto::AeadKey& dek, const FieldRef& ref,
                               std::string_view plaintext) {
  return dek.seal(plaintext, field_aad(ref));
}

Result<std::string> open_field(const crypto::AeadKey& dek, const FieldRef& ref,
                               std::string_view sealed) {
  auto opened = dek.open(sealed, field_aad(ref));
  if (!opened) {
    return open_error(opened.error(), std::string(ref.field) + " of connection "
                                          + std::string(ref.connection_id));
  }
  return opened;
}

Result<NewDataKey> make_data_key(const crypto::AeadKey& kek, std::string_view tenant,
                                 std::int64_t dek_version, std::int64_t master_key_version) {
  std::string raw = crypto::random_bytes(crypto::kAeadKeyBytes);
  const Cleanse wipe{raw};
  MCPGATE_ASSIGN_OR_RETURN(std::string wrapped,
                           kek.seal(raw, data_key_aad(tenant, dek_version, master_key_version)));
  MCPGATE_ASSIGN_OR_RETURN(crypto::AeadKey key, crypto::AeadKey::from_bytes(raw));
  return NewDataKey{std::move(wrapped), std::move(key)};
}

Result<crypto::AeadKey> unwrap_data_key(const crypto::AeadKey& kek, std::string_view wrapped,
                                        std::string_view tenant, std::int64_t dek_version,
                                        std::int64_t master_key_version) {
  auto raw = kek.open(wrapped, data_key_aad(tenant, dek_version, master_key_version));
  const std::string what = "data key version " + std::to_string(dek_version) + " of tenant "
                           + std::string(tenant) + " (master key version "
                           + std::to_string(master_key_version) + ")";
  if (!raw) {
    Error e = open_error(raw.error(), what);
    if (e.code == ErrorCode::kFailedPrecondition) {
      e.message += ": the configured master key of that version is not the one that wrapped it";
    }
    return e;
  }
  const Cleanse wipe{*raw};
  auto key = crypto::AeadKey::from_bytes(*raw);
  if (!key) {
    return make_error(ErrorCode::kInternal, "vault: " + what + " is not a 32-byte key");
  }
  return key;
}

Result<std::string> rewrap_data_key(const crypto::AeadKey& old_kek, std::int64_t old_master_version,
                                    const crypto::AeadKey& new_kek, std::int64_t new_master_version,
                                    std::string_view wrapped, std::string_view tenant,
                                    std::int64_t dek_version) {
  auto raw = old_kek.open(wrapped, data_key_aad(tenant, dek_version, old_master_version));
  if (!raw) {
    return open_error(raw.error(), "data key version " + std::to_string(dek_version)
                                       + " of tenant " + std::string(tenant));
  }
  const Cleanse wipe{*raw};
  return new_kek.seal(*raw, data_key_aad(tenant, dek_version, new_master_version));
}

}  // namespace mcpgate::vault
