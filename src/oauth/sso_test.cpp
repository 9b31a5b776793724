// SSO pieces of the authorization server: the settings' checks (including the test switch's
// refusal for non-loopback issuers), secrets, the directory's home-realm discovery, account
// mapping by (org, iss, sub) with just-in-time users on a real SQLite store, the login page,
// and the /sso routes' refusals.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "crypto/jwk.hpp"
#include "oauth/login_pages.hpp"
#include "oauth/sso_accounts.hpp"
#include "oauth/sso_directory.hpp"
#include "oauth/sso_options.hpp"
#include "oauth/test_support.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::oauth {
namespace {

SsoOrganization sso_test_org(std::string id = "acme", std::string issuer = "https://idp.acme.example") {
  SsoOrganization o;
  o.org_id = std::move(id);
  o.org_name = "Acme";
  o.domains = {"acme.example"};
  o.sso.issuer = std::move(issuer);
  o.sso.client_id = "gate";
  o.sso.client_secret_env = "MCPGATE_SSO_TEST_SECRET";
  return o;
}

std::vector<std::string> sso_problems(const std::vector<SsoOrganization>& orgs) {
  std::vector<std::string> out;
  validate_sso_organizations(orgs, out);
  return out;
}

bool sso_mentions(const std::vector<std::string>& problems, std::string_view text) {
  for (const auto& p : problems) {
    if (p.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(SsoOptionsTest, AGoodConfigurationHasNoProblems) {
  EXPECT_TRUE(sso_problems({sso_test_org()}).empty());
}

TEST(SsoOptionsTest, InsecureLoopbackSwitchIsRefusedForAnyNonLoopbackIssuer) {
  for (const char* issuer : {"https://idp.acme.example", "http://idp.acme.example",
                             "http://10.0.0.5:8080", "http://127.0.0.1.nip.io", "http://localhost.evil.example",
                             "http://[::2]:80"}) {
    SsoOrganization o = sso_test_org("acme", issuer);
    o.sso.allow_insecure_loopback = true;
    const auto problems = sso_problems({o});
    EXPECT_TRUE(sso_mentions(problems, "allow_insecure_loopback is only allowed")) << issuer;
    // And the provider configuration is never built with it.
    ::setenv("MCPGATE_SSO_TEST_SECRET", "secret-value", 1);
    EXPECT_FALSE(make_provider_config(o, "https://gate.example/sso/callback").ok()) << issuer;
  }
}

TEST(SsoOptionsTest, InsecureLoopbackSwitchAllowsHttpOnlyOnLoopback) {
  ::setenv("MCPGATE_SSO_TEST_SECRET", "secret-value", 1);
  for (const char* issuer : {"http://127.0.0.1:4030", "http://localhost:4030", "http://[::1]:4030"}) {
    SsoOrganization o = sso_test_org("acme", issuer);
    EXPECT_TRUE(sso_mentions(sso_problems({o}), "must be https")) << issuer << " without the switch";
    o.sso.allow_insecure_loopback = true;
    EXPECT_TRUE(sso_problems({o}).empty()) << issuer;
    auto config = make_provider_config(o, "http://127.0.0.1:8080/sso/callback");
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_TRUE(config->allow_loopback_http);
    EXPECT_EQ(config->address_policy, http::AddressPolicy::kAllowLoopback);
  }
  // Without the switch a loopback http issuer is refused by the provider checks too.
  EXPECT_FALSE(make_provider_config(sso_test_org("acme", "http://127.0.0.1:4030"),
                                    "http://127.0.0.1:8080/sso/callback")
                   .ok());
}

TEST(SsoOptionsTest, EachMistakeIsReported) {
  SsoOrganization o = sso_test_org();
  o.sso.client_id.clear();
  o.sso.client_secret_env.clear();
  o.sso.algorithms = {"none", "HS256", "RS256"};
  o.sso.claims.groups = "a..b";
  o.sso.token_endpoint_auth_method = "client_secret_jwt";
  o.sso.jwks_refetch_interval_s = 0;
  o.domains = {"Acme.Example", "localhost", "-bad.example", "ok.example"};
  const auto p = sso_problems({o});
  EXPECT_TRUE(sso_mentions(p, "client_id is required"));
  EXPECT_TRUE(sso_mentions(p, "\"none\" is not accepted"));
  EXPECT_TRUE(sso_mentions(p, "\"HS256\" is not accepted"));
  EXPECT_FALSE(sso_mentions(p, "\"RS256\""));
  EXPECT_TRUE(sso_mentions(p, ".claims"));
  EXPECT_TRUE(sso_mentions(p, "token_endpoint_auth_method must be"));
  EXPECT_TRUE(sso_mentions(p, "jwks_refetch_interval_s must be in 1..3600"));
  EXPECT_TRUE(sso_mentions(p, "\"Acme.Example\" is not a lower-case domain"));
  EXPECT_TRUE(sso_mentions(p, "\"localhost\" is not"));
  EXPECT_TRUE(sso_mentions(p, "\"-bad.example\" is not"));
  EXPECT_FALSE(sso_mentions(p, "ok.example"));
}

TEST(SsoOptionsTest, SecretSourcesAreExactlyOneAndDomainsBelongToOneOrganization) {
  SsoOrganization both = sso_test_org();
  both.sso.client_secret_file = "/run/secret";
  EXPECT_TRUE(sso_mentions(sso_problems({both}), "exactly one of client_secret_file"));
  SsoOrganization other = sso_test_org("other");
  EXPECT_TRUE(sso_mentions(sso_problems({sso_test_org(), other}), "belongs to two organizations"));
  EXPECT_TRUE(sso_mentions(sso_problems({sso_test_org(), sso_test_org()}), "configured twice"));
  SsoOrganization key_jwt = sso_test_org();
  key_jwt.sso.client_secret_env.clear();
  key_jwt.sso.token_endpoint_auth_method = "private_key_jwt";
  EXPECT_TRUE(sso_mentions(sso_problems({key_jwt}), "needs private_key_file"));
}

TEST(SsoOptionsTest, SecretsAndKeysAreReadAndNeverQuoted) {
  ::unsetenv("MCPGATE_SSO_TEST_SECRET");
  auto missing = make_provider_config(sso_test_org(), "https://gate.example/sso/callback");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("client_secret_env"), std::string::npos);

  ::setenv("MCPGATE_SSO_TEST_SECRET", "top-secret-value", 1);
  SsoOrganization post = sso_test_org();
  post.sso.token_endpoint_auth_method = "client_secret_post";
  auto config = make_provider_config(post, "https://gate.example/sso/callback");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->client_secret, "top-secret-value");
  EXPECT_EQ(config->auth_method, identity::ClientAuthMethod::kClientSecretPost);
  EXPECT_EQ(config->redirect_uri, "https://gate.example/sso/callback");

  const auto dir = std::filesystem::temp_directory_path() / ("mcpgate-sso-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto key_path = (dir / "key.pem").string();
  {
    std::ofstream f(key_path);
    f << crypto::SigningKey::generate(crypto::JwsAlgorithm::kES256).value().to_pem().value();
  }
  SsoOrganization key_jwt = sso_test_org();
  key_jwt.sso.client_secret_env.clear();
  key_jwt.sso.private_key_file = key_path;
  key_jwt.sso.private_key_alg = "ES256";
  auto with_key = make_provider_config(key_jwt, "https://gate.example/sso/callback");
  ASSERT_TRUE(with_key.ok()) << with_key.error().message;
  EXPECT_EQ(with_key->auth_method, identity::ClientAuthMethod::kPrivateKeyJwt);
  ASSERT_TRUE(with_key->assertion_key.has_value());
  key_jwt.sso.private_key_alg = "RS256";  // an EC key is not an RSA key
  auto wrong = make_provider_config(key_jwt, "https://gate.example/sso/callback");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message.find("BEGIN"), std::string::npos);
  {
    std::ofstream f(key_path);
    f << std::string(70 * 1024, 'A');
  }
  EXPECT_FALSE(make_provider_config(key_jwt, "https://gate.example/sso/callback").ok());
  std::filesystem::remove_all(dir);
}

TEST(SsoDirectoryTest, HomeRealmDiscoveryMatchesTheExactDomainOnly) {
  ::setenv("MCPGATE_SSO_TEST_SECRET", "secret-value", 1);
  SsoOrganization globex = sso_test_org("globex", "https://idp.globex.example");
  globex.domains = {"globex.example", "globex.co.uk"};
  globex.sso.display_name = "Globex <Okta>";
  auto dir = SsoDirectory::create({sso_test_org(), globex}, "https://gate.example/sso/callback");
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  const SsoDirectory& d = **dir;
  ASSERT_NE(d.for_identifier("carol@acme.example"), nullptr);
  EXPECT_EQ(d.for_identifier("carol@acme.example")->org_id, "acme");
  EXPECT_EQ(d.for_identifier("Carol@ACME.Example")->org_id, "acme");
  EXPECT_EQ(d.for_identifier("x@y@globex.co.uk")->org_id, "globex");
  EXPECT_EQ(d.for_identifier("carol@sub.acme.example"), nullptr);
  EXPECT_EQ(d.for_identifier("carol@example"), nullptr);
  EXPECT_EQ(d.for_identifier("acme.example"), nullptr);
  EXPECT_EQ(d.for_identifier("carol@"), nullptr);
  EXPECT_EQ(d.for_identifier(""), nullptr);
  EXPECT_EQ(d.find("globex")->display_name, "Globex <Okta>");
  EXPECT_EQ(d.find("acme")->display_name, "Acme");  // the organization's name by default
  EXPECT_EQ(d.find("nope"), nullptr);
}

class SsoAccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions so;
    so.path = ":memory:";
    auto key = crypto::MasterKey::from_bytes(std::string(32, '\x42'));
    store_ = store::open_sqlite_store(so, *key).value();
    for (const char* id : {"acme", "other"}) {
      ASSERT_TRUE(store_->upsert_organization(store::Organization{id, id, nlohmann::json::object(), 1}).ok());
    }
  }

  identity::Identity person(const std::string& sub, const std::string& username,
                            const std::string& email) {
    identity::Identity i;
    i.issuer = "https://idp.acme.example";
    i.subject = sub;
    i.email = email;
    i.email_verified = true;
    i.groups = {"eng"};
    i.claims = {{"iss", i.issuer}, {"sub", sub}, {"preferred_username", username}, {"email", email}};
    return i;
  }

  std::unique_ptr<store::Store> store_;
};

TEST_F(SsoAccountsTest, JitCreatesOnceAndTheSameSubjectSignsInAsTheSameUser) {
  const SsoAccountPolicy policy{"acme", true, "preferred_username"};
  auto first = resolve_sso_account(*store_, policy, person("s1", "carol", "carol@acme.example"), 100);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->user.username, "carol");
  EXPECT_TRUE(first->user.password_hash.empty());
  EXPECT_EQ(first->user.org_id, "acme");
  // Renamed and re-addressed at the IdP: still the same account.
  auto again = resolve_sso_account(*store_, policy, person("s1", "caroline", "c@acme.example"), 200);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->user.id, first->user.id);
  EXPECT_EQ(store_->find_sso_identity("acme", "https://idp.acme.example", "s1")->email, "c@acme.example");
}

TEST_F(SsoAccountsTest, NeverLinkedByEmailOrUsername) {
  store::User local;
  local.id = "usr_local_alice";
  local.username = "alice";
  local.password_hash = "x";
  local.org_id = "acme";
  ASSERT_TRUE(store_->create_user(local).ok());
  const SsoAccountPolicy policy{"acme", true, "preferred_username"};
  auto sso = resolve_sso_account(*store_, policy, person("s-alice", "alice", "alice@acme.example"), 100);
  ASSERT_TRUE(sso.ok());
  EXPECT_NE(sso->user.id, local.id);
  EXPECT_EQ(sso->user.username, "alice-2");
  // A second person claiming the same email and name is a third user.
  auto other = resolve_sso_account(*store_, policy, person("s-other", "alice", "alice@acme.example"), 100);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->user.id, sso->user.id);
  EXPECT_EQ(other->user.username, "alice-3");
}

TEST_F(SsoAccountsTest, WithoutJitAnUnknownSubjectIsRefusedAndNothingIsCreated) {
  const SsoAccountPolicy policy{"acme", false, "preferred_username"};
  auto r = resolve_sso_account(*store_, policy, person("s1", "carol", "carol@acme.example"), 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.error().message, "no account");
  EXPECT_EQ(store_->find_user_by_username("acme", "carol").error().code, ErrorCode::kNotFound);
}

TEST_F(SsoAccountsTest, ADisabledUserIsRefusedAndOrganizationsAreSeparate) {
  const SsoAccountPolicy acme{"acme", true, "preferred_username"};
  auto a = resolve_sso_account(*store_, acme, person("s1", "carol", "carol@acme.example"), 100);
  ASSERT_TRUE(a.ok());
  const SsoAccountPolicy other{"other", true, "preferred_username"};
  auto b = resolve_sso_account(*store_, other, person("s1", "carol", "carol@acme.example"), 100);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->user.id, b->user.id);
  ASSERT_TRUE(store_->set_user_disabled(a->user.id, true).ok());
  auto refused = resolve_sso_account(*store_, acme, person("s1", "carol", "carol@acme.example"), 100);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "disabled");
}

TEST(SsoUsernameTest, HostileClaimsBecomeSafeUsernames) {
  identity::Identity i;
  i.claims = {{"preferred_username", "  evil\r\nname\t@corp  "}};
  EXPECT_EQ(jit_username_base(i, "preferred_username"), "evil-name-corp");
  i.claims = {{"preferred_username", 42}};
  i.email = "bob.smith@acme.example";
  EXPECT_EQ(jit_username_base(i, "preferred_username"), "bob.smith");
  i.email.clear();
  EXPECT_EQ(jit_username_base(i, "preferred_username"), "user");
  i.claims = {{"preferred_username", std::string(63, 'a') + "\xc3\xa9" + "zzz"}};
  const std::string cut = jit_username_base(i, "preferred_username");
  EXPECT_EQ(cut, std::string(63, 'a'));  // not half of the two-byte é
  i.claims = {{"nested", {{"login", "n"}}}};
  EXPECT_EQ(jit_username_base(i, "nested.login"), "n");
  const auto names = jit_username_candidates("carol");
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "carol");
  EXPECT_EQ(names[1], "carol-2");
  EXPECT_EQ(names[8], "carol-9");
  EXPECT_EQ(names[9].rfind("carol-", 0), 0u);
}

TEST(SsoLoginPageTest, ShowsOneEscapedChoicePerOrganizationAndMakesThePasswordOptional) {
  LoginPage page;
  page.action = "/login";
  page.sso = {{"Acme <b>IdP</b>", "/sso/start?flow=f&org=acme"}};
  const std::string html = render_login_page(page);
  EXPECT_NE(html.find("Continue with Acme &lt;b&gt;IdP&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("href=\"/sso/start?flow=f&amp;org=acme\""), std::string::npos);
  EXPECT_EQ(html.find("autocomplete=\"current-password\" required"), std::string::npos);
  page.sso.clear();
  EXPECT_NE(render_login_page(page).find("autocomplete=\"current-password\" required"), std::string::npos);
}

// The routes, on a real AuthorizationServer whose IdP does not answer (nothing listens on
// 127.0.0.1:9): every refusal here happens before or instead of any IdP traffic.
class SsoRoutesTest : public ::testing::Test {
 protected:
  static testing::Harness::Setup setup() {
    ::setenv("MCPGATE_SSO_TEST_SECRET", "secret-value", 1);
    testing::Harness::Setup s;
    SsoOrganization org = sso_test_org("acme", "http://127.0.0.1:9");
    org.sso.allow_insecure_loopback = true;
    org.sso.display_name = "Acme IdP";
    s.options.sso = {org};
    s.options.limits.sso_starts_per_minute = 3;
    return s;
  }

  std::string login_page_flow(testing::Browser& b) {
    auto page = b.get("/authorize?response_type=code&client_id=public-app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
                      "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
                      "&scope=calendar%3Aread&state=s");
    EXPECT_EQ(page->status(), 200u);
    EXPECT_NE(page->body().find("Continue with Acme IdP"), std::string::npos);
    // The CSP lets the login form's home-realm redirect reach the IdP.
    EXPECT_NE(page->header("Content-Security-Policy").find("form-action 'self' http://127.0.0.1:9"),
              std::string::npos);
    return testing::form_field(page->body(), "flow");
  }

  testing::Harness h{setup()};
};

TEST_F(SsoRoutesTest, StartNeedsTheFlowOfThisBrowserAndAKnownOrganization) {
  testing::Browser alice(h);
  const std::string flow = login_page_flow(alice);
  EXPECT_EQ(alice.get("/sso/start?flow=" + flow + "&org=nope")->status(), 400u);
  EXPECT_EQ(alice.get("/sso/start?flow=unknown&org=acme")->status(), 400u);
  EXPECT_EQ(alice.get("/sso/start?flow=" + flow)->status(), 400u);
  EXPECT_EQ(alice.get("/sso/start?flow=" + flow + "&flow=" + flow + "&org=acme")->status(), 400u);
  testing::Browser mallory(h);
  EXPECT_EQ(mallory.get("/sso/start?flow=" + flow + "&org=acme")->status(), 400u);
  auto post = alice.post("/sso/start", {{"flow", flow}, {"org", "acme"}});
  EXPECT_EQ(post->status(), 405u);
  // The IdP is down: a page, not a redirect.
  auto down = alice.get("/sso/start?flow=" + flow + "&org=acme");
  EXPECT_EQ(down->status(), 502u);
  EXPECT_TRUE(down->header("Location").empty());
}

TEST_F(SsoRoutesTest, StartIsRateLimitedPerClientIp) {
  testing::Browser b(h);
  const std::string flow = login_page_flow(b);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(b.get("/sso/start?flow=" + flow + "&org=acme")->status(), 502u) << i;
  }
  auto limited = b.get("/sso/start?flow=" + flow + "&org=acme");
  EXPECT_EQ(limited->status(), 429u);
  EXPECT_FALSE(limited->header("Retry-After").empty());
  // Home-realm discovery goes through the same limit.
  auto page = b.get("/login?flow=" + flow);
  auto hrd = b.login(*page, "carol@acme.example", "");
  EXPECT_EQ(hrd->status(), 429u);
  h.advance(60);
  EXPECT_EQ(b.get("/sso/start?flow=" + flow + "&org=acme")->status(), 502u);
}

TEST_F(SsoRoutesTest, CallbackRefusesMissingUnknownAndMalformedState) {
  testing::Browser b(h);
  for (const char* target :
       {"/sso/callback", "/sso/callback?code=c", "/sso/callback?state=&code=c",
        "/sso/callback?state=unknown&code=c", "/sso/callback?state=a&state=b&code=c",
        "/sso/callback?state=%zz&code=c", "/sso/callback?error=access_denied&state=nope"}) {
    auto res = b.get(target);
    EXPECT_EQ(res->status(), 400u) << target;
    EXPECT_TRUE(res->header("Location").empty()) << target;
  }
  auto big = b.get("/sso/callback?state=" + std::string(20000, 'a') + "&code=c");
  EXPECT_EQ(big->status(), 400u);
}

TEST_F(SsoRoutesTest, PasswordSignInStillWorksBesideSso) {
  testing::Browser b(h);
  auto res = b.authorize("/authorize?response_type=code&client_id=public-app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
                         "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
                         "&scope=calendar%3Aread&state=s");
  EXPECT_EQ(res->status(), 303u);
  EXPECT_NE(res->header("Location").find("code="), std::string::npos);
}

}  // namespace
}  // namespace mcpgate::oauth
