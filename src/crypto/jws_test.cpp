#include "crypto/jws.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"

namespace mcpgate::crypto {
namespace {

// Generated once: RSA-3072 generation is slow under sanitizers.
const SigningKey& rsa_key(JwsAlgorithm alg) {
  static const SigningKey kRs = SigningKey::generate(JwsAlgorithm::kRS256).value();
  static const SigningKey kPs =
      SigningKey::from_pem(kRs.to_pem().value(), JwsAlgorithm::kPS256).value();
  return alg == JwsAlgorithm::kRS256 ? kRs : kPs;
}

TEST(EcdsaConversionTest, RoundTripsAndPadsShortComponents) {
  std::string raw(64, '\0');
  raw[31] = 5;                        // r = 5: DER keeps one byte, JOSE pads to 32
  raw[32] = static_cast<char>(0x80);  // s has its top bit set: DER needs a leading zero
  raw[63] = 1;
  const auto der = ecdsa_jose_to_der(raw);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(static_cast<unsigned char>((*der)[0]), 0x30);
  const auto back = ecdsa_der_to_jose(*der);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, raw);

  EXPECT_FALSE(ecdsa_jose_to_der("").ok());
  EXPECT_FALSE(ecdsa_jose_to_der(std::string(63, '\x01')).ok());
  EXPECT_FALSE(ecdsa_der_to_jose("\x30\x00garbage").ok());
  EXPECT_FALSE(ecdsa_der_to_jose(*der + "x").ok());  // trailing bytes
}

TEST(JwsTest, Es256SignsAndVerifies) {
  const auto key = SigningKey::generate().value();
  const auto sig = jws_sign(key, "header.payload");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64U);
  EXPECT_TRUE(jws_verify(key.public_key(), JwsAlgorithm::kES256, "header.payload", *sig).ok());
  EXPECT_FALSE(jws_verify(key.public_key(), JwsAlgorithm::kES256, "header.payloaD", *sig).ok());
  for (std::size_t i = 0; i < sig->size(); i += 7) {
    std::string bad = *sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(jws_verify(key.public_key(), JwsAlgorithm::kES256, "header.payload", bad).ok())
        << i;
  }
  EXPECT_FALSE(
      jws_verify(key.public_key(), JwsAlgorithm::kES256, "header.payload", sig->substr(0, 63))
          .ok());
  EXPECT_FALSE(
      jws_verify(key.public_key(), JwsAlgorithm::kES256, "header.payload", std::string(64, '\0'))
          .ok());
  // The DER form OpenSSL emits is not a JOSE signature.
  EXPECT_FALSE(
      jws_verify(
          key.public_key(), JwsAlgorithm::kES256, "header.payload", ecdsa_jose_to_der(*sig).value())
          .ok());
  // Another key does not verify it.
  const auto other = SigningKey::generate().value();
  EXPECT_FALSE(jws_verify(other.public_key(), JwsAlgorithm::kES256, "header.payload", *sig).ok());
  // An EC key cannot be asked to verify an RSA algorithm.
  EXPECT_EQ(jws_verify(key.public_key(), JwsAlgorithm::kRS256, "header.payload", *sig).error().code,
            ErrorCode::kUnauthenticated);
}

TEST(JwsTest, Rs256AndPs256SignAndVerify) {
  for (const auto alg : {JwsAlgorithm::kRS256, JwsAlgorithm::kPS256}) {
    const SigningKey& key = rsa_key(alg);
    // The JWK pins the alg, so verify with an unpinned copy to test cross-algorithm refusal.
    auto unpinned_jwk = key.public_jwk();
    unpinned_jwk.erase("alg");
    const auto unpinned = PublicKey::from_jwk(unpinned_jwk).value();
    const auto sig = jws_sign(key, "a.b");
    ASSERT_TRUE(sig.ok()) << sig.error().message;
    EXPECT_EQ(sig->size(), 384U);
    EXPECT_TRUE(jws_verify(key.public_key(), alg, "a.b", *sig).ok());
    EXPECT_TRUE(jws_verify(unpinned, alg, "a.b", *sig).ok());
    EXPECT_FALSE(jws_verify(unpinned, alg, "a.c", *sig).ok());
    const auto other = alg == JwsAlgorithm::kRS256 ? JwsAlgorithm::kPS256 : JwsAlgorithm::kRS256;
    EXPECT_FALSE(jws_verify(unpinned, other, "a.b", *sig).ok());
    // A pinned key refuses the other RSA algorithm outright.
    EXPECT_FALSE(jws_verify(key.public_key(), other, "a.b", *sig).ok());
    std::string bad = *sig;
    bad[100] = static_cast<char>(bad[100] ^ 0x40);
    EXPECT_FALSE(jws_verify(unpinned, alg, "a.b", bad).ok());
    EXPECT_FALSE(jws_verify(unpinned, alg, "a.b", sig->substr(1)).ok());
  }
}

// RFC 8037 Appendix A.4: Ed25519 is deterministic, so the published signature must verify and
// our own signature of the same input must be the same bytes.
TEST(JwsTest, EdDsaMatchesRfc8037Example) {
  const auto pub = PublicKey::from_jwk(
      {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  ASSERT_TRUE(pub.ok());
  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const auto sig = base64url_decode(
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(jws_verify(*pub, JwsAlgorithm::kEdDSA, input, *sig).ok());
  EXPECT_FALSE(jws_verify(*pub, JwsAlgorithm::kEdDSA, input + "x", *sig).ok());
  EXPECT_FALSE(jws_verify(*pub, JwsAlgorithm::kES256, input, *sig).ok());
  EXPECT_FALSE(jws_verify(*pub, JwsAlgorithm::kEdDSA, input, sig->substr(1)).ok());
}

TEST(JwsTest, EdDsaSignsAndVerifies) {
  const auto key = SigningKey::generate(JwsAlgorithm::kEdDSA);
  ASSERT_TRUE(key.ok());
  const auto sig = jws_sign(*key, "a.b");
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->size(), 64U);
  EXPECT_TRUE(jws_verify(key->public_key(), JwsAlgorithm::kEdDSA, "a.b", *sig).ok());
  std::string flipped = *sig;
  flipped[10] = static_cast<char>(flipped[10] ^ 1);
  EXPECT_EQ(jws_verify(key->public_key(), JwsAlgorithm::kEdDSA, "a.b", flipped).error().code,
            ErrorCode::kUnauthenticated);
  // An RSA key cannot verify EdDSA, nor an Ed25519 key RS256.
  EXPECT_FALSE(
      jws_verify(rsa_key(JwsAlgorithm::kRS256).public_key(), JwsAlgorithm::kEdDSA, "a.b", *sig)
          .ok());
  EXPECT_FALSE(jws_verify(key->public_key(), JwsAlgorithm::kRS256, "a.b", *sig).ok());
}

}  // namespace
}  // namespace mcpgate::crypto
