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

}  // namespace
}  // namespace mcpgate::crypto
