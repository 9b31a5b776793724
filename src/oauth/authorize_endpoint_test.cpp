// /authorize, login, consent and logout (ATTACKS rows 1-16, 57, 60, 61).

#include <gtest/gtest.h>

#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::Browser;
using testing::Call;
using testing::FakeExchange;
using testing::Harness;
using testing::authorize_code;
using testing::authorize_target;
using testing::form_field;
using testing::kAlicePassword;
using testing::kTestIssuer;
using testing::kTestResource;
using testing::new_pkce;
using testing::query_count;
using testing::query_param;

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs base_params(const std::string& client_id = "public-app",
                  const std::string& redirect_uri = "https://app.example.com/cb") {
  static const testing::Pkce pkce = new_pkce();
  return {{"response_type", "code"},
          {"client_id", client_id},
          {"redirect_uri", redirect_uri},
          {"scope", "calendar:read"},
          {"state", "st-123"},
          {"code_challenge", pkce.challenge},
          {"code_challenge_method", "S256"},
          {"resource", kTestResource}};
}

Pairs with(Pairs params, const std::string& name, const std::string& value) {
  bool replaced = false;
  for (auto& [k, v] : params) {
    if (k == name) {
      v = value;
      replaced = true;
    }
  }
  if (!replaced) {
    params.emplace_back(name, value);
  }
  return params;
}

Pairs without(Pairs params, const std::string& name) {
  params.erase(std::remove_if(params.begin(), params.end(), [&](const auto& kv) { return kv.first == name; }),
               params.end());
  return params;
}

void expect_page_headers(const FakeExchange& ex) {
  EXPECT_EQ(ex.header("X-Frame-Options"), "DENY");
  const std::string csp = ex.header("Content-Security-Policy");
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("form-action 'self'"), std::string::npos) << csp;
  EXPECT_EQ(ex.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(ex.header("Cache-Control"), "no-store");
  EXPECT_FALSE(ex.has_header("Access-Control-Allow-Origin"));
}

void expect_error_page(const FakeExchange& ex) {
  EXPECT_EQ(ex.status(), 400u) << ex.body();
  EXPECT_FALSE(ex.has_header("Location"));
  expect_page_headers(ex);
}

// An error redirect to `redirect_uri` with `error`, the request's state and iss.
void expect_error_redirect(const FakeExchange& ex, const std::string& error,
                           const std::string& redirect_uri = "https://app.example.com/cb") {
  ASSERT_EQ(ex.status(), 302u) << ex.body();
  const std::string location = ex.header("Location");
  EXPECT_EQ(location.rfind(redirect_uri + "?", 0), 0u) << location;
  EXPECT_EQ(query_param(location, "error"), error) << location;
  EXPECT_EQ(query_param(location, "state"), "st-123");
  EXPECT_EQ(query_param(location, "iss"), kTestIssuer);
  EXPECT_EQ(query_count(location, "code"), 0u);
}

class AuthorizeTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeExchange> get(const Pairs& params) {
    Call c;
    c.target = authorize_target(params);
    return h.call(c);
  }
  Harness h;
};

TEST_F(AuthorizeTest, FullCodeFlowWithPkceLoginAndConsent) {
  Browser b(h);
  auto page = b.get(authorize_target(base_params()));
  ASSERT_EQ(page->status(), 200u);
  expect_page_headers(*page);
  EXPECT_NE(page->body().find("name=\"username\""), std::string::npos);
  EXPECT_NE(page->body().find("name=\"password\""), std::string::npos);
  EXPECT_FALSE(form_field(page->body(), "csrf").empty());
  EXPECT_FALSE(form_field(page->body(), "flow").empty());
  const std::string set_cookie = page->header("Set-Cookie");
  EXPECT_EQ(set_cookie.rfind("mcpgate_session=", 0), 0u) << set_cookie;  // http issuer: no __Host-
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);

  const std::string cookie_before = b.cookie();
  auto after_login = b.login(*page, "alice", kAlicePassword);
  ASSERT_EQ(after_login->status(), 303u);
  EXPECT_EQ(after_login->header("Location").rfind("/consent?flow=", 0), 0u);
  EXPECT_NE(b.cookie(), cookie_before) << "the session cookie is replaced at sign-in";

  auto consent = b.get(after_login->header("Location"));
  ASSERT_EQ(consent->status(), 200u);
  expect_page_headers(*consent);
  EXPECT_NE(consent->header("Content-Security-Policy").find("form-action 'self' https://app.example.com"),
            std::string::npos);
  EXPECT_NE(consent->body().find("<button type=\"submit\" name=\"decision\" value=\"approve\""), std::string::npos);
  EXPECT_NE(consent->body().find("name=\"decision\" value=\"deny\""), std::string::npos);
  EXPECT_NE(consent->body().find("Public App"), std::string::npos);
  EXPECT_NE(consent->body().find("list_events"), std::string::npos);
  EXPECT_NE(consent->body().find("app.example.com"), std::string::npos);
  EXPECT_NE(consent->body().find(kTestResource), std::string::npos);

  auto done = b.decide(*consent, "approve");
  ASSERT_EQ(done->status(), 303u);
  const std::string location = done->header("Location");
  EXPECT_EQ(location.rfind("https://app.example.com/cb?", 0), 0u) << location;
  EXPECT_EQ(query_count(location, "code"), 1u);
  EXPECT_EQ(query_param(location, "state"), "st-123");
  EXPECT_EQ(query_param(location, "iss"), kTestIssuer);
  EXPECT_EQ(query_param(location, "code").size(), 43u);
}

TEST_F(AuthorizeTest, StoredConsentSkipsTheConsentPage) {
  Browser b(h);
  auto first = authorize_code(h, b, "public-app", "https://app.example.com/cb", "calendar:write");
  ASSERT_FALSE(first.code.empty());
  // Same browser, narrower scope (implied by the consented one): straight back with a code.
  auto again = b.get(authorize_target(with(base_params(), "scope", "calendar:read")));
  ASSERT_EQ(again->status(), 302u) << again->body();
  EXPECT_EQ(query_count(again->header("Location"), "code"), 1u);
  // prompt=consent asks again.
  auto forced = b.get(authorize_target(with(base_params(), "prompt", "consent")));
  ASSERT_EQ(forced->status(), 200u);
  EXPECT_NE(forced->body().find("name=\"decision\""), std::string::npos);
  // A wider scope asks again.
  auto wider = b.get(authorize_target(with(base_params(), "scope", "mail:read")));
  ASSERT_EQ(wider->status(), 200u);
  EXPECT_NE(wider->body().find("name=\"decision\""), std::string::npos);
}

TEST_F(AuthorizeTest, Attacks001UnknownOrMissingClientIsErrorPageNotRedirect) {
  expect_error_page(*get(with(base_params(), "client_id", "nope")));
  expect_error_page(*get(without(base_params(), "client_id")));
  expect_error_page(*get(with(base_params(), "client_id", "")));
  auto repeated = base_params();
  repeated.emplace_back("client_id", "ops-dashboard");
  expect_error_page(*get(repeated));
}

TEST_F(AuthorizeTest, Attacks002UnregisteredRedirectUrisAreErrorPages) {
  for (const char* bad : {"https://evil.example.com/cb", "https://APP.example.com/cb",
                          "https://app.example.com/cb/", "https://app.example.com/cb?x=1",
                          "https://app.example.com/cb#frag", "https://app.example.com@evil.com/cb",
                          "https://good@app.example.com/cb", "https://app.example.com/c%62",
                          "https://app.example.com/cb/../evil", "https://app.example.com/cb/x",
                          "http://app.example.com/cb", "https://app.example.com:8443/cb"}) {
    auto ex = get(with(base_params(), "redirect_uri", bad));
    expect_error_page(*ex);
  }
  // Two redirect_uri parameters: refused before anything is trusted.
  auto twice = base_params();
  twice.emplace_back("redirect_uri", "https://evil.example.com/cb");
  expect_error_page(*get(twice));
  // Missing with several registered: a page too.
  expect_error_page(*get(without(base_params(), "redirect_uri")));
  // Missing with exactly one registered: never defaulted either.
  expect_error_page(*get(with(without(base_params(), "redirect_uri"), "client_id", "ops-dashboard")));
}

TEST_F(AuthorizeTest, Attacks003LoopbackRedirectsAnyPort) {
  for (const char* ok : {"http://127.0.0.1:53682/cb", "http://[::1]:1234/cb", "http://localhost:8976/cb",
                         "http://127.0.0.1/cb"}) {
    auto ex = get(with(base_params(), "redirect_uri", ok));
    EXPECT_EQ(ex->status(), 200u) << ok << ": " << ex->body();
  }
  for (const char* bad : {"http://127.0.0.1:53682/cb/x", "http://127.0.0.2:53682/cb",
                          "http://evil:53682/cb", "https://127.0.0.1:53682/cb",
                          "http://localhost.evil.com:53682/cb"}) {
    expect_error_page(*get(with(base_params(), "redirect_uri", bad)));
  }
}

TEST_F(AuthorizeTest, Attacks004PkceIsRequiredS256AndWellFormed) {
  expect_error_redirect(*get(without(base_params(), "code_challenge")), "invalid_request");
  expect_error_redirect(*get(with(base_params(), "code_challenge_method", "plain")), "invalid_request");
  expect_error_redirect(*get(without(base_params(), "code_challenge_method")), "invalid_request");
  expect_error_redirect(*get(with(base_params(), "code_challenge_method", "S512")), "invalid_request");
  expect_error_redirect(*get(with(base_params(), "code_challenge", std::string(42, 'a'))), "invalid_request");
  expect_error_redirect(*get(with(base_params(), "code_challenge", std::string(129, 'a'))), "invalid_request");
  expect_error_redirect(*get(with(base_params(), "code_challenge", std::string(42, 'a') + "!")),
                        "invalid_request");
}

TEST_F(AuthorizeTest, Attacks005OnlyResponseTypeCode) {
  expect_error_redirect(*get(with(base_params(), "response_type", "token")), "unsupported_response_type");
  expect_error_redirect(*get(with(base_params(), "response_type", "id_token token")),
                        "unsupported_response_type");
  expect_error_redirect(*get(with(base_params(), "response_type", "magic")), "unsupported_response_type");
  expect_error_redirect(*get(without(base_params(), "response_type")), "invalid_request");
}

TEST_F(AuthorizeTest, Attacks006InvalidScopeRedirectsWithIssAndState) {
  expect_error_redirect(*get(with(base_params(), "scope", "calendar:read admin")), "invalid_scope");
  expect_error_redirect(*get(with(base_params(), "resource", "https://other.example.com/mcp")),
                        "invalid_target");
}

TEST_F(AuthorizeTest, Attacks007BadResourcesAreInvalidTarget) {
  for (const char* bad : {"/mcp", "mcp", "http://127.0.0.1:8080/mcp#x", "not a uri",
                          "http://127.0.0.1:8080/other", "urn:x:y"}) {
    expect_error_redirect(*get(with(base_params(), "resource", bad)), "invalid_target");
  }
  auto conflicting = base_params();
  conflicting.emplace_back("resource", "http://127.0.0.1:8080/other");
  expect_error_redirect(*get(conflicting), "invalid_target");
  // Repeated, even with the same value: refused (a token has exactly one audience).
  auto same = base_params();
  same.emplace_back("resource", kTestResource);
  expect_error_redirect(*get(same), "invalid_target");
}

TEST_F(AuthorizeTest, Attacks008ResourceCanonicalizationAndDefault) {
  for (const char* ok : {"HTTP://127.0.0.1:8080/mcp", "http://127.0.0.1:8080/mcp/"}) {
    EXPECT_EQ(get(with(base_params(), "resource", ok))->status(), 200u) << ok;
  }
  // One configured resource: it is the default.
  EXPECT_EQ(get(without(base_params(), "resource"))->status(), 200u);
}

TEST_F(AuthorizeTest, MissingResourceWithSeveralConfiguredIsInvalidRequest) {
  Harness::Setup setup;
  setup.options.resources = {kTestResource, "https://other.example.com/mcp"};
  Harness two(setup);
  Call c;
  c.target = authorize_target(without(base_params(), "resource"));
  expect_error_redirect(*two.call(c), "invalid_request");
}

TEST_F(AuthorizeTest, Attacks009PromptNoneNeverGrantsSilently) {
  expect_error_redirect(*get(with(base_params(), "prompt", "none")), "login_required");
  Browser b(h);
  // Signed in, but no consent for this client yet.
  auto page = b.get(authorize_target(with(base_params(), "scope", "mail:read")));
  b.login(*page, "alice", kAlicePassword);
  auto none = b.get(authorize_target(with(base_params(), "prompt", "none")));
  expect_error_redirect(*none, "consent_required");
  // After consent, prompt=none returns a code.
  auto got = authorize_code(h, b, "public-app", "https://app.example.com/cb");
  ASSERT_FALSE(got.code.empty());
  auto silent = b.get(authorize_target(with(base_params(), "prompt", "none")));
  ASSERT_EQ(silent->status(), 302u);
  EXPECT_EQ(query_count(silent->header("Location"), "code"), 1u);
}

TEST_F(AuthorizeTest, Attacks011OversizedParametersAreRejected) {
  auto ex = get(with(base_params(), "state", std::string(100 * 1024, 'a')));
  expect_error_page(*ex);
  Call post = testing::form_post("/authorize", with(base_params(), "scope", std::string(100 * 1024, 'a')));
  expect_error_page(*h.call(post));
}

TEST_F(AuthorizeTest, Attacks012PostNeedsFormContentType) {
  Call c;
  c.method = http::bhttp::verb::post;
  c.target = "/authorize";
  c.headers = {{"Content-Type", "application/json"}};
  c.body = "{}";
  auto ex = h.call(c);
  EXPECT_EQ(ex->status(), 415u);
  EXPECT_FALSE(ex->has_header("Location"));
  // A proper form POST works and answers with 303 redirects.
  auto ok = h.call(testing::form_post("/authorize", with(base_params(), "scope", "nope")));
  EXPECT_EQ(ok->status(), 303u);
  EXPECT_EQ(query_param(ok->header("Location"), "error"), "invalid_scope");
  // Login and consent POSTs too.
  Call login = testing::form_post("/login", {{"flow", "x"}});
  login.headers = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(h.call(login)->status(), 415u);
}

TEST_F(AuthorizeTest, Attacks014NoCorsAndNoFraming) {
  Call c;
  c.target = authorize_target(base_params());
  c.headers = {{"Origin", "https://evil.example.com"}};
  auto ex = h.call(c);
  EXPECT_EQ(ex->status(), 200u);
  expect_page_headers(*ex);
  Call pre;
  pre.method = http::bhttp::verb::options;
  pre.target = "/authorize";
  pre.headers = {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}};
  auto preflight = h.call(pre);
  EXPECT_NE(preflight->status(), 204u);
  EXPECT_FALSE(preflight->has_header("Access-Control-Allow-Origin"));
}

TEST_F(AuthorizeTest, Attacks015ConsentNeedsTheFlowsCsrfAndBrowserAndIsSingleUse) {
  Browser b(h);
  auto page = b.get(authorize_target(base_params()));
  auto after_login = b.login(*page, "alice", kAlicePassword);
  auto consent = b.get(after_login->header("Location"));
  const std::string flow = form_field(consent->body(), "flow");
  const std::string csrf = form_field(consent->body(), "csrf");

  // Another browser (no cookie / another session) cannot use the form.
  Browser attacker(h);
  auto forged = attacker.post("/consent", {{"flow", flow}, {"csrf", csrf}, {"decision", "approve"}});
  EXPECT_EQ(forged->status(), 400u);
  EXPECT_FALSE(forged->has_header("Location"));

  // A wrong CSRF token kills the request.
  Browser b2(h);
  auto page2 = b2.get(authorize_target(base_params()));
  auto login2 = b2.login(*page2, "alice", kAlicePassword);
  auto consent2 = b2.get(login2->header("Location"));
  auto bad = b2.post("/consent", {{"flow", form_field(consent2->body(), "flow")},
                                  {"csrf", "wrong"},
                                  {"decision", "approve"}});
  EXPECT_EQ(bad->status(), 400u);
  EXPECT_EQ(b2.decide(*consent2, "approve")->status(), 400u);

  // The real browser's decision works once; replaying the same form does not.
  auto ok = b.decide(*consent, "approve");
  EXPECT_EQ(ok->status(), 303u);
  auto replay = b.decide(*consent, "approve");
  EXPECT_EQ(replay->status(), 400u);
  EXPECT_FALSE(replay->has_header("Location"));

  // A cross-site Origin is refused outright.
  auto page3 = b.get(authorize_target(with(base_params(), "prompt", "consent")));
  auto cross = b.post("/consent",
                      {{"flow", form_field(page3->body(), "flow")},
                       {"csrf", form_field(page3->body(), "csrf")},
                       {"decision", "approve"}},
                      {{"Origin", "https://evil.example.com"}});
  EXPECT_EQ(cross->status(), 403u);
}

TEST_F(AuthorizeTest, Attacks015LoginCsrfIsBoundToTheBrowser) {
  Browser victim(h);
  Browser attacker(h);
  auto page = attacker.get(authorize_target(base_params()));
  // The attacker's form, submitted from the victim's browser (other cookie): refused.
  auto forged = victim.post("/login", {{"flow", form_field(page->body(), "flow")},
                                       {"csrf", form_field(page->body(), "csrf")},
                                       {"username", "alice"},
                                       {"password", kAlicePassword}});
  EXPECT_EQ(forged->status(), 400u);
  EXPECT_TRUE(victim.cookie().empty());
}

TEST_F(AuthorizeTest, Attacks016PostsAnswer303) {
  Browser b(h);
  auto page = b.get(authorize_target(base_params()));
  auto bad_login = b.login(*page, "alice", "wrong password");
  EXPECT_EQ(bad_login->status(), 303u);
  EXPECT_EQ(bad_login->header("Location").rfind("/login?flow=", 0), 0u);
  auto again = b.get(bad_login->header("Location"));
  EXPECT_NE(again->body().find("Incorrect username or password"), std::string::npos);
  auto good = b.login(*again, "alice", kAlicePassword);
  EXPECT_EQ(good->status(), 303u);
  auto consent = b.get(good->header("Location"));
  auto deny = b.decide(*consent, "deny");
  EXPECT_EQ(deny->status(), 303u);
  auto logout = b.post("/logout", {});
  EXPECT_EQ(logout->status(), 303u);
}

TEST_F(AuthorizeTest, Attacks079FailedSignInsAreRateLimitedPerAddress) {
  Harness::Setup setup;
  setup.options.limits.login_attempts_per_minute = 3;
  Harness limited(setup);
  // Successful sign-ins do not count.
  for (int i = 0; i < 5; ++i) {
    Browser ok(limited);
    auto page = ok.get(authorize_target(base_params()));
    EXPECT_EQ(ok.login(*page, "alice", kAlicePassword)->status(), 303u);
  }
  Browser b(limited);
  auto page = b.get(authorize_target(base_params()));
  for (int i = 0; i < 3; ++i) {
    auto failed = b.login(*page, "alice", "wrong");
    ASSERT_EQ(failed->status(), 303u);
    page = b.get(failed->header("Location"));
  }
  auto blocked = b.login(*page, "alice", kAlicePassword);
  EXPECT_EQ(blocked->status(), 429u);
  EXPECT_FALSE(blocked->header("Retry-After").empty());
  limited.advance(60);
  EXPECT_EQ(b.login(*page, "alice", kAlicePassword)->status(), 303u);
}

TEST_F(AuthorizeTest, UnknownUserAndWrongPasswordLookTheSame) {
  Browser b(h);
  auto page = b.get(authorize_target(base_params()));
  auto wrong = b.login(*page, "alice", "nope");
  auto page2 = b.get(wrong->header("Location"));
  auto unknown = b.login(*page2, "mallory", "nope");
  EXPECT_EQ(wrong->status(), unknown->status());
  EXPECT_EQ(wrong->header("Location"), unknown->header("Location"));
}

TEST_F(AuthorizeTest, DenyRedirectsAccessDeniedWithStateAndIss) {
  Browser b(h);
  auto final = b.authorize(authorize_target(base_params()), "alice", kAlicePassword, "deny");
  ASSERT_EQ(final->status(), 303u);
  const std::string location = final->header("Location");
  EXPECT_EQ(query_param(location, "error"), "access_denied");
  EXPECT_EQ(query_param(location, "state"), "st-123");
  EXPECT_EQ(query_param(location, "iss"), kTestIssuer);
}

TEST_F(AuthorizeTest, LogoutEndsTheSession) {
  Browser b(h);
  auto got = authorize_code(h, b, "public-app", "https://app.example.com/cb");
  ASSERT_FALSE(got.code.empty());
  auto out = b.post("/logout", {});
  EXPECT_EQ(out->status(), 303u);
  EXPECT_NE(out->header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto page = b.get(authorize_target(base_params()));
  EXPECT_NE(page->body().find("name=\"password\""), std::string::npos) << "login asked again";
}

TEST_F(AuthorizeTest, Attacks032LogoutRevokesWhatTheSignInAuthorized) {
  Browser b(h);
  auto got = authorize_code(h, b, "public-app", "https://app.example.com/cb");
  ASSERT_FALSE(got.code.empty());
  auto tokens = h.call(testing::code_exchange(got, "public-app"));
  ASSERT_EQ(tokens->status(), 200u) << tokens->body();
  const std::string refresh_token = tokens->json()["refresh_token"].get<std::string>();
  // A second browser's grant is not this sign-in's and survives the first one's logout.
  Browser other(h);
  auto got2 = authorize_code(h, other, "public-app", "https://app.example.com/cb");
  auto tokens2 = h.call(testing::code_exchange(got2, "public-app"));
  ASSERT_EQ(tokens2->status(), 200u);

  ASSERT_EQ(b.post("/logout", {})->status(), 303u);
  auto after = h.call(testing::refresh_call(refresh_token, "public-app"));
  EXPECT_EQ(after->status(), 400u);
  EXPECT_EQ(after->json()["error"], "invalid_grant");
  auto untouched =
      h.call(testing::refresh_call(tokens2->json()["refresh_token"].get<std::string>(), "public-app"));
  EXPECT_EQ(untouched->status(), 200u) << untouched->body();
}

TEST_F(AuthorizeTest, PromptLoginAsksForTheUserAgain) {
  Browser b(h);
  ASSERT_FALSE(authorize_code(h, b, "public-app", "https://app.example.com/cb").code.empty());
  auto page = b.get(authorize_target(with(base_params(), "prompt", "login")));
  EXPECT_NE(page->body().find("name=\"password\""), std::string::npos);
}

TEST_F(AuthorizeTest, ErrorsAfterTheRedirectIsTrustedCarryNoCode) {
  auto dup = base_params();
  dup.emplace_back("scope", "mail:read");
  expect_error_redirect(*get(dup), "invalid_request");
  expect_error_redirect(*get(with(base_params(), "response_mode", "fragment")), "invalid_request");
  expect_error_redirect(*get(with(base_params(), "request_uri", "urn:x")), "invalid_request");
}

TEST_F(AuthorizeTest, ExpiredFlowShowsAPage) {
  Browser b(h);
  auto page = b.get(authorize_target(base_params()));
  h.advance(601);
  auto late = b.login(*page, "alice", kAlicePassword);
  EXPECT_EQ(late->status(), 400u);
  EXPECT_FALSE(late->has_header("Location"));
}

TEST_F(AuthorizeTest, DisabledUserCannotSignIn) {
  auto user = h.store().find_user_by_username(store::kDefaultOrgId, "alice");
  ASSERT_TRUE(user.ok());
  ASSERT_TRUE(h.store().set_user_disabled(user->id, true).ok());
  Browser b(h);
  auto page = b.get(authorize_target(base_params()));
  auto res = b.login(*page, "alice", kAlicePassword);
  EXPECT_EQ(res->header("Location").rfind("/login?flow=", 0), 0u);
}

}  // namespace
}  // namespace mcpgate::oauth
