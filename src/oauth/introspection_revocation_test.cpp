// /introspect and /revoke (ATTACKS rows 39-43).

#include <gtest/gtest.h>

#include <mutex>

#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::kAppRedirect;
using testing::Browser;
using testing::Call;
using testing::FakeExchange;
using testing::Harness;
using testing::Json;
using testing::authorize_code;
using testing::basic;
using testing::code_exchange;
using testing::form_post;
using testing::jwt_payload;
using testing::kOpsSecret;
using testing::refresh_call;


class IntrospectionTest : public ::testing::Test {
 protected:
  Json tokens() {
    auto a = authorize_code(h, b, "public-app", kAppRedirect);
    auto ex = h.call(code_exchange(a, "public-app"));
    EXPECT_EQ(ex->status(), 200u) << ex->body();
    return ex->json();
  }
  std::unique_ptr<FakeExchange> introspect(const std::string& token,
                                           const std::string& id = "ops-dashboard",
                                           const std::string& secret = kOpsSecret) {
    return h.call(form_post("/introspect", {{"token", token}}, {{"Authorization", basic(id, secret)}}));
  }
  std::unique_ptr<FakeExchange> revoke(const std::string& token, const std::string& client_id = "public-app") {
    return h.call(form_post("/revoke", {{"token", token}, {"client_id", client_id}}));
  }
  bool revoked(const std::string& access_token) {
    auto r = h.store().is_access_token_revoked(jwt_payload(access_token)["jti"].get<std::string>());
    return r.ok() && *r;
  }

  Harness h;
  Browser b{h};
};

TEST_F(IntrospectionTest, ActiveAccessAndRefreshTokens) {
  auto t = tokens();
  auto ex = introspect(t["access_token"]);
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->header("Cache-Control"), "no-store");
  auto j = ex->json();
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["client_id"], "public-app");
  EXPECT_EQ(j["username"], "alice");
  EXPECT_EQ(j["scope"], "calendar:read");
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["aud"], testing::kTestResource);
  EXPECT_EQ(j["iss"], testing::kTestIssuer);
  EXPECT_TRUE(j["exp"].is_number());
  auto r = introspect(t["refresh_token"])->json();
  EXPECT_EQ(r["active"], true);
  EXPECT_EQ(r["token_type"], "refresh_token");
  EXPECT_EQ(r["client_id"], "public-app");
}

TEST_F(IntrospectionTest, Attacks039UnauthenticatedIntrospectionIs401) {
  auto t = tokens();
  auto none = h.call(form_post("/introspect", {{"token", t["access_token"]}}));
  EXPECT_EQ(none->status(), 401u);
  EXPECT_EQ(none->json()["error"], "invalid_client");
  auto public_client = h.call(form_post("/introspect", {{"token", t["access_token"]}, {"client_id", "public-app"}}));
  EXPECT_EQ(public_client->status(), 401u);
  EXPECT_EQ(introspect(t["access_token"], "ops-dashboard", "wrong")->status(), 401u);
}

TEST_F(IntrospectionTest, Attacks040OtherClientsTokensAreInactiveForDcrClients) {
  auto t = tokens();
  // A self-registered confidential client.
  Call reg;
  reg.method = http::bhttp::verb::post;
  reg.target = "/register";
  reg.headers = {{"Content-Type", "application/json"}};
  reg.body = R"({"redirect_uris":["https://rs.example.com/cb"],"token_endpoint_auth_method":"client_secret_post","client_name":"RS"})";
  auto created = h.call(reg)->json();
  auto ex = h.call(form_post("/introspect", {{"token", t["access_token"]},
                                              {"client_id", created["client_id"]},
                                              {"client_secret", created["client_secret"]}}));
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->body(), R"({"active":false})");
}

TEST_F(IntrospectionTest, Attacks041InactiveIsExactlyActiveFalse) {
  auto t = tokens();
  for (const std::string& garbage :
       std::vector<std::string>{"garbage", "a.b.c", "eyJ.eyJ.sig", std::string(4000, 'x')}) {
    EXPECT_EQ(introspect(garbage)->body(), R"({"active":false})") << garbage;
  }
  // Revoked.
  ASSERT_EQ(revoke(t["refresh_token"])->status(), 200u);
  EXPECT_EQ(introspect(t["access_token"])->body(), R"({"active":false})");
  EXPECT_EQ(introspect(t["refresh_token"])->body(), R"({"active":false})");
  // Expired.
  auto t2 = tokens();
  h.advance(901);
  EXPECT_EQ(introspect(t2["access_token"])->body(), R"({"active":false})");
  // A rotated (used) refresh token.
  auto t3 = tokens();
  ASSERT_EQ(h.call(refresh_call(t3["refresh_token"], "public-app"))->status(), 200u);
  EXPECT_EQ(introspect(t3["refresh_token"])->body(), R"({"active":false})");
}

TEST_F(IntrospectionTest, Attacks042RevokingGarbageIs200) {
  auto ex = revoke("garbage-token");
  EXPECT_EQ(ex->status(), 200u);
  EXPECT_TRUE(ex->body().empty());
  EXPECT_EQ(revoke("a.b.c")->status(), 200u);
  // But the caller must still be a client, and send a token.
  EXPECT_EQ(h.call(form_post("/revoke", {{"token", "x"}}))->status(), 401u);
  EXPECT_EQ(h.call(form_post("/revoke", {{"client_id", "public-app"}}))->status(), 400u);
}

TEST_F(IntrospectionTest, Attacks043RevokingARefreshTokenKillsItsAccessTokens) {
  std::mutex mu;
  std::vector<std::string> notified;
  h.as().set_revocation_listener([&](const std::vector<store::RevokedToken>& entries) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& e : entries) {
      notified.push_back(e.jti);
    }
  });
  auto t = tokens();
  auto second = h.call(refresh_call(t["refresh_token"], "public-app"));
  ASSERT_EQ(second->status(), 200u);
  const std::string at2 = second->json()["access_token"];
  const std::string rt2 = second->json()["refresh_token"];
  ASSERT_EQ(revoke(rt2)->status(), 200u);
  EXPECT_TRUE(revoked(t["access_token"]));
  EXPECT_TRUE(revoked(at2));
  EXPECT_EQ(h.call(refresh_call(rt2, "public-app"))->json()["error"], "invalid_grant");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(std::find(notified.begin(), notified.end(), jwt_payload(at2)["jti"].get<std::string>()),
            notified.end());
}

TEST_F(IntrospectionTest, RevokingAnAccessTokenListsItsJti) {
  auto t = tokens();
  ASSERT_EQ(revoke(t["access_token"])->status(), 200u);
  EXPECT_TRUE(revoked(t["access_token"]));
  // The refresh token lives on.
  EXPECT_EQ(h.call(refresh_call(t["refresh_token"], "public-app"))->status(), 200u);
}

TEST_F(IntrospectionTest, RevokingAnotherClientsTokenDoesNothing) {
  auto t = tokens();
  auto ex = h.call(form_post("/revoke", {{"token", t["refresh_token"]}},
                             {{"Authorization", basic("ops-dashboard", kOpsSecret)}}));
  EXPECT_EQ(ex->status(), 200u);
  EXPECT_FALSE(revoked(t["access_token"]));
  EXPECT_EQ(h.call(refresh_call(t["refresh_token"], "public-app"))->status(), 200u);
}

}  // namespace
}  // namespace mcpgate::oauth
