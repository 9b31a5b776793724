#include "crypto/jwk.hpp"

#include <array>

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/openssl_util.hpp"

namespace mcpgate::crypto {
namespace {

using detail::BioPtr;
using detail::BnPtr;
using detail::EvpPkeyCtxPtr;
using detail::EvpPkeyPtr;
using detail::ParamBldPtr;
using detail::ParamPtr;

constexpr std::size_t kP256CoordBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr int kGeneratedRsaBits = 3072;
constexpr std::size_t kMaxPemBytes = std::size_t{64} * 1024;

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, "jwk: " + std::move(message));
}

std::shared_ptr<EVP_PKEY> share(EvpPkeyPtr pkey) {
  return {pkey.release(), detail::EvpPkeyFree{}};
}

bool is_p256(EVP_PKEY* pkey) {
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, name.data(), name.size(), &len) != 1) {
    return false;
  }
  int nid = OBJ_sn2nid(name.data());
  if (nid == NID_undef) {
    nid = EC_curve_nist2nid(name.data());
  }
  return nid == NID_X9_62_prime256v1;
}

Result<KeyType> key_type_of(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC") == 1) {
    if (!is_p256(pkey)) {
      return invalid("EC key is not on P-256");
    }
    return KeyType::kEc;
  }
  if (EVP_PKEY_is_a(pkey, "RSA") == 1) {
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return invalid("RSA modulus size out of range");
    }
    return KeyType::kRsa;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519") == 1) {
    return KeyType::kOkp;
  }
  return invalid("unsupported key type");
}

bool alg_fits(KeyType type, JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
      return type == KeyType::kEc;
    case JwsAlgorithm::kRS256:
    case JwsAlgorithm::kPS256:
      return type == KeyType::kRsa;
    case JwsAlgorithm::kEdDSA:
      return type == KeyType::kOkp;
  }
  return false;
}

Result<std::string> bn_param(EVP_PKEY* pkey, const char* name, std::size_t pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: reading key parameter"));
  }
  BnPtr bn(raw);
  const int size = BN_num_bytes(bn.get());
  const std::size_t len = pad_to > 0 ? pad_to : static_cast<std::size_t>(size);
  if (size < 0 || static_cast<std::size_t>(size) > len) {
    return make_error(ErrorCode::kInternal, "jwk: key parameter too large");
  }
  std::string out(len, '\0');
  if (BN_bn2binpad(bn.get(), detail::ubytes(out), static_cast<int>(len)) < 0) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: encoding key parameter"));
  }
  return out;
}

// The required public members of `pkey` as a JWK (no kid/alg/use).
Result<nlohmann::json> public_members(EVP_PKEY* pkey, KeyType type) {
  nlohmann::json jwk = nlohmann::json::object();
  if (type == KeyType::kEc) {
    MCPGATE_ASSIGN_OR_RETURN(auto x, bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordBytes));
    MCPGATE_ASSIGN_OR_RETURN(auto y, bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordBytes));
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = base64url_encode(x);
    jwk["y"] = base64url_encode(y);
  } else if (type == KeyType::kOkp) {
    std::string x(kEd25519KeyBytes, '\0');
    std::size_t len = x.size();
    if (EVP_PKEY_get_raw_public_key(pkey, detail::ubytes(x), &len) != 1 || len != x.size()) {
      return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: reading Ed25519 key"));
    }
    jwk["kty"] = "OKP";
    jwk["crv"] = "Ed25519";
    jwk["x"] = base64url_encode(x);
  } else {
    MCPGATE_ASSIGN_OR_RETURN(auto n, bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0));
    MCPGATE_ASSIGN_OR_RETURN(auto e, bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
    jwk["kty"] = "RSA";
    jwk["n"] = base64url_encode(n);
    jwk["e"] = base64url_encode(e);
  }
  return jwk;
}

// RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. The values
// are base64url or fixed names, which JSON serialises without escapes. OKP: RFC 8037 §2.
std::string thumbprint_of(const nlohmann::json& jwk) {
  std::string canonical;
  if (jwk.at("kty") == "OKP") {
    canonical = R"({"crv":")" + jwk.at("crv").get<std::string>() + R"(","kty":"OKP","x":")"
                + jwk.at("x").get<std::string>() + R"("})";
  } else if (jwk.at("kty") == "EC") {
    canonical = R"({"crv":")" + jwk.at("crv").get<std::string>() + R"(","kty":"EC","x":")"
                + jwk.at("x").get<std::string>() + R"(","y":")" + jwk.at("y").get<std::string>()
                + R"("})";
  } else {
    canonical = R"({"e":")" + jwk.at("e").get<std::string>() + R"(","kty":"RSA","n":")"
                + jwk.at("n").get<std::string>() + R"("})";
  }
  return base64url_encode(sha256(canonical));
}

Result<std::string> b64_member(const nlohmann::json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return invalid(std::string("missing or non-string \"") + name + "\"");
  }
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes) {
    return invalid(std::string("\"") + name + "\" is not base64url");
  }
  return bytes;
}

Result<EvpPkeyPtr> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: key import setup"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return invalid("key parameters rejected");
  }
  return EvpPkeyPtr(raw);
}

Result<EvpPkeyPtr> import_ec(const nlohmann::json& jwk) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string() || *crv != "P-256") {
    return invalid("only crv P-256 is supported");
  }
  MCPGATE_ASSIGN_OR_RETURN(auto x, b64_member(jwk, "x"));
  MCPGATE_ASSIGN_OR_RETURN(auto y, b64_member(jwk, "y"));
  // RFC 7518 §6.2.1.2-3: full-length coordinates, leading zeros kept.
  if (x.size() != kP256CoordBytes || y.size() != kP256CoordBytes) {
    return invalid("P-256 coordinates must be 32 bytes");
  }
  std::string point = "\x04" + x + y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld
      || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)
             != 1
      || OSSL_PARAM_BLD_push_octet_string(
             bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())
             != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: EC params"));
  }
  MCPGATE_ASSIGN_OR_RETURN(auto pkey, from_params("EC", bld.get()));
  // Decoding already refuses points off the curve; the explicit check also covers the point at
  // infinity and keeps that guarantee independent of OpenSSL's decoder.
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return invalid("EC point is not a valid P-256 public key");
  }
  return pkey;
}

Result<EvpPkeyPtr> import_rsa(const nlohmann::json& jwk) {
  MCPGATE_ASSIGN_OR_RETURN(auto n, b64_member(jwk, "n"));
  MCPGATE_ASSIGN_OR_RETURN(auto e, b64_member(jwk, "e"));
  if (n.empty() || e.empty() || n[0] == '\0' || e[0] == '\0') {
    return invalid("RSA n/e empty or with leading zero bytes");
  }
  const std::size_t bits = n.size() * 8;
  if (bits < static_cast<std::size_t>(kMinRsaBits)
      || bits > static_cast<std::size_t>(kMaxRsaBits) + 7) {
    return invalid("RSA modulus size out of range");
  }
  if (e.size() > 8) {
    return invalid("RSA exponent too large");
  }
  BnPtr bn_n(BN_bin2bn(detail::ubytes(n), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(detail::ubytes(e), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) {
    return make_error(ErrorCode::kInternal, "jwk: out of memory");
  }
  if (BN_is_odd(bn_n.get()) == 0 || BN_is_odd(bn_e.get()) == 0 || BN_is_one(bn_e.get()) != 0
      || BN_num_bits(bn_n.get()) < kMinRsaBits || BN_num_bits(bn_n.get()) > kMaxRsaBits) {
    return invalid("RSA n/e invalid");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1
      || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: RSA params"));
  }
  return from_params("RSA", bld.get());
}

Result<EvpPkeyPtr> import_okp(const nlohmann::json& jwk) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string() || *crv != "Ed25519") {
    return invalid("only crv Ed25519 is supported for OKP");
  }
  MCPGATE_ASSIGN_OR_RETURN(auto x, b64_member(jwk, "x"));
  if (x.size() != kEd25519KeyBytes) {
    return invalid("Ed25519 public key must be 32 bytes");
  }
  EVP_PKEY* raw =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, detail::ubytes(x), x.size());
  if (raw == nullptr) {
    ERR_clear_error();
    return invalid("Ed25519 key rejected");
  }
  return EvpPkeyPtr(raw);
}

}  // namespace

Result<PublicKey> PublicKey::from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) {
    return invalid("not a JSON object");
  }
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(member)) {
      return invalid("private or symmetric key material in a public JWK");
    }
  }
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) {
    return invalid("missing kty");
  }
  if (const auto use = jwk.find("use"); use != jwk.end() && (!use->is_string() || *use != "sig")) {
    return invalid("key is not for signatures");
  }
  if (const auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    bool verify = false;
    if (!ops->is_array()) {
      return invalid("key_ops is not an array");
    }
    for (const auto& op : *ops) {
      if (!op.is_string()) {
        return invalid("key_ops has a non-string entry");
      }
      verify = verify || op == "verify";
    }
    if (!verify) {
      return invalid("key_ops does not allow verify");
    }
  }
  PublicKey key;
  EvpPkeyPtr pkey;
  if (*kty == "EC") {
    key.type_ = KeyType::kEc;
    MCPGATE_ASSIGN_OR_RETURN(pkey, import_ec(jwk));
  } else if (*kty == "RSA") {
    key.type_ = KeyType::kRsa;
    MCPGATE_ASSIGN_OR_RETURN(pkey, import_rsa(jwk));
  } else if (*kty == "OKP") {
    key.type_ = KeyType::kOkp;
    MCPGATE_ASSIGN_OR_RETURN(pkey, import_okp(jwk));
  } else {
    return invalid("unsupported kty");
  }
  if (const auto alg = jwk.find("alg"); alg != jwk.end()) {
    const auto parsed =
        alg->is_string() ? parse_jws_algorithm(alg->get_ref<const std::string&>()) : std::nullopt;
    if (!parsed || !alg_fits(key.type_, *parsed)) {
      return invalid("alg unsupported or unfit for the key type");
    }
    key.alg_ = parsed;
  }
  if (const auto kid = jwk.find("kid"); kid != jwk.end()) {
    if (!kid->is_string()) {
      return invalid("kid is not a string");
    }
    key.kid_ = kid->get<std::string>();
  }
  key.pkey_ = share(std::move(pkey));
  MCPGATE_ASSIGN_OR_RETURN(key.jwk_, public_members(key.pkey_.get(), key.type_));
  key.thumbprint_ = thumbprint_of(key.jwk_);
  return key;
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) {
    return invalid("PEM too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return make_error(ErrorCode::kInternal, "jwk: out of memory");
  }
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) {
    ERR_clear_error();
    return invalid("not a PEM public key");
  }
  MCPGATE_ASSIGN_OR_RETURN(const KeyType type, key_type_of(pkey.get()));
  MCPGATE_ASSIGN_OR_RETURN(auto jwk, public_members(pkey.get(), type));
  // Re-import through the JWK path so every key passes the same validation.
  jwk["kid"] = thumbprint_of(jwk);
  return from_jwk(jwk);
}

bool PublicKey::supports(JwsAlgorithm alg) const {
  return alg_fits(type_, alg) && (!alg_ || *alg_ == alg);
}

nlohmann::json PublicKey::to_jwk() const {
  nlohmann::json out = jwk_;
  if (!kid_.empty()) {
    out["kid"] = kid_;
  }
  if (alg_) {
    out["alg"] = std::string(jws_algorithm_name(*alg_));
    out["use"] = "sig";
  }
  return out;
}

Result<std::string> PublicKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: PEM export"));
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<SigningKey> SigningKey::adopt(EVP_PKEY* owned, JwsAlgorithm alg) {
  EvpPkeyPtr pkey(owned);
  MCPGATE_ASSIGN_OR_RETURN(const KeyType type, key_type_of(pkey.get()));
  if (!alg_fits(type, alg)) {
    return invalid("key type does not fit the algorithm");
  }
  MCPGATE_ASSIGN_OR_RETURN(auto jwk, public_members(pkey.get(), type));
  jwk["kid"] = thumbprint_of(jwk);
  jwk["alg"] = std::string(jws_algorithm_name(alg));
  jwk["use"] = "sig";
  MCPGATE_ASSIGN_OR_RETURN(auto pub, PublicKey::from_jwk(jwk));
  return SigningKey(share(std::move(pkey)), alg, std::move(pub));
}

Result<SigningKey> SigningKey::generate(JwsAlgorithm alg) {
  EVP_PKEY* raw = nullptr;
  if (alg == JwsAlgorithm::kES256) {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (alg == JwsAlgorithm::kEdDSA) {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(kGeneratedRsaBits));
  }
  if (raw == nullptr) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: key generation"));
  }
  return adopt(raw, alg);
}

Result<SigningKey> SigningKey::from_pem(std::string_view private_pem, JwsAlgorithm alg) {
  if (private_pem.size() > kMaxPemBytes) {
    return invalid("PEM too large");
  }
  BioPtr bio(BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  if (!bio) {
    return make_error(ErrorCode::kInternal, "jwk: out of memory");
  }
  // A null passphrase callback with no user data: encrypted PEMs fail instead of prompting.
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!pkey) {
    ERR_clear_error();
    return invalid("not an unencrypted PEM private key");
  }
  return adopt(pkey.release(), alg);
}

Result<std::string> SigningKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio
      || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr)
             != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jwk: PEM export"));
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<std::size_t>(len));
  OPENSSL_cleanse(data, static_cast<std::size_t>(len));
  return out;
}

Result<JwkSet> JwkSet::from_json(const nlohmann::json& jwks, std::size_t* skipped) {
  if (!jwks.is_object()) {
    return invalid("JWKS is not an object");
  }
  const auto keys = jwks.find("keys");
  if (keys == jwks.end() || !keys->is_array()) {
    return invalid("JWKS has no \"keys\" array");
  }
  JwkSet set;
  std::size_t dropped = 0;
  for (const auto& entry : *keys) {
    auto key = PublicKey::from_jwk(entry);
    if (key) {
      set.add(std::move(key).value());
    } else {
      ++dropped;
    }
  }
  if (skipped != nullptr) {
    *skipped = dropped;
  }
  return set;
}

const PublicKey* JwkSet::find(std::string_view kid, JwsAlgorithm alg) const {
  for (const auto& key : keys_) {
    if (key.kid() == kid && key.supports(alg)) {
      return &key;
    }
  }
  return nullptr;
}

nlohmann::json JwkSet::to_json() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& key : keys_) {
    keys.push_back(key.to_jwk());
  }
  return nlohmann::json{{"keys", std::move(keys)}};
}

Result<std::string> jwk_thumbprint(const nlohmann::json& jwk) {
  MCPGATE_ASSIGN_OR_RETURN(const auto key, PublicKey::from_jwk(jwk));
  return key.thumbprint();
}

}  // namespace mcpgate::crypto
