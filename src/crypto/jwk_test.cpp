#include "crypto/jwk.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"

namespace mcpgate::crypto {
namespace {

// RFC 7638 §3.1.
const char* const kRfc7638N =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPeb"
    "WKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
    "FDW2QvzqY368QQ"
    "MicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
    "bFTWhAI4vMQFh6WeZu0fM4lFd2Nc"
    "Rwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

// RFC 7515 Appendix A.3.1 (public part).
const char* const kA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const char* const kA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

nlohmann::json ec_jwk() {
  return {{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}};
}

TEST(JwkThumbprintTest, MatchesRfc7638Example) {
  const nlohmann::json jwk = {
      {"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}, {"alg", "RS256"}, {"kid", "2011-04-29"}};
  const auto key = PublicKey::from_jwk(jwk);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(key->kid(), "2011-04-29");
  EXPECT_EQ(jwk_thumbprint(jwk).value(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(PublicKeyTest, ImportsP256AndExportsTheSameMembers) {
  const auto key = PublicKey::from_jwk(ec_jwk());
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::kEc);
  EXPECT_TRUE(key->kid().empty());
  EXPECT_FALSE(key->alg().has_value());
  EXPECT_TRUE(key->supports(JwsAlgorithm::kES256));
  EXPECT_FALSE(key->supports(JwsAlgorithm::kRS256));
  EXPECT_EQ(key->to_jwk(), ec_jwk());
  EXPECT_EQ(key->thumbprint().size(), 43U);
}

TEST(PublicKeyTest, PemRoundTrip) {
  const auto key = PublicKey::from_jwk(ec_jwk()).value();
  const auto pem = key.to_pem();
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(pem->find("BEGIN PUBLIC KEY"), std::string::npos);
  const auto back = PublicKey::from_pem(*pem);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->thumbprint(), key.thumbprint());
  EXPECT_EQ(back->kid(), key.thumbprint());
  EXPECT_FALSE(
      PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").ok());
  EXPECT_FALSE(PublicKey::from_pem("").ok());
}

TEST(PublicKeyTest, RefusesBadEcKeys) {
  auto jwk = ec_jwk();
  jwk["crv"] = "P-384";
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());

  jwk = ec_jwk();
  jwk["x"] = base64url_encode(std::string(31, '\x01'));  // short coordinate
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());

  jwk = ec_jwk();
  std::string y = base64url_decode(kA3Y).value();
  y[31] = static_cast<char>(y[31] ^ 1);  // moves the point off the curve
  jwk["y"] = base64url_encode(y);
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());

  jwk = ec_jwk();
  jwk["x"] = base64url_encode(std::string(32, '\0'));
  jwk["y"] = base64url_encode(std::string(32, '\0'));
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());

  jwk = ec_jwk();
  jwk["x"] = std::string(kA3X) + "=";
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());
}

TEST(PublicKeyTest, RefusesPrivateMaterialAndWrongUse) {
  auto jwk = ec_jwk();
  jwk["d"] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());

  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "oct"}, {"k", "c2VjcmV0"}}).ok());

  jwk = ec_jwk();
  jwk["use"] = "enc";
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());

  jwk = ec_jwk();
  jwk["key_ops"] = {"encrypt"};
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());
  jwk["key_ops"] = {"verify"};
  EXPECT_TRUE(PublicKey::from_jwk(jwk).ok());

  jwk = ec_jwk();
  jwk["alg"] = "RS256";  // does not fit an EC key
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());
  jwk["alg"] = "HS256";
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());
  jwk["alg"] = "ES256";
  EXPECT_TRUE(PublicKey::from_jwk(jwk).ok());

  jwk = ec_jwk();
  jwk["kid"] = 7;
  EXPECT_FALSE(PublicKey::from_jwk(jwk).ok());
  EXPECT_FALSE(PublicKey::from_jwk(nlohmann::json::array()).ok());
  EXPECT_FALSE(PublicKey::from_jwk({{"crv", "P-256"}}).ok());
}

TEST(PublicKeyTest, RefusesSmallOrMalformedRsa) {
  // 1024-bit modulus: too small.
  const std::string small_n =
      base64url_encode(std::string(1, '\xc1') + std::string(126, '\x55') + "\x01");
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "RSA"}, {"n", small_n}, {"e", "AQAB"}}).ok());
  // Leading zero byte in n.
  const std::string padded_n =
      base64url_encode(std::string(1, '\0') + base64url_decode(kRfc7638N).value());
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "RSA"}, {"n", padded_n}, {"e", "AQAB"}}).ok());
  // Even exponent.
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AAI"}}).ok());
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "RSA"}, {"n", kRfc7638N}}).ok());
}

TEST(SigningKeyTest, GeneratesP256WithThumbprintKid) {
  const auto key = SigningKey::generate();
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->alg(), JwsAlgorithm::kES256);
  const nlohmann::json jwk = key->public_jwk();
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["kid"], key->kid());
  EXPECT_EQ(key->kid(), key->public_key().thumbprint());
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ(base64url_decode(jwk["x"].get<std::string>()).value().size(), 32U);
  EXPECT_EQ(base64url_decode(jwk["y"].get<std::string>()).value().size(), 32U);
  EXPECT_NE(SigningKey::generate().value().kid(), key->kid());
}

TEST(SigningKeyTest, PrivatePemRoundTrip) {
  const auto key = SigningKey::generate().value();
  const auto pem = key.to_pem();
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(pem->find("BEGIN PRIVATE KEY"), std::string::npos);
  const auto back = SigningKey::from_pem(*pem, JwsAlgorithm::kES256);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->kid(), key.kid());
  EXPECT_EQ(back->public_jwk(), key.public_jwk());
  // The key does not fit RS256.
  EXPECT_FALSE(SigningKey::from_pem(*pem, JwsAlgorithm::kRS256).ok());
  EXPECT_FALSE(SigningKey::from_pem("not a pem", JwsAlgorithm::kES256).ok());
  // A public key is not a private key.
  EXPECT_FALSE(SigningKey::from_pem(key.public_key().to_pem().value(), JwsAlgorithm::kES256).ok());
}

// RFC 8037 Appendix A.2/A.3: the Ed25519 public key and its thumbprint.
const char* const kRfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

TEST(PublicKeyTest, ImportsEd25519WithRfc8037Thumbprint) {
  const nlohmann::json jwk = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", kRfc8037X}};
  const auto key = PublicKey::from_jwk(jwk);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::kOkp);
  EXPECT_EQ(key->thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  EXPECT_TRUE(key->supports(JwsAlgorithm::kEdDSA));
  EXPECT_FALSE(key->supports(JwsAlgorithm::kES256));
  EXPECT_FALSE(key->supports(JwsAlgorithm::kRS256));
  EXPECT_EQ(key->to_jwk()["x"], kRfc8037X);
  // PEM round trip keeps the key.
  const auto pem = key->to_pem();
  ASSERT_TRUE(pem.ok());
  const auto back = PublicKey::from_pem(*pem);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->thumbprint(), key->thumbprint());
}

TEST(PublicKeyTest, RefusesBadOkpKeys) {
  // Ed448 and X25519 are not implemented; x must be exactly 32 bytes; "d" is private.
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "OKP"}, {"crv", "Ed448"}, {"x", kRfc8037X}}).ok());
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "OKP"}, {"crv", "X25519"}, {"x", kRfc8037X}}).ok());
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}}).ok());
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "OKP"}, {"crv", "Ed25519"}}).ok());
  EXPECT_FALSE(PublicKey::from_jwk({{"kty", "OKP"},
                                    {"crv", "Ed25519"},
                                    {"x", kRfc8037X},
                                    {"d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}})
                   .ok());
  // An alg that does not fit the key type.
  EXPECT_FALSE(
      PublicKey::from_jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", kRfc8037X}, {"alg", "ES256"}})
          .ok());
  EXPECT_FALSE(PublicKey::from_jwk(
                   {{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}, {"alg", "EdDSA"}})
                   .ok());
}

TEST(SigningKeyTest, GeneratesEd25519) {
  const auto key = SigningKey::generate(JwsAlgorithm::kEdDSA);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->public_key().type(), KeyType::kOkp);
  const auto jwk = key->public_jwk();
  EXPECT_EQ(jwk["kty"], "OKP");
  EXPECT_EQ(jwk["crv"], "Ed25519");
  EXPECT_EQ(jwk["alg"], "EdDSA");
  EXPECT_EQ(jwk["kid"], key->public_key().thumbprint());
  const auto pem = key->to_pem();
  ASSERT_TRUE(pem.ok());
  const auto back = SigningKey::from_pem(*pem, JwsAlgorithm::kEdDSA);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->kid(), key->kid());
  EXPECT_FALSE(SigningKey::from_pem(*pem, JwsAlgorithm::kES256).ok());
}

TEST(JwkSetTest, ParsesFindsAndSkipsUnusableKeys) {
  auto first = ec_jwk();
  first["kid"] = "a";
  const nlohmann::json rsa = {{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}, {"kid", "b"}};
  const nlohmann::json unusable = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "abc"}, {"kid", "c"}};
  std::size_t skipped = 0;
  const auto set = JwkSet::from_json({{"keys", {first, rsa, unusable}}}, &skipped);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->keys().size(), 2U);
  EXPECT_EQ(skipped, 1U);
  EXPECT_NE(set->find("a", JwsAlgorithm::kES256), nullptr);
  EXPECT_EQ(set->find("a", JwsAlgorithm::kRS256), nullptr);
  EXPECT_NE(set->find("b", JwsAlgorithm::kPS256), nullptr);
  EXPECT_EQ(set->find("c", JwsAlgorithm::kES256), nullptr);
  EXPECT_EQ(set->find("zzz", JwsAlgorithm::kES256), nullptr);
  EXPECT_EQ(set->to_json()["keys"].size(), 2U);

  EXPECT_FALSE(JwkSet::from_json({{"keys", "nope"}}).ok());
  EXPECT_FALSE(JwkSet::from_json(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace mcpgate::crypto
