#pragma once
// Asymmetric keys as JSON Web Keys (RFC 7517, RFC 7518 §6) and their RFC 7638 thumbprints.
//
// PublicKey: an EC P-256, RSA or Ed25519 (OKP, RFC 8037) public key used to verify signatures:
// ours, a client's (private_key_jwt, DPoP) or an upstream IdP's (ID tokens).
// SigningKey: one of our private keys (ES256 by default, RS256/PS256/EdDSA available).
// JwkSet: a "keys" array with lookup by kid.
//
// Objects are immutable after construction, cheap to copy (the OpenSSL key is shared) and safe
// to use from several threads at once.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/types.h>

#include "core/result.hpp"
#include "crypto/jwa.hpp"

namespace mcpgate::crypto {

enum class KeyType { kEc, kRsa, kOkp };  // kOkp: Ed25519 only

inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 16384;

class PublicKey {
 public:
  // Imports a public JWK. Accepted: kty "EC" with crv "P-256" (x and y exactly 32 bytes, the
  // point on the curve), kty "RSA" (n of 2048..16384 bits without leading zero bytes, odd
  // e >= 3) and kty "OKP" with crv "Ed25519" (x exactly 32 bytes; RFC 8037 §2). Refused
  // (kInvalidArgument): any other kty or crv, private members (d, p, q, dp, dq, qi, oth, k), "use"
  // other than "sig", "key_ops" without "verify", an "alg" we do not implement or that does not fit
  // the key type, non-string kid.
  static Result<PublicKey> from_jwk(const nlohmann::json& jwk);

  // A SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----") holding an EC P-256, RSA or
  // Ed25519 key.
  // The kid is the RFC 7638 thumbprint; no alg is pinned.
  static Result<PublicKey> from_pem(std::string_view pem);

  KeyType type() const { return type_; }

  // The JWK's "kid" ("" when it had none).
  const std::string& kid() const { return kid_; }

  // The JWK's "alg" when it named one: the key may then only verify that algorithm.
  std::optional<JwsAlgorithm> alg() const { return alg_; }

  // RFC 7638 SHA-256 JWK thumbprint, base64url (43 characters).
  const std::string& thumbprint() const { return thumbprint_; }

  // True when the key can verify `alg`: the key type fits, and a pinned alg is the same.
  bool supports(JwsAlgorithm alg) const;

  // The public JWK: required members plus kid, alg and use when known.
  nlohmann::json to_jwk() const;
  Result<std::string> to_pem() const;

  // For the crypto module's own use (jws.cpp).
  EVP_PKEY* native() const { return pkey_.get(); }

 private:
  PublicKey() = default;
  std::shared_ptr<EVP_PKEY> pkey_;
  KeyType type_ = KeyType::kEc;
  std::string kid_;
  std::optional<JwsAlgorithm> alg_;
  std::string thumbprint_;
  nlohmann::json jwk_;
};

class SigningKey {
 public:
  // A fresh key: P-256 for ES256, RSA-3072 for RS256/PS256, Ed25519 for EdDSA. kid = RFC 7638
  // thumbprint (RFC 8037 §2 for OKP keys).
  static Result<SigningKey> generate(JwsAlgorithm alg = JwsAlgorithm::kES256);

  // Imports a PEM private key (PKCS#8 "BEGIN PRIVATE KEY", or the traditional EC/RSA forms)
  // that fits `alg`. kid = RFC 7638 thumbprint.
  static Result<SigningKey> from_pem(std::string_view private_pem, JwsAlgorithm alg);

  // PKCS#8 PEM, unencrypted. This is the secret: seal it (crypto/aead.hpp) before storing.
  Result<std::string> to_pem() const;

  JwsAlgorithm alg() const { return alg_; }

  const std::string& kid() const { return public_.kid(); }

  const PublicKey& public_key() const { return public_; }

  // What goes in our JWKS: {kty, crv, x, y | n, e | crv, x, kid, alg, use: "sig"}.
  nlohmann::json public_jwk() const { return public_.to_jwk(); }

  EVP_PKEY* native() const { return pkey_.get(); }

 private:
  // Takes ownership of `owned` (freed on every path).
  static Result<SigningKey> adopt(EVP_PKEY* owned, JwsAlgorithm alg);

  SigningKey(std::shared_ptr<EVP_PKEY> pkey, JwsAlgorithm alg, PublicKey pub)
      : pkey_(std::move(pkey)), alg_(alg), public_(std::move(pub)) {}

  std::shared_ptr<EVP_PKEY> pkey_;
  JwsAlgorithm alg_;
  PublicKey public_;
};

class JwkSet {
 public:
  JwkSet() = default;

  // Parses {"keys": [...]}. Keys we cannot use (other kty/crv/alg, encryption keys) are skipped
  // as RFC 7517 §5 asks; their count goes to `skipped` when given. A document that is not an
  // object with a "keys" array is kInvalidArgument.
  static Result<JwkSet> from_json(const nlohmann::json& jwks, std::size_t* skipped = nullptr);

  void add(PublicKey key) { keys_.push_back(std::move(key)); }

  // The first key whose kid is `kid` and that supports `alg`; nullptr when none.
  const PublicKey* find(std::string_view kid, JwsAlgorithm alg) const;

  const std::vector<PublicKey>& keys() const { return keys_; }

  bool empty() const { return keys_.empty(); }

  nlohmann::json to_json() const;

 private:
  std::vector<PublicKey> keys_;
};

// RFC 7638 thumbprint (SHA-256, base64url) of a public JWK; it must be a valid EC P-256, RSA or
// Ed25519 key as PublicKey::from_jwk accepts (used for DPoP's jkt).
Result<std::string> jwk_thumbprint(const nlohmann::json& jwk);

}  // namespace mcpgate::crypto
