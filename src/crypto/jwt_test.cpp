#include "crypto/jwt.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jws.hpp"

namespace mcpgate::crypto {
namespace {

// RFC 7515 Appendix A.3: ES256 example.
const char* const kA3Token =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const nlohmann::json kA3Jwk = {{"kty", "EC"},
                               {"crv", "P-256"},
                               {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                               {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};

JwtVerifyOptions options_for(std::vector<JwsAlgorithm> algs,
                             std::string typ = "",
                             bool require_kid = true) {
  JwtVerifyOptions o;
  o.allowed_algs = std::move(algs);
  o.typ = std::move(typ);
  o.require_kid = require_kid;
  return o;
}

ClaimChecks checks_at(std::int64_t now, std::int64_t leeway = 60) {
  ClaimChecks c;
  c.now = now;
  c.leeway = leeway;
  return c;
}

const JwtVerifyOptions kEs256 = options_for({JwsAlgorithm::kES256});

std::string b64(std::string_view s) {
  return base64url_encode(s);
}

struct Fixture {
  SigningKey key = SigningKey::generate().value();
  JwkSet set;
  JwtVerifyOptions options = options_for({JwsAlgorithm::kES256}, "at+jwt");
  nlohmann::json claims = {{"iss", "https://as.example"}, {"sub", "u1"}, {"exp", 2000000000}};

  Fixture() { set.add(key.public_key()); }

  std::string token() const { return sign_jwt(key, claims, "at+jwt").value(); }
};

TEST(JwtTest, VerifiesRfc7515A3Es256Example) {
  const auto key = PublicKey::from_jwk(kA3Jwk).value();
  const auto jwt = verify_jwt(kA3Token, key, kEs256);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->alg, JwsAlgorithm::kES256);
  EXPECT_EQ(jwt->payload["iss"], "joe");
  EXPECT_EQ(jwt->payload["exp"], 1300819380);
  EXPECT_EQ(jwt->payload["http://example.com/is_root"], true);
  // The example has no kid: with a key set it verifies only when kid is optional.
  JwkSet set;
  set.add(key);
  EXPECT_TRUE(verify_jwt(kA3Token, set, options_for({JwsAlgorithm::kES256}, "", false)).ok());
  EXPECT_EQ(verify_jwt(kA3Token, set, kEs256).error().code, ErrorCode::kUnauthenticated);
  auto checks = checks_at(1300819300);
  checks.issuer = "joe";
  EXPECT_TRUE(check_claims(jwt->payload, checks).ok());
  EXPECT_FALSE(check_claims(jwt->payload, checks_at(1300819500, 0)).ok());
}

// RFC 7515 Appendix A.2: RS256 example (same payload).
const char* const kA2Token =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5j"
    "ujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07"
    "Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8"
    "np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const char* const kA2N =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
    "4qPCJrcS2mJPMEzP1Pt0Bm4d4Q"
    "lL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"
    "bSf63kpaSHSXndS5z5rexMdbBYU"
    "sLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
    "DWNmou"
    "dF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

TEST(JwtTest, VerifiesRfc7515A2Rs256Example) {
  const auto key = PublicKey::from_jwk({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}});
  ASSERT_TRUE(key.ok()) << key.error().message;
  const auto jwt = verify_jwt(kA2Token, key.value(), options_for({JwsAlgorithm::kRS256}));
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->payload["iss"], "joe");
  // RS256 only where the caller allows it; and PS256 with the same key does not verify.
  EXPECT_FALSE(verify_jwt(kA2Token, key.value(), kEs256).ok());
  const std::string token = kA2Token;
  const std::string as_ps256 =
      base64url_encode(R"({"alg":"PS256"})") + token.substr(token.find('.'));
  EXPECT_FALSE(verify_jwt(as_ps256, key.value(), options_for({JwsAlgorithm::kPS256})).ok());
}

TEST(JwtTest, Rfc7515A3BitFlipsAreRefused) {
  const auto key = PublicKey::from_jwk(kA3Jwk).value();
  const std::string token = kA3Token;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') {
      continue;
    }
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_jwt(bad, key, kEs256).ok()) << "position " << i;
  }
}

TEST(JwtTest, SignedTokenRoundTrips) {
  Fixture f;
  const std::string token = f.token();
  const auto jwt = verify_jwt(token, f.set, f.options);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->kid, f.key.kid());
  EXPECT_EQ(jwt->typ, "at+jwt");
  EXPECT_EQ(jwt->payload, f.claims);
  EXPECT_EQ(jwt->header["alg"], "ES256");
}

TEST(JwtTest, EdDsaTokensVerifyOnlyWhenAllowed) {
  const auto key = SigningKey::generate(JwsAlgorithm::kEdDSA).value();
  JwkSet set;
  set.add(key.public_key());
  const auto token = sign_jwt(key, {{"sub", "s"}});
  ASSERT_TRUE(token.ok());
  const auto jwt = verify_jwt(*token, set, options_for({JwsAlgorithm::kEdDSA}));
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->alg, JwsAlgorithm::kEdDSA);
  EXPECT_EQ(jwt->header["alg"], "EdDSA");
  EXPECT_EQ(verify_jwt(*token, set, kEs256).error().code, ErrorCode::kUnauthenticated);
  // "Ed25519" (the fully-specified name) is not a registered alg we accept.
  const std::string renamed = b64(R"({"alg":"Ed25519","kid":")" + key.kid() + R"("})") + "."
                              + b64(R"({"sub":"s"})") + "." + b64(std::string(64, 'x'));
  EXPECT_FALSE(decode_jwt(renamed).ok());
}

TEST(JwtTest, RefusesAlgNone) {
  Fixture f;
  const std::string body = b64(f.claims.dump());
  for (const char* header : {R"({"alg":"none"})",
                             R"({"alg":"none","kid":"k"})",
                             R"({"alg":"None"})",
                             R"({"alg":"NONE"})"}) {
    // With and without a signature part.
    EXPECT_FALSE(verify_jwt(b64(header) + "." + body + ".", f.set, f.options).ok());
    EXPECT_FALSE(verify_jwt(b64(header) + "." + body + "." + b64("x"), f.set, f.options).ok());
    EXPECT_FALSE(decode_jwt(b64(header) + "." + body + "." + b64("x")).ok());
  }
  // Even if a caller lists nothing or everything, "none" has no algorithm to map to.
  EXPECT_FALSE(verify_jwt(b64(R"({"alg":"none"})") + "." + body + ".",
                          f.key.public_key(),
                          JwtVerifyOptions{})
                   .ok());
}

TEST(JwtTest, RefusesHs256WithThePublicKeyAsSecret) {
  // The classic confusion: sign with HMAC using the verifier's public key bytes.
  Fixture f;
  const std::string header = R"({"alg":"HS256","kid":")" + f.key.kid() + R"(","typ":"at+jwt"})";
  const std::string input = b64(header) + "." + b64(f.claims.dump());
  for (const std::string& secret :
       {f.key.public_key().to_pem().value(), f.key.public_jwk().dump(), f.key.kid()}) {
    const std::string token = input + "." + b64(hmac_sha256(secret, input));
    const auto r = verify_jwt(token, f.set, f.options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    EXPECT_FALSE(verify_jwt(token, f.key.public_key(), f.options).ok());
  }
}

TEST(JwtTest, RefusesAlgOutsideTheAllowList) {
  Fixture f;
  const std::string token = f.token();
  auto options = f.options;
  options.allowed_algs = {JwsAlgorithm::kRS256, JwsAlgorithm::kPS256};
  EXPECT_EQ(verify_jwt(token, f.set, options).error().code, ErrorCode::kUnauthenticated);
  options.allowed_algs = {};
  EXPECT_FALSE(verify_jwt(token, f.set, options).ok());
}

TEST(JwtTest, RefusesAlgThatDoesNotFitTheKey) {
  // Header says RS256 but the kid names our EC key: refused without trying.
  Fixture f;
  const std::string header = R"({"alg":"RS256","kid":")" + f.key.kid() + R"(","typ":"at+jwt"})";
  const std::string input = b64(header) + "." + b64(f.claims.dump());
  const std::string token = input + "." + b64(jws_sign(f.key, input).value());
  auto options = f.options;
  options.allowed_algs = {JwsAlgorithm::kES256, JwsAlgorithm::kRS256};
  EXPECT_FALSE(verify_jwt(token, f.set, options).ok());
  EXPECT_FALSE(verify_jwt(token, f.key.public_key(), options).ok());
}

TEST(JwtTest, RefusesWrongOrMissingTyp) {
  Fixture f;
  EXPECT_EQ(verify_jwt(sign_jwt(f.key, f.claims, "JWT").value(), f.set, f.options).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_FALSE(verify_jwt(sign_jwt(f.key, f.claims, "").value(), f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt(sign_jwt(f.key, f.claims, "dpop+jwt").value(), f.set, f.options).ok());
  // RFC 7515 §4.1.9: case-insensitive, "application/" optional.
  EXPECT_TRUE(
      verify_jwt(sign_jwt(f.key, f.claims, "application/at+jwt").value(), f.set, f.options).ok());
  EXPECT_TRUE(verify_jwt(sign_jwt(f.key, f.claims, "AT+JWT").value(), f.set, f.options).ok());
}

TEST(JwtTest, UnknownKidIsNotFound) {
  Fixture f;
  const auto stranger = SigningKey::generate().value();
  const auto r = verify_jwt(sign_jwt(stranger, f.claims, "at+jwt").value(), f.set, f.options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(JwtTest, KidOfAnotherKeyDoesNotVerify) {
  // A token signed by a stranger but naming our kid.
  Fixture f;
  const auto stranger = SigningKey::generate().value();
  const std::string header = R"({"alg":"ES256","kid":")" + f.key.kid() + R"(","typ":"at+jwt"})";
  const std::string input = b64(header) + "." + b64(f.claims.dump());
  const std::string token = input + "." + b64(jws_sign(stranger, input).value());
  EXPECT_EQ(verify_jwt(token, f.set, f.options).error().code, ErrorCode::kUnauthenticated);
}

TEST(JwtTest, RefusesTruncatedAndMisshapenTokens) {
  Fixture f;
  const std::string token = f.token();
  const std::size_t dot2 = token.rfind('.');
  for (std::size_t n = 0; n < token.size(); ++n) {
    EXPECT_FALSE(verify_jwt(token.substr(0, n), f.set, f.options).ok()) << n;
  }
  EXPECT_FALSE(verify_jwt(token + ".", f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt(token + ".x", f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt(token.substr(0, dot2), f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt(token + "=", f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt(" " + token, f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt(token + "\n", f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt("..", f.set, f.options).ok());
  EXPECT_FALSE(verify_jwt("", f.set, f.options).ok());
  // The signature re-encoded with the standard alphabet or padding.
  EXPECT_FALSE(
      verify_jwt(token.substr(0, dot2 + 1)
                     + base64_unpadded_encode(base64url_decode(token.substr(dot2 + 1)).value())
                     + "==",
                 f.set,
                 f.options)
          .ok());
}

TEST(JwtTest, RefusesHeadersAndPayloadsThatAreNotPlainObjects) {
  Fixture f;
  auto make = [&](const std::string& header, const std::string& payload) {
    const std::string input = b64(header) + "." + b64(payload);
    return input + "." + b64(jws_sign(f.key, input).value());
  };
  const std::string kid = f.key.kid();
  const std::string good_header = R"({"alg":"ES256","kid":")" + kid + R"(","typ":"at+jwt"})";
  ASSERT_TRUE(verify_jwt(make(good_header, R"({"a":1})"), f.set, f.options).ok());

  const std::string bad_headers[] = {
      R"(["ES256"])",
      R"({"alg":"ES256","alg":"none","kid":")" + kid + R"(","typ":"at+jwt"})",  // duplicate name
      R"({"alg":"ES256","kid":")" + kid + R"(","typ":"at+jwt","crit":["exp"],"exp":1})",
      R"({"alg":"ES256","kid":")" + kid + R"(","typ":"at+jwt","cty":"JWT"})",
      R"({"alg":"ES256","kid":1,"typ":"at+jwt"})",
      R"({"alg":"ES256","kid":")" + kid + R"(","typ":["at+jwt"]})",
      R"({"kid":")" + kid + R"(","typ":"at+jwt"})",
      R"({"alg":"ES256","kid":")" + kid + R"(","typ":"at+jwt"} )" + "x",
      R"({"alg":"ES256",/*c*/"kid":")" + kid + R"(","typ":"at+jwt"})",
  };
  for (const auto& header : bad_headers) {
    EXPECT_FALSE(verify_jwt(make(header, R"({"a":1})"), f.set, f.options).ok()) << header;
  }
  std::string deep = R"({"a":)";
  for (int i = 0; i < 40; ++i) {
    deep += "[";
  }
  deep += std::string(40, ']') + "}";
  for (const std::string& payload : {std::string("[1]"),
                                     std::string("\"s\""),
                                     std::string("{"),
                                     std::string(R"({"a":1,"a":2})"),
                                     deep,
                                     std::string("{\"a\":\"\xff\"}")}) {
    EXPECT_FALSE(verify_jwt(make(good_header, payload), f.set, f.options).ok()) << payload;
  }
}

TEST(JwtTest, RefusesOversizedTokens) {
  Fixture f;
  f.claims["pad"] = std::string(20000, 'x');
  const std::string token = f.token();
  EXPECT_EQ(verify_jwt(token, f.set, f.options).error().code, ErrorCode::kInvalidArgument);
  auto options = f.options;
  options.limits.max_token_bytes = 64 * 1024;
  EXPECT_TRUE(verify_jwt(token, f.set, options).ok());
}

TEST(JwtTest, SignRefusesNonObjectsAndBadUtf8) {
  Fixture f;
  EXPECT_FALSE(sign_jwt(f.key, nlohmann::json::array()).ok());
  EXPECT_FALSE(sign_jwt(f.key, {{"sub", "\xff"}}).ok());
}

TEST(JwtTest, Ps256TokensVerifyWithAnRsaJwk) {
  const auto key = SigningKey::generate(JwsAlgorithm::kPS256).value();
  JwkSet set;
  set.add(key.public_key());
  const nlohmann::json claims = {{"iss", "client"}, {"aud", "https://as/token"}};
  const std::string token = sign_jwt(key, claims).value();
  JwtVerifyOptions options =
      options_for({JwsAlgorithm::kPS256, JwsAlgorithm::kRS256, JwsAlgorithm::kES256});
  EXPECT_TRUE(verify_jwt(token, set, options).ok());
  options.allowed_algs = {JwsAlgorithm::kRS256};
  EXPECT_FALSE(verify_jwt(token, set, options).ok());
}

TEST(ClaimChecksTest, ChecksRegisteredClaims) {
  const nlohmann::json claims = {{"iss", "https://as"},
                                 {"aud", {"a", "b"}},
                                 {"exp", 1000},
                                 {"nbf", 900},
                                 {"iat", 900},
                                 {"jti", "j"}};
  ClaimChecks base = checks_at(950, 0);
  base.issuer = "https://as";
  base.audience = "b";
  EXPECT_TRUE(check_claims(claims, base).ok());

  auto c = base;
  c.now = 1000;
  EXPECT_FALSE(check_claims(claims, c).ok());  // exp reached
  c.leeway = 5;
  EXPECT_TRUE(check_claims(claims, c).ok());
  c = base;
  c.now = 899;
  EXPECT_FALSE(check_claims(claims, c).ok());  // nbf and iat in the future
  c = base;
  c.issuer = "https://other";
  EXPECT_FALSE(check_claims(claims, c).ok());
  c = base;
  c.audience = "c";
  EXPECT_FALSE(check_claims(claims, c).ok());
  c = base;
  c.required = {"jti", "sub"};
  EXPECT_FALSE(check_claims(claims, c).ok());
  c = base;
  c.max_age = 10;
  EXPECT_FALSE(check_claims(claims, c).ok());
  c.max_age = 100;
  EXPECT_TRUE(check_claims(claims, c).ok());

  EXPECT_FALSE(check_claims({{"iss", "https://as"}}, base).ok());  // exp required
  EXPECT_FALSE(check_claims({{"exp", "1000"}}, checks_at(1)).ok());
  EXPECT_TRUE(check_claims({{"exp", 1000.5}}, checks_at(1000)).ok());
  auto single = checks_at(1000);
  single.audience = "b";
  EXPECT_TRUE(check_claims({{"aud", "b"}, {"exp", 2000}}, single).ok());
}

}  // namespace
}  // namespace mcpgate::crypto
