// ID token validation without the network: every forged-token case of ATTACKS row 62 against a
// fixed JWKS. (The same cases through the whole sign-in, with a mock IdP, are in
// relying_party_test.cpp.)
#include "identity/id_token.hpp"

#include <gtest/gtest.h>

#include "identity/identity.hpp"
#include "identity/test_support.hpp"

namespace mcpgate::identity {
namespace {

using crypto::JwsAlgorithm;
using testing::b64;
using testing::good_claims;
using testing::idp_ec_key;
using testing::idp_ed_key;
using testing::idp_rsa_key;
using testing::kIdpClientId;
using testing::kIdpNow;
using testing::sign_token;
using testing::sign_with_header;

constexpr const char* kIss = "https://idp.example.com";
constexpr const char* kNonce = "n-0S6_WzA2Mj";

const crypto::JwkSet& idt_keys() {
  static const crypto::JwkSet keys =
      crypto::JwkSet::from_json(
          testing::jwks_of(
              {&idp_rsa_key(), &testing::idp_ps256_key(), &idp_ec_key(), &idp_ed_key()}))
          .value();
  return keys;
}

IdTokenChecks idt_checks() {
  IdTokenChecks c;
  c.issuer = kIss;
  c.client_id = kIdpClientId;
  c.nonce = kNonce;
  c.allowed_algs = {
      JwsAlgorithm::kRS256, JwsAlgorithm::kPS256, JwsAlgorithm::kES256, JwsAlgorithm::kEdDSA};
  c.now = kIdpNow;
  return c;
}

// Signature and claims, as RelyingParty runs them.
Status idt_validate(const std::string& token, const IdTokenChecks& checks = idt_checks()) {
  auto jwt = verify_id_token_signature(token, idt_keys(), checks);
  if (!jwt) {
    return jwt.error();
  }
  return check_id_token_claims(jwt->payload, jwt->alg, checks);
}

nlohmann::json idt_claims() {
  return good_claims(kIss, kNonce);
}

TEST(IdTokenTest, AcceptsAGoodTokenWithEveryAlgorithm) {
  for (const auto* key :
       {&idp_rsa_key(), &testing::idp_ps256_key(), &idp_ec_key(), &idp_ed_key()}) {
    const auto st = idt_validate(sign_token(*key, idt_claims()));
    EXPECT_TRUE(st.ok()) << crypto::jws_algorithm_name(key->alg()) << ": " << st.error().message;
  }
}

TEST(IdTokenTest, Attacks062WrongSignatureIsRefused) {
  std::string token = sign_token(idp_rsa_key(), idt_claims());
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(idt_validate(token).error().code, ErrorCode::kUnauthenticated);
  // Signed by a key the IdP never published, under the kid of one it did.
  const auto stranger = crypto::SigningKey::generate(JwsAlgorithm::kES256).value();
  const std::string forged = sign_with_header(
      stranger, {{"alg", "ES256"}, {"kid", idp_ec_key().kid()}, {"typ", "JWT"}}, idt_claims());
  EXPECT_EQ(idt_validate(forged).error().code, ErrorCode::kUnauthenticated);
  // Claims swapped under a valid signature of other claims.
  const std::string a = sign_token(idp_ec_key(), idt_claims());
  auto other = idt_claims();
  other["sub"] = "someone-else";
  const std::string b = sign_token(idp_ec_key(), other);
  const std::string spliced = a.substr(0, a.find('.'))
                              + b.substr(b.find('.'), b.rfind('.') - b.find('.'))
                              + a.substr(a.rfind('.'));
  EXPECT_FALSE(idt_validate(spliced).ok());
}

TEST(IdTokenTest, Attacks062AlgNoneIsRefused) {
  const std::string body = b64(idt_claims().dump());
  for (const char* header :
       {R"({"alg":"none"})", R"({"alg":"none","kid":"x"})", R"({"alg":"NONE"})"}) {
    EXPECT_FALSE(idt_validate(b64(header) + "." + body + ".").ok());
    EXPECT_FALSE(idt_validate(b64(header) + "." + body + "." + b64("sig")).ok());
  }
}

TEST(IdTokenTest, Attacks062Hs256WithTheIdpPublicKeyAsSecretIsRefused) {
  const auto& rsa = idp_rsa_key();
  const std::string header = R"({"alg":"HS256","typ":"JWT","kid":")" + rsa.kid() + R"("})";
  const std::string input = b64(header) + "." + b64(idt_claims().dump());
  const auto n = crypto::base64url_decode(rsa.public_jwk()["n"].get<std::string>()).value();
  for (const std::string& secret :
       {rsa.public_key().to_pem().value(), rsa.public_jwk().dump(), n}) {
    const std::string token = input + "." + b64(crypto::hmac_sha256(secret, input));
    const auto st = idt_validate(token);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kUnauthenticated);
  }
}

TEST(IdTokenTest, Attacks062AlgOutsideTheAllowListIsRefused) {
  auto checks = idt_checks();
  checks.allowed_algs = {JwsAlgorithm::kRS256};
  EXPECT_EQ(idt_validate(sign_token(idp_ec_key(), idt_claims()), checks).error().code,
            ErrorCode::kUnauthenticated);
  // An RS256 header on the EC key's kid: the key cannot verify it.
  const std::string confused = sign_with_header(
      idp_rsa_key(), {{"alg", "RS256"}, {"kid", idp_ec_key().kid()}}, idt_claims());
  EXPECT_FALSE(idt_validate(confused).ok());
}

TEST(IdTokenTest, Attacks062WrongAudIssNonceAreRefused) {
  auto aud = idt_claims();
  aud["aud"] = "someone-else";
  auto iss = idt_claims();
  iss["iss"] = "https://idp.example.com/";  // one byte off
  auto iss_other = idt_claims();
  iss_other["iss"] = "https://evil.example.com";
  auto nonce = idt_claims();
  nonce["nonce"] = "x";
  auto no_nonce = idt_claims();
  no_nonce.erase("nonce");
  for (const auto& claims : {aud, iss, iss_other, nonce, no_nonce}) {
    const auto st = idt_validate(sign_token(idp_rsa_key(), claims));
    ASSERT_FALSE(st.ok()) << claims.dump();
    EXPECT_EQ(st.error().code, ErrorCode::kUnauthenticated);
  }
}

TEST(IdTokenTest, Attacks062ExpiredNotYetValidAndStaleAreRefused) {
  auto expired = idt_claims();
  expired["exp"] = kIdpNow - 61;  // beyond the 60 s leeway
  auto nbf = idt_claims();
  nbf["nbf"] = kIdpNow + 120;
  auto future_iat = idt_claims();
  future_iat["iat"] = kIdpNow + 120;
  auto old_iat = idt_claims();
  old_iat["iat"] = kIdpNow - 3600;
  auto no_exp = idt_claims();
  no_exp.erase("exp");
  auto no_iat = idt_claims();
  no_iat.erase("iat");
  auto string_exp = idt_claims();
  string_exp["exp"] = std::to_string(kIdpNow + 300);
  for (const auto& claims : {expired, nbf, future_iat, old_iat, no_exp, no_iat, string_exp}) {
    EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), claims)).ok()) << claims.dump();
  }
  // Inside the leeway is fine.
  auto skewed = idt_claims();
  skewed["exp"] = kIdpNow - 30;
  EXPECT_TRUE(idt_validate(sign_token(idp_ec_key(), skewed)).ok());
}

TEST(IdTokenTest, Attacks062AzpMismatchWithSeveralAudiencesIsRefused) {
  auto checks = idt_checks();
  checks.trusted_audiences = {"api://other"};
  auto several = idt_claims();
  several["aud"] = {kIdpClientId, "api://other"};
  // Several audiences: azp is required and must be us.
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), several), checks).ok());
  several["azp"] = "api://other";
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), several), checks).ok());
  several["azp"] = kIdpClientId;
  EXPECT_TRUE(idt_validate(sign_token(idp_ec_key(), several), checks).ok());
  // An audience the configuration does not trust refuses the token even with a good azp.
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), several)).ok());
  // azp present with one audience must still be us.
  auto single = idt_claims();
  single["azp"] = "another-client";
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), single)).ok());
  // aud holding a non-string.
  auto odd = idt_claims();
  odd["aud"] = {kIdpClientId, 7};
  odd["azp"] = kIdpClientId;
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), odd)).ok());
}

TEST(IdTokenTest, UnknownKidIsNotFoundSoTheCallerCanRefetch) {
  const auto other = crypto::SigningKey::generate(JwsAlgorithm::kES256).value();
  const auto st = idt_validate(sign_token(other, idt_claims()));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
}

TEST(IdTokenTest, TypedJwtsOfOtherKindsAreNotIdTokens) {
  EXPECT_TRUE(idt_validate(sign_token(idp_ec_key(), idt_claims(), "")).ok());
  EXPECT_TRUE(idt_validate(sign_token(idp_ec_key(), idt_claims(), "application/jwt")).ok());
  for (const char* typ : {"at+jwt", "logout+jwt", "oauth-id-jag+jwt"}) {
    EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), idt_claims(), typ)).ok()) << typ;
  }
}

TEST(IdTokenTest, SubMustBeAShortNonEmptyString) {
  for (const nlohmann::json& sub :
       {nlohmann::json(""), nlohmann::json(42), nlohmann::json(std::string(256, 'a'))}) {
    auto claims = idt_claims();
    claims["sub"] = sub;
    EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), claims)).ok()) << sub.dump();
  }
}

TEST(IdTokenTest, AtHashAndCHashAreCheckedWhenPresent) {
  auto checks = idt_checks();
  checks.access_token = "ya29.access-token";
  checks.code = "SplxlOBeZQQYbYS6WxSbIA";
  for (const auto* key : {&idp_rsa_key(), &idp_ed_key()}) {
    auto claims = idt_claims();
    claims["at_hash"] = oidc_token_hash(checks.access_token, key->alg());
    claims["c_hash"] = oidc_token_hash(checks.code, key->alg());
    EXPECT_TRUE(idt_validate(sign_token(*key, claims), checks).ok());
    claims["at_hash"] = oidc_token_hash("another-token", key->alg());
    EXPECT_FALSE(idt_validate(sign_token(*key, claims), checks).ok());
  }
  // The EdDSA hash is SHA-512's left half, RS256's SHA-256's (different lengths).
  EXPECT_EQ(oidc_token_hash("x", JwsAlgorithm::kEdDSA).size(), 43U);
  EXPECT_EQ(oidc_token_hash("x", JwsAlgorithm::kRS256).size(), 22U);
  // OIDC Core §A.3's example: at_hash of this access token under RS256.
  EXPECT_EQ(oidc_token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", JwsAlgorithm::kRS256),
            "77QmUPtjPfzWtF2AnpK9RQ");
  // A hash claim with nothing to check it against is refused.
  auto claims = idt_claims();
  claims["at_hash"] = "abc";
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), claims)).ok());
}

TEST(IdTokenTest, AuthTimeIsRequiredAndRecentWhenMaxAgeWasSent) {
  auto checks = idt_checks();
  checks.max_age = 300;
  auto claims = idt_claims();
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), claims), checks).ok());
  claims["auth_time"] = kIdpNow - 100;
  EXPECT_TRUE(idt_validate(sign_token(idp_ec_key(), claims), checks).ok());
  claims["auth_time"] = kIdpNow - 1000;
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), claims), checks).ok());
  claims["auth_time"] = "yesterday";
  EXPECT_FALSE(idt_validate(sign_token(idp_ec_key(), claims)).ok());
}

TEST(IdTokenTest, MalformedAndOversizedTokensAreRefused) {
  const std::string good = sign_token(idp_ec_key(), idt_claims());
  for (const std::string& token : {std::string(),
                                   std::string("a.b"),
                                   good + ".x",
                                   good.substr(0, good.rfind('.')),
                                   std::string("....."),
                                   std::string("e30.e30.e30"),
                                   good + "=",
                                   " " + good}) {
    EXPECT_FALSE(idt_validate(token).ok()) << token;
  }
  auto big = idt_claims();
  big["pad"] = std::string(40 * 1024, 'x');
  const auto st = idt_validate(sign_token(idp_ec_key(), big));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  // Duplicate claim names: two parsers could disagree about which sub this is.
  const std::string dup_payload =
      R"({"iss":"https://idp.example.com","sub":"a","sub":"b","aud":"mcpgate-client"})";
  const std::string input =
      b64(R"({"alg":"ES256","kid":")" + idp_ec_key().kid() + R"("})") + "." + b64(dup_payload);
  const std::string dup = input + "." + b64(crypto::jws_sign(idp_ec_key(), input).value());
  EXPECT_EQ(idt_validate(dup).error().code, ErrorCode::kInvalidArgument);
}

TEST(IdTokenTest, WithoutKidOnlyASingleCandidateKeyIsTried) {
  // One EC key in the set: a kid-less ES256 token verifies (OIDC Core §10.1).
  const std::string no_kid = sign_with_header(idp_ec_key(), {{"alg", "ES256"}}, idt_claims());
  EXPECT_TRUE(idt_validate(no_kid).ok());
  // Two RSA keys for RS256: ambiguous, refused.
  const auto two =
      crypto::JwkSet::from_json(testing::jwks_of({&idp_rsa_key(), &testing::idp_rotated_rsa_key()}))
          .value();
  const std::string rs = sign_with_header(idp_rsa_key(), {{"alg", "RS256"}}, idt_claims());
  EXPECT_FALSE(verify_id_token_signature(rs, two, idt_checks()).ok());
}

TEST(IdentityMappingTest, MapsConfiguredAndNestedClaims) {
  auto claims = idt_claims();
  claims["realm_access"] = {{"roles", {"a", "b", 3}}};
  claims["https://example.com/groups"] = {"x"};
  ClaimMapping mapping;
  auto id = map_identity(claims, mapping);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->issuer, kIss);
  EXPECT_EQ(id->subject, "248289761001");
  EXPECT_EQ(id->email, "jane@example.com");
  EXPECT_TRUE(id->email_verified);
  EXPECT_EQ(id->name, "Jane Doe");
  EXPECT_EQ(id->groups, (std::vector<std::string>{"staff", "admins"}));
  mapping.groups = "realm_access.roles";
  EXPECT_EQ(map_identity(claims, mapping)->groups, (std::vector<std::string>{"a", "b"}));
  mapping.groups = "/https:~1~1example.com~1groups";
  EXPECT_EQ(map_identity(claims, mapping)->groups, (std::vector<std::string>{"x"}));
  mapping.groups = "nothing.here";
  EXPECT_TRUE(map_identity(claims, mapping)->groups.empty());
  EXPECT_FALSE(validate_claim_path("a..b").ok());
  EXPECT_FALSE(validate_claim_path("/a/~2").ok());
  EXPECT_FALSE(validate_claim_path("").ok());
  EXPECT_TRUE(validate_claim_path("/a.b/c").ok());
  // Too many groups refuses rather than silently trimming.
  mapping.groups = "groups";
  mapping.max_groups = 1;
  EXPECT_FALSE(map_identity(claims, mapping).ok());
  // Entra ID group overage.
  claims["_claim_names"] = {{"groups", "src1"}};
  EXPECT_TRUE(map_identity(claims, ClaimMapping{})->groups_overage);
}

TEST(IdentityMappingTest, Attacks064TheKeyIsIssAndSubNeverTheEmail) {
  auto a = idt_claims();
  auto b = idt_claims();
  b["sub"] = "another-subject";  // same email, another person at the IdP
  const auto ia = map_identity(a, ClaimMapping{}).value();
  const auto ib = map_identity(b, ClaimMapping{}).value();
  EXPECT_EQ(ia.email, ib.email);
  EXPECT_NE(ia.key(), ib.key());
  auto c = idt_claims();
  c["iss"] = "https://other-idp.example.com";  // same sub at another issuer: another account
  EXPECT_NE(ia.key(), map_identity(c, ClaimMapping{})->key());
  // An unverified email is never offered as a verified one.
  auto unverified = idt_claims();
  unverified["email_verified"] = false;
  EXPECT_FALSE(map_identity(unverified, ClaimMapping{})->verified_email().has_value());
  unverified.erase("email_verified");
  EXPECT_FALSE(map_identity(unverified, ClaimMapping{})->verified_email().has_value());
  unverified["email_verified"] = "true";  // Cognito's string form
  EXPECT_EQ(map_identity(unverified, ClaimMapping{})->verified_email(), "jane@example.com");
  // The store key round-trips and cannot be confused by separators inside the parts.
  const SubjectKey tricky{"https://i.example/a.b", "s.u.b"};
  EXPECT_EQ(SubjectKey::from_string(tricky.to_string()).value(), tricky);
  EXPECT_NE(SubjectKey({"https://i.example/a", "b.s"}).to_string(),
            SubjectKey({"https://i.example/a.b", "s"}).to_string());
  EXPECT_FALSE(SubjectKey::from_string("no-separator").ok());
}

}  // namespace
}  // namespace mcpgate::identity
