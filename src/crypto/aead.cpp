#include "crypto/aead.hpp"

#include <climits>

#include <openssl/crypto.h>

#include "crypto/hash.hpp"
#include "crypto/openssl_util.hpp"
#include "crypto/random.hpp"

namespace mcpgate::crypto {
namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kHeaderBytes = 5;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kOverhead = kHeaderBytes + kNonceBytes + kTagBytes;

std::string header_for(std::uint32_t id) {
  std::string h(kHeaderBytes, '\0');
  h[0] = static_cast<char>(kVersion);
  h[1] = static_cast<char>((id >> 24) & 0xFF);
  h[2] = static_cast<char>((id >> 16) & 0xFF);
  h[3] = static_cast<char>((id >> 8) & 0xFF);
  h[4] = static_cast<char>(id & 0xFF);
  return h;
}

bool fits_int(std::size_t n) {
  return n <= static_cast<std::size_t>(INT_MAX);
}

}  // namespace

Result<AeadKey> AeadKey::from_bytes(std::string bytes) {
  if (bytes.size() != kAeadKeyBytes) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return make_error(ErrorCode::kInvalidArgument, "aead: key must be 32 bytes");
  }
  const std::string tag = hmac_sha256(bytes, "mcpgate aead key id");
  const auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(tag[i]));
  };
  const std::uint32_t id = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
  return AeadKey(std::move(bytes), id);
}

AeadKey::~AeadKey() {
  OPENSSL_cleanse(key_.data(), key_.size());
}

Result<std::string> AeadKey::seal(std::string_view plaintext, std::string_view aad) const {
  if (!fits_int(plaintext.size()) || !fits_int(aad.size() + kHeaderBytes)) {
    return make_error(ErrorCode::kInvalidArgument, "aead: input too large");
  }
  const std::string header = header_for(id_);
  const std::string nonce = random_bytes(kNonceBytes);
  const std::string full_aad = header + std::string(aad);

  detail::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out = header + nonce;
  out.resize(kHeaderBytes + kNonceBytes + plaintext.size() + kTagBytes);
  unsigned char* ct = detail::ubytes(out) + kHeaderBytes + kNonceBytes;
  int len = 0;
  int total = 0;
  if (!ctx
      || EVP_EncryptInit_ex2(
             ctx.get(), EVP_aes_256_gcm(), detail::ubytes(key_), detail::ubytes(nonce), nullptr)
             != 1
      || EVP_EncryptUpdate(
             ctx.get(), nullptr, &len, detail::ubytes(full_aad), static_cast<int>(full_aad.size()))
             != 1
      || EVP_EncryptUpdate(
             ctx.get(), ct, &len, detail::ubytes(plaintext), static_cast<int>(plaintext.size()))
             != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("aead: seal"));
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), ct + total, &len) != 1
      || EVP_CIPHER_CTX_ctrl(
             ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), ct + plaintext.size())
             != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("aead: seal final"));
  }
  return out;
}

Result<std::string> AeadKey::open(std::string_view sealed, std::string_view aad) const {
  if (sealed.size() < kOverhead || static_cast<unsigned char>(sealed[0]) != kVersion
      || !fits_int(sealed.size()) || !fits_int(aad.size() + kHeaderBytes)) {
    return make_error(ErrorCode::kInvalidArgument, "aead: not a sealed blob");
  }
  if (aead_key_id(sealed) != id_) {
    return make_error(ErrorCode::kFailedPrecondition, "aead: sealed under a different key");
  }
  const std::string_view header = sealed.substr(0, kHeaderBytes);
  const std::string_view nonce = sealed.substr(kHeaderBytes, kNonceBytes);
  const std::size_t ct_len = sealed.size() - kOverhead;
  const std::string_view ct = sealed.substr(kHeaderBytes + kNonceBytes, ct_len);
  std::string tag(sealed.substr(kHeaderBytes + kNonceBytes + ct_len));
  const std::string full_aad = std::string(header) + std::string(aad);

  detail::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(ct_len, '\0');
  int len = 0;
  if (!ctx
      || EVP_DecryptInit_ex2(
             ctx.get(), EVP_aes_256_gcm(), detail::ubytes(key_), detail::ubytes(nonce), nullptr)
             != 1
      || EVP_DecryptUpdate(
             ctx.get(), nullptr, &len, detail::ubytes(full_aad), static_cast<int>(full_aad.size()))
             != 1
      || EVP_DecryptUpdate(
             ctx.get(), detail::ubytes(out), &len, detail::ubytes(ct), static_cast<int>(ct.size()))
             != 1
      || EVP_CIPHER_CTX_ctrl(
             ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data())
             != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return make_error(ErrorCode::kInternal, detail::openssl_error("aead: open"));
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), detail::ubytes(out) + len, &final_len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(out.data(), out.size());
    return make_error(ErrorCode::kPermissionDenied, "aead: authentication failed");
  }
  return out;
}

std::optional<std::uint32_t> aead_key_id(std::string_view sealed) {
  if (sealed.size() < kHeaderBytes || static_cast<unsigned char>(sealed[0]) != kVersion) {
    return std::nullopt;
  }
  const auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(sealed[i]));
  };
  return (b(1) << 24) | (b(2) << 16) | (b(3) << 8) | b(4);
}

}  // namespace mcpgate::crypto
