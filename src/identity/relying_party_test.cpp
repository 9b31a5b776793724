// The whole sign-in against a mock OpenID Provider on loopback: discovery, JWKS (with rotation),
// the authorization request, the callback, the code exchange with each client authentication,
// and the ID token the token endpoint returns — good and forged (ATTACKS rows 62, 63, 65).
#include "identity/relying_party.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "identity/id_token.hpp"
#include "identity/test_support.hpp"

namespace mcpgate::identity {
namespace {

using http::testing::make_reply;
using http::testing::run_awaitable;
using testing::MockIdp;
using testing::sign_token;
using testing::url_query;

constexpr const char* kBrowser = "browser-session-1";
constexpr const char* kCode = "auth-code-123";
constexpr const char* kAccessToken = "idp-access-token";

// The token endpoint's ID token: built from claims that would pass, then tampered with.
using Forge = std::function<std::string(nlohmann::json claims)>;

class RpHarness {
 public:
  explicit RpHarness(std::function<void(ProviderConfig&)> tune = nullptr) {
    idp.set_token_handler([this](const MockIdp::TokenCall& call) { return token_reply(call); });
    config = testing::config_for(idp);
    if (tune) {
      tune(config);
    }
    rp.emplace(RelyingParty::create(config, testing::options_with(clock)).value());
  }

  void set_forge(Forge f) {
    std::lock_guard lock(mu);
    forge = std::move(f);
  }

  Result<LoginRedirect> begin(LoginOptions options = {}) {
    if (options.browser_key.empty()) {
      options.browser_key = kBrowser;
    }
    auto redirect = run_awaitable(rp->begin_login(std::move(options)));
    if (redirect) {
      const auto q = url_query(redirect->url);
      std::lock_guard lock(mu);
      nonce = q.value("nonce", "");
      challenge = q.value("code_challenge", "");
    }
    return redirect;
  }

  CallbackParams callback_for(const LoginRedirect& redirect) const {
    CallbackParams cb;
    cb.code = kCode;
    cb.state = redirect.state;
    cb.iss = idp.issuer();
    return cb;
  }

  Result<SignIn> complete(CallbackParams cb, std::string browser = kBrowser) {
    return run_awaitable(rp->complete_login(std::move(cb), std::move(browser)));
  }

  Result<SignIn> login() {
    auto redirect = begin();
    if (!redirect) {
      return redirect.error();
    }
    return complete(callback_for(*redirect));
  }

  std::string current_nonce() {
    std::lock_guard lock(mu);
    return nonce;
  }

  testing::TestClock clock;
  std::mutex mu;
  std::string nonce;      // guarded by mu
  std::string challenge;  // guarded by mu
  Forge forge;            // guarded by mu
  MockIdp idp;
  ProviderConfig config;
  std::optional<RelyingParty> rp;

 private:
  http::testing::TestReply token_reply(const MockIdp::TokenCall& call) {
    const auto form = url_query("?" + call.body);
    std::lock_guard lock(mu);
    if (form.value("grant_type", "") != "authorization_code" || form.value("code", "") != kCode
        || pkce_s256(form.value("code_verifier", "")) != challenge) {
      return make_reply(400, R"({"error":"invalid_grant"})");
    }
    auto claims = testing::good_claims(idp.issuer(), nonce);
    claims["at_hash"] = oidc_token_hash(kAccessToken, crypto::JwsAlgorithm::kRS256);
    const std::string id_token = forge ? forge(claims) : sign_token(testing::idp_rsa_key(), claims);
    nlohmann::json body = {{"access_token", kAccessToken},
                           {"token_type", "Bearer"},
                           {"expires_in", 3600},
                           {"id_token", id_token}};
    return make_reply(200, body.dump());
  }
};

TEST(RelyingPartyTest, SignsInWithClientSecretBasic) {
  RpHarness h;
  LoginOptions options;
  options.return_to = "/authorize?resume=1";
  options.login_hint = "jane@example.com";
  auto redirect = h.begin(options);
  ASSERT_TRUE(redirect.ok()) << redirect.error().message;
  const auto q = url_query(redirect->url);
  EXPECT_EQ(redirect->url.rfind(h.idp.issuer() + "/authorize?", 0), 0U);
  EXPECT_EQ(q["client_id"], testing::kIdpClientId);
  EXPECT_EQ(q["scope"], "openid email profile");
  EXPECT_EQ(q["code_challenge_method"], "S256");
  EXPECT_EQ(q["login_hint"], "jane@example.com");
  EXPECT_EQ(h.rp->pending_logins(), 1U);

  auto signin = h.complete(h.callback_for(*redirect));
  ASSERT_TRUE(signin.ok()) << signin.error().message;
  EXPECT_EQ(signin->return_to, "/authorize?resume=1");
  const Identity& id = signin->identity;
  EXPECT_EQ(id.key(), (SubjectKey{h.idp.issuer(), "248289761001"}));
  EXPECT_EQ(id.email, "jane@example.com");
  EXPECT_EQ(id.verified_email(), "jane@example.com");
  EXPECT_EQ(id.name, "Jane Doe");
  EXPECT_EQ(id.groups, (std::vector<std::string>{"staff", "admins"}));
  EXPECT_EQ(h.rp->pending_logins(), 0U);

  const auto call = h.idp.last_token_call();
  EXPECT_EQ(call.authorization.rfind("Basic ", 0), 0U);
  EXPECT_EQ(call.body.find("client_secret"), std::string::npos);
  EXPECT_EQ(h.idp.discovery_requests(), 1U);
  EXPECT_EQ(h.idp.jwks_requests(), 1U);
}

TEST(RelyingPartyTest, SignsInWithClientSecretPost) {
  RpHarness h([](ProviderConfig& c) { c.auth_method = ClientAuthMethod::kClientSecretPost; });
  ASSERT_TRUE(h.login().ok());
  const auto call = h.idp.last_token_call();
  EXPECT_TRUE(call.authorization.empty());
  EXPECT_EQ(url_query("?" + call.body)["client_secret"], testing::kIdpClientSecret);
}

TEST(RelyingPartyTest, SignsInWithPrivateKeyJwt) {
  const auto client_key = crypto::SigningKey::generate(crypto::JwsAlgorithm::kES256).value();
  RpHarness h([&](ProviderConfig& c) {
    c.auth_method = ClientAuthMethod::kPrivateKeyJwt;
    c.client_secret.clear();
    c.assertion_key = client_key;
  });
  auto signin = h.login();
  ASSERT_TRUE(signin.ok()) << signin.error().message;
  const auto form = url_query("?" + h.idp.last_token_call().body);
  EXPECT_FALSE(form.contains("client_secret"));
  crypto::JwtVerifyOptions vo;
  vo.allowed_algs = {crypto::JwsAlgorithm::kES256};
  const auto assertion =
      crypto::verify_jwt(form["client_assertion"].get<std::string>(), client_key.public_key(), vo);
  ASSERT_TRUE(assertion.ok());
  EXPECT_EQ(assertion->payload["aud"], h.idp.issuer() + "/token");
  EXPECT_EQ(assertion->payload["iss"], testing::kIdpClientId);
  EXPECT_EQ(
      assertion->payload["exp"].get<std::int64_t>() - assertion->payload["iat"].get<std::int64_t>(),
      60);
}

TEST(RelyingPartyTest, Attacks062ForgedIdTokensAreRefused) {
  const auto& rsa = testing::idp_rsa_key();
  const auto stranger = crypto::SigningKey::generate(crypto::JwsAlgorithm::kRS256).value();
  const std::vector<std::pair<const char*, Forge>> forgeries = {
      {"wrong signature",
       [&](nlohmann::json c) {
         // Signed by a key the IdP never published, under the IdP key's kid.
         return testing::sign_with_header(stranger, {{"alg", "RS256"}, {"kid", rsa.kid()}}, c);
       }},
      {"alg none",
       [](const nlohmann::json& c) {
         return testing::b64(R"({"alg":"none"})") + "." + testing::b64(c.dump()) + ".";
       }},
      {"HS256 with the IdP's public key",
       [&](const nlohmann::json& c) {
         const std::string input = testing::b64(R"({"alg":"HS256","kid":")" + rsa.kid() + R"("})")
                                   + "." + testing::b64(c.dump());
         return input + "."
                + testing::b64(crypto::hmac_sha256(rsa.public_key().to_pem().value(), input));
       }},
      {"wrong aud",
       [&](nlohmann::json c) {
         c["aud"] = "another-client";
         return sign_token(rsa, c);
       }},
      {"wrong iss",
       [&](nlohmann::json c) {
         c["iss"] = "http://127.0.0.1:1";
         return sign_token(rsa, c);
       }},
      {"wrong nonce",
       [&](nlohmann::json c) {
         c["nonce"] = "replayed-nonce";
         return sign_token(rsa, c);
       }},
      {"expired",
       [&](nlohmann::json c) {
         c["exp"] = testing::kIdpNow - 3600;
         return sign_token(rsa, c);
       }},
      {"not yet valid",
       [&](nlohmann::json c) {
         c["nbf"] = testing::kIdpNow + 3600;
         return sign_token(rsa, c);
       }},
      {"azp mismatch with several audiences",
       [&](nlohmann::json c) {
         c["aud"] = {testing::kIdpClientId, "api://other"};
         c["azp"] = "api://other";
         return sign_token(rsa, c);
       }},
      {"at_hash of another access token",
       [&](nlohmann::json c) {
         c["at_hash"] = oidc_token_hash("other", crypto::JwsAlgorithm::kRS256);
         return sign_token(rsa, c);
       }},
      {"access token instead of an ID token",
       [&](const nlohmann::json& c) {
         return sign_token(rsa, c, "at+jwt");
       }},
      {"oversized",
       [&](nlohmann::json c) {
         c["pad"] = std::string(64 * 1024, 'x');
         return sign_token(rsa, c);
       }},
      {"garbage",
       [](const nlohmann::json&) {
         return std::string("not.a.jwt");
       }},
  };
  for (const auto& [name, forge] : forgeries) {
    RpHarness h([](ProviderConfig& c) { c.trusted_audiences = {"api://other"}; });
    h.set_forge(forge);
    const auto signin = h.login();
    ASSERT_FALSE(signin.ok()) << name;
    EXPECT_TRUE(signin.error().code == ErrorCode::kUnauthenticated
                || signin.error().code == ErrorCode::kInvalidArgument)
        << name << ": " << signin.error().message;
    EXPECT_EQ(h.idp.token_requests(), 1U) << name;
  }
}

TEST(RelyingPartyTest, Attacks063MissingOrReusedStateIsRefused) {
  RpHarness h;
  auto redirect = h.begin();
  ASSERT_TRUE(redirect.ok());
  auto cb = h.callback_for(*redirect);
  auto missing = cb;
  missing.state.reset();
  EXPECT_EQ(h.complete(missing).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(h.complete(cb).ok());
  const auto replay = h.complete(cb);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(h.idp.token_requests(), 1U);
  // A state begun in another browser is refused (and burnt).
  auto other = h.begin();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(h.complete(h.callback_for(*other), "another-browser").error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(h.complete(h.callback_for(*other)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(h.idp.token_requests(), 1U);
}

TEST(RelyingPartyTest, Attacks063IssParameterMismatchIsRefused) {
  RpHarness h;
  auto redirect = h.begin();
  ASSERT_TRUE(redirect.ok());
  auto cb = h.callback_for(*redirect);
  cb.iss = "https://evil.example.com";
  EXPECT_EQ(h.complete(cb).error().code, ErrorCode::kPermissionDenied);
  // Advertised by the IdP (the mock does): a callback without iss is refused too.
  redirect = h.begin();
  cb = h.callback_for(*redirect);
  cb.iss.reset();
  EXPECT_EQ(h.complete(cb).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(h.idp.token_requests(), 0U);
}

TEST(RelyingPartyTest, Attacks063IssMismatchIsRefusedEvenWhenNotAdvertised) {
  RpHarness h;
  auto doc = h.idp.discovery();
  doc.erase("authorization_response_iss_parameter_supported");
  h.idp.set_discovery(doc);
  auto redirect = h.begin();
  ASSERT_TRUE(redirect.ok());
  auto cb = h.callback_for(*redirect);
  cb.iss = "https://evil.example.com";
  EXPECT_EQ(h.complete(cb).error().code, ErrorCode::kPermissionDenied);
  // Not advertised and absent: accepted.
  redirect = h.begin();
  cb = h.callback_for(*redirect);
  cb.iss.reset();
  EXPECT_TRUE(h.complete(cb).ok());
}

TEST(RelyingPartyTest, Attacks063ErrorResponseIsRefusedWithoutACodeExchange) {
  RpHarness h;
  auto redirect = h.begin();
  ASSERT_TRUE(redirect.ok());
  CallbackParams cb;
  cb.state = redirect->state;
  cb.iss = h.idp.issuer();
  cb.error = "access_denied";
  cb.error_description = "The user said no";
  const auto r = h.complete(cb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("access_denied"), std::string::npos);
  EXPECT_EQ(h.idp.token_requests(), 0U);
  // A code the IdP refuses at the token endpoint.
  redirect = h.begin();
  cb = h.callback_for(*redirect);
  cb.code = "wrong-code";
  EXPECT_EQ(h.complete(cb).error().code, ErrorCode::kPermissionDenied);
}

TEST(RelyingPartyTest, Attacks065UnknownKidAfterRotationRefetchesOnceThenSucceeds) {
  RpHarness h;
  ASSERT_TRUE(h.login().ok());
  EXPECT_EQ(h.idp.jwks_requests(), 1U);
  // The IdP rotates: only the new key is published, tokens carry its kid.
  const auto& rotated = testing::idp_rotated_rsa_key();
  h.idp.set_jwks(testing::jwks_of({&rotated}));
  h.set_forge([&](const nlohmann::json& c) { return sign_token(rotated, c); });
  h.clock.advance(31);  // past the refetch interval since the first fetch
  auto signin = h.login();
  ASSERT_TRUE(signin.ok()) << signin.error().message;
  EXPECT_EQ(h.idp.jwks_requests(), 2U);
  // The new set is cached: the next login fetches nothing.
  ASSERT_TRUE(h.login().ok());
  EXPECT_EQ(h.idp.jwks_requests(), 2U);
  // The old key is gone from the set now: a token signed with it fails closed after at most one
  // refetch per interval.
  h.set_forge([](const nlohmann::json& c) { return sign_token(testing::idp_rsa_key(), c); });
  EXPECT_EQ(h.login().error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(h.idp.jwks_requests(), 2U);  // inside the interval: no refetch
  EXPECT_EQ(h.login().error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(h.idp.jwks_requests(), 2U);
  h.clock.advance(31);
  EXPECT_EQ(h.login().error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(h.idp.jwks_requests(), 3U);  // one refetch, still unknown: closed
}

TEST(RelyingPartyTest, Attacks065BurstOfLoginsAfterRotationMakesOneJwksFetch) {
  RpHarness h;
  ASSERT_TRUE(h.login().ok());
  const auto& rotated = testing::idp_rotated_rsa_key();
  h.idp.set_jwks(testing::jwks_of({&testing::idp_rsa_key(), &rotated}));
  h.idp.set_jwks_delay(std::chrono::milliseconds(100));
  h.clock.advance(31);
  auto claims = testing::good_claims(h.idp.issuer(), "burst-nonce");
  const std::string token = sign_token(rotated, claims);
  asio::io_context ioc;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < 20; ++i) {
    auto task = [&]() -> asio::awaitable<void> {
      IdTokenContext context;
      context.nonce = "burst-nonce";
      Result<Identity> r = co_await h.rp->validate_id_token(token, context);
      if (r) {
        ++ok;
      } else {
        ++failed;
      }
    };
    asio::co_spawn(ioc, task, asio::detached);
  }
  ioc.run();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(h.idp.jwks_requests(), 2U);
}

TEST(RelyingPartyTest, Attacks065UnknownKidRightAfterAFetchFailsClosed) {
  RpHarness h;
  ASSERT_TRUE(h.login().ok());
  h.idp.set_jwks(testing::jwks_of({&testing::idp_rotated_rsa_key()}));
  h.set_forge(
      [](const nlohmann::json& c) { return sign_token(testing::idp_rotated_rsa_key(), c); });
  const auto r = h.login();  // inside the refetch interval: no fetch, closed
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(h.idp.jwks_requests(), 1U);
}

TEST(RelyingPartyTest, Attacks065ASingleKeyIdpRotatingWithoutKidIsFollowed) {
  // The IdP publishes one key and leaves kid out of its tokens (OIDC Core §10.1 allows that).
  RpHarness h;
  const auto& old_key = testing::idp_rsa_key();
  const auto& new_key = testing::idp_rotated_rsa_key();
  h.idp.set_jwks(testing::jwks_of({&old_key}));
  h.set_forge([&](const nlohmann::json& c) {
    return testing::sign_with_header(old_key, {{"alg", "RS256"}, {"typ", "JWT"}}, c);
  });
  ASSERT_TRUE(h.login().ok());
  h.idp.set_jwks(testing::jwks_of({&new_key}));
  h.set_forge([&](const nlohmann::json& c) {
    return testing::sign_with_header(new_key, {{"alg", "RS256"}, {"typ", "JWT"}}, c);
  });
  h.clock.advance(31);
  auto signin = h.login();
  ASSERT_TRUE(signin.ok()) << signin.error().message;
  EXPECT_EQ(h.idp.jwks_requests(), 2U);
  // A kid-less token no published key verifies: one refetch at most, then refused.
  const auto stranger = crypto::SigningKey::generate(crypto::JwsAlgorithm::kES256).value();
  h.set_forge([&](const nlohmann::json& c) {
    return testing::sign_with_header(stranger, {{"alg", "ES256"}}, c);
  });
  EXPECT_EQ(h.login().error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(h.idp.jwks_requests(), 2U);  // inside the refetch interval
}

TEST(RelyingPartyTest, Attacks062AlgAllowListIsConfigurationIntersectDiscovery) {
  // The IdP says it signs ID tokens with RS256 only: an ES256 token from its own JWKS key is
  // refused, although the configuration would allow ES256.
  RpHarness h;
  auto doc = h.idp.discovery();
  doc["id_token_signing_alg_values_supported"] = {"RS256"};
  h.idp.set_discovery(doc);
  h.set_forge([](const nlohmann::json& c) { return sign_token(testing::idp_ec_key(), c); });
  EXPECT_EQ(h.login().error().code, ErrorCode::kUnauthenticated);
  // And the configuration narrows what the IdP offers.
  RpHarness narrow([](ProviderConfig& c) { c.allowed_algs = {crypto::JwsAlgorithm::kEdDSA}; });
  EXPECT_EQ(narrow.login().error().code, ErrorCode::kUnauthenticated);  // RS256 token
  narrow.set_forge([](nlohmann::json c) {
    c["at_hash"] = oidc_token_hash(kAccessToken, crypto::JwsAlgorithm::kEdDSA);  // SHA-512
    return sign_token(testing::idp_ed_key(), c);
  });
  EXPECT_TRUE(narrow.login().ok());
  // No algorithm in common: nothing is started.
  RpHarness none([](ProviderConfig& c) { c.allowed_algs = {crypto::JwsAlgorithm::kPS256}; });
  auto disc = none.idp.discovery();
  disc["id_token_signing_alg_values_supported"] = {"RS256", "HS256", "none"};
  none.idp.set_discovery(disc);
  EXPECT_EQ(none.begin().error().code, ErrorCode::kFailedPrecondition);
}

TEST(RelyingPartyTest, DiscoveryWithAMismatchingIssuerIsRefused) {
  RpHarness h;
  auto doc = h.idp.discovery();
  doc["issuer"] = h.idp.issuer() + "/";
  h.idp.set_discovery(doc);
  const auto r = h.begin();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(h.rp->pending_logins(), 0U);
}

TEST(RelyingPartyTest, DiscoveryWithHttpEndpointsIsRefused) {
  for (const char* member : {"token_endpoint", "jwks_uri", "authorization_endpoint"}) {
    RpHarness h;
    auto doc = h.idp.discovery();
    doc[member] = "http://idp.example.com/x";
    h.idp.set_discovery(doc);
    EXPECT_FALSE(h.begin().ok()) << member;
  }
  // Without the test switch even loopback http is refused (at configuration time).
  testing::MockIdp idp;
  auto config = testing::config_for(idp);
  config.allow_loopback_http = false;
  EXPECT_FALSE(RelyingParty::create(config).ok());
}

TEST(RelyingPartyTest, IdpOnAPrivateAddressIsNotReachedUnderThePublicOnlyPolicy) {
  RpHarness h([](ProviderConfig& c) { c.address_policy = http::AddressPolicy::kPublicOnly; });
  const auto r = h.begin();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(h.idp.discovery_requests(), 0U);
}

TEST(RelyingPartyTest, OversizedOrMalformedJwksFailsClosed) {
  for (const std::string& body : {std::string(300 * 1024, ' '),
                                  std::string("{"),
                                  std::string(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})")}) {
    RpHarness h;
    h.idp.set_jwks_raw(body);
    const auto r = h.login();
    ASSERT_FALSE(r.ok()) << body.substr(0, 30);
  }
}

TEST(RelyingPartyTest, DiscoveryIsCachedAndEachLoginIsFresh) {
  RpHarness h;
  auto a = h.begin();
  auto b = h.begin();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(h.idp.discovery_requests(), 1U);
  const auto qa = url_query(a->url);
  const auto qb = url_query(b->url);
  EXPECT_NE(qa["state"], qb["state"]);
  EXPECT_NE(qa["nonce"], qb["nonce"]);
  EXPECT_NE(qa["code_challenge"], qb["code_challenge"]);
  h.clock.advance(3601);
  ASSERT_TRUE(h.begin().ok());
  EXPECT_EQ(h.idp.discovery_requests(), 2U);
}

TEST(RelyingPartyTest, BeginLoginRefusesBadOptionsWithoutKeepingState) {
  RpHarness h;
  LoginOptions bad;
  bad.prompt = "bogus";
  EXPECT_FALSE(h.begin(bad).ok());
  EXPECT_EQ(h.rp->pending_logins(), 0U);
  LoginOptions fine;
  fine.prompt = "login";
  fine.max_age = 0;
  ASSERT_TRUE(h.begin(fine).ok());
  // max_age was sent: the ID token must carry a recent auth_time.
  auto redirect = h.begin(fine);
  ASSERT_TRUE(redirect.ok());
  EXPECT_FALSE(h.complete(h.callback_for(*redirect)).ok());
  h.set_forge([](nlohmann::json c) {
    c["auth_time"] = testing::kIdpNow - 10;
    return sign_token(testing::idp_rsa_key(), c);
  });
  redirect = h.begin(fine);
  ASSERT_TRUE(redirect.ok());
  EXPECT_TRUE(h.complete(h.callback_for(*redirect)).ok());
}

TEST(RelyingPartyTest, Attacks078NoCodesTokensOrSecretsInLogs) {
  ::testing::internal::CaptureStderr();
  std::vector<std::string> secrets = {kCode, kAccessToken, testing::kIdpClientSecret};
  {
    RpHarness post([](ProviderConfig& c) { c.auth_method = ClientAuthMethod::kClientSecretPost; });
    ASSERT_TRUE(post.login().ok());
    // A refused ID token and a refused exchange log their reasons, not their inputs.
    post.set_forge([](nlohmann::json c) {
      c["aud"] = "another-client";
      return sign_token(testing::idp_rsa_key(), c);
    });
    ASSERT_FALSE(post.login().ok());
    auto redirect = post.begin();
    ASSERT_TRUE(redirect.ok());
    auto cb = post.callback_for(*redirect);
    cb.code = "wrong-code-secret-value";
    secrets.push_back(*cb.code);
    ASSERT_FALSE(post.complete(cb).ok());
    const auto client_key = crypto::SigningKey::generate(crypto::JwsAlgorithm::kES256).value();
    RpHarness pkjwt([&](ProviderConfig& c) {
      c.auth_method = ClientAuthMethod::kPrivateKeyJwt;
      c.client_secret.clear();
      c.assertion_key = client_key;
    });
    ASSERT_TRUE(pkjwt.login().ok());
    const auto form = url_query("?" + pkjwt.idp.last_token_call().body);
    secrets.push_back(form["client_assertion"].get<std::string>());
    secrets.push_back(form["code_verifier"].get<std::string>());
    secrets.push_back(
        sign_token(testing::idp_rsa_key(), testing::good_claims(pkjwt.idp.issuer(), "n"))
            .substr(0, 20));  // the JOSE header every ID token starts with
  }
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logs.find("sso_sign_in_refused"), std::string::npos) << "logging happened";
  for (const auto& secret : secrets) {
    ASSERT_GE(secret.size(), 8U);
    EXPECT_EQ(logs.find(secret), std::string::npos) << "in the logs: " << secret.substr(0, 6);
  }
}

}  // namespace
}  // namespace mcpgate::identity
