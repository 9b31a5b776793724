// The authorization server with Client ID Metadata Document clients (ATTACKS rows 51-58 as far
// as the authorization endpoint is concerned), and the log-hygiene check (row 78).

#include <gtest/gtest.h>

#include "core/log.hpp"
#include "http/test_server.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::Browser;
using testing::Call;
using testing::Harness;
using testing::Json;
using testing::authorize_code;
using testing::authorize_target;
using testing::code_exchange;
using testing::form_field;
using testing::kAlicePassword;
using testing::kTestResource;

class CimdFlowTest : public ::testing::Test {
 protected:
  CimdFlowTest()
      : docs([this](const http::Request& req) {
          std::lock_guard<std::mutex> lock(mu);
          auto it = documents.find(std::string(req.target()));
          if (it == documents.end()) {
            return http::testing::make_reply(404, "{}");
          }
          return http::testing::make_reply(200, it->second.dump(), "application/json",
                                           {{http::Field::cache_control, "max-age=300"}});
        }),
        resolver(resolver_options()) {}

  static CimdResolverOptions resolver_options() {
    CimdResolverOptions o;
    o.allow_loopback_for_tests = true;
    o.allow_plain_http_for_unit_tests = true;
    o.now = system_now;
    return o;
  }
  std::string publish(const std::string& path, Json overrides = Json::object()) {
    const std::string id = docs.url(path);
    Json doc = {{"client_id", id},
                {"client_name", "CIMD Test Client"},
                {"redirect_uris", {"http://127.0.0.1/callback"}},
                {"grant_types", {"authorization_code", "refresh_token"}},
                {"response_types", {"code"}},
                {"token_endpoint_auth_method", "none"}};
    doc.update(overrides);
    std::lock_guard<std::mutex> lock(mu);
    documents[path] = doc;
    return id;
  }
  Harness::Setup setup() {
    Harness::Setup s;
    s.options.cimd.allow_loopback_for_tests = true;
    s.cimd = &resolver;
    return s;
  }

  std::mutex mu;
  std::map<std::string, Json> documents;
  http::testing::TestServer docs;
  CimdResolver resolver;
};

TEST_F(CimdFlowTest, Attacks057CimdClientFlowShowsHostAndLoopbackWarning) {
  Harness h(setup());
  const std::string id = publish("/clients/app.json");
  Browser b(h);
  auto page = b.get(authorize_target({{"response_type", "code"},
                                      {"client_id", id},
                                      {"redirect_uri", "http://127.0.0.1:53682/callback"},
                                      {"scope", "calendar:read"},
                                      {"state", "s"},
                                      {"code_challenge", testing::new_pkce().challenge},
                                      {"code_challenge_method", "S256"},
                                      {"resource", kTestResource}}));
  ASSERT_EQ(page->status(), 200u) << page->body();
  auto login = b.login(*page, "alice", kAlicePassword);
  auto consent = b.get(login->header("Location"));
  ASSERT_EQ(consent->status(), 200u);
  EXPECT_NE(consent->body().find("CIMD Test Client"), std::string::npos);
  EXPECT_NE(consent->body().find("Application published by</dt><dd>127.0.0.1"), std::string::npos);
  EXPECT_NE(consent->body().find("class=\"warn\""), std::string::npos) << "loopback redirect warning";
  EXPECT_NE(consent->body().find("registered itself"), std::string::npos);

  auto done = b.decide(*consent, "approve");
  ASSERT_EQ(done->status(), 303u);
  testing::Authorized a;
  a.code = testing::query_param(done->header("Location"), "code");
  ASSERT_FALSE(a.code.empty());
  // Exchange needs the verifier of that request: run a full one instead.
  auto full = authorize_code(h, b, id, "http://127.0.0.1:40000/callback");
  ASSERT_FALSE(full.code.empty());
  auto t = h.call(code_exchange(full, id));
  ASSERT_EQ(t->status(), 200u) << t->body();
  EXPECT_EQ(testing::jwt_payload(t->json()["access_token"])["client_id"], id);
  // The client now has a store row (grants reference it).
  EXPECT_EQ(h.store().find_client(id)->kind, store::ClientKind::kCimd);
  // Refresh works for the CIMD client too.
  EXPECT_EQ(h.call(testing::refresh_call(t->json()["refresh_token"], id))->status(), 200u);
}

TEST_F(CimdFlowTest, Attacks054RedirectNotInTheDocumentIsAnErrorPage) {
  Harness h(setup());
  const std::string id = publish("/clients/strict.json");
  Browser b(h);
  auto res = b.get(authorize_target({{"response_type", "code"},
                                     {"client_id", id},
                                     {"redirect_uri", "https://evil.example.com/callback"},
                                     {"code_challenge", testing::new_pkce().challenge},
                                     {"code_challenge_method", "S256"}}));
  EXPECT_EQ(res->status(), 400u);
  EXPECT_FALSE(res->has_header("Location"));
}

TEST_F(CimdFlowTest, Attacks051And052BadClientIdsOrDocumentsAreErrorPages) {
  Harness h(setup());
  const std::string mismatched = publish("/clients/other.json", {{"client_id", "https://elsewhere.example.com/x"}});
  for (const std::string& id : {docs.url("/missing.json"), mismatched, std::string("https://user@host/x.json"),
                                docs.url("/a/../b.json")}) {
    Browser b(h);
    auto res = b.get(authorize_target({{"response_type", "code"},
                                       {"client_id", id},
                                       {"redirect_uri", "http://127.0.0.1:1/callback"},
                                       {"code_challenge", testing::new_pkce().challenge},
                                       {"code_challenge_method", "S256"}}));
    EXPECT_EQ(res->status(), 400u) << id;
    EXPECT_FALSE(res->has_header("Location")) << id;
  }
}

TEST_F(CimdFlowTest, CimdDisabledMeansUnknownClient) {
  Harness::Setup s = setup();
  s.options.cimd.enabled = false;
  Harness h(s);
  const std::string id = publish("/clients/app.json");
  Browser b(h);
  auto res = b.get(authorize_target({{"response_type", "code"}, {"client_id", id},
                                     {"redirect_uri", "http://127.0.0.1:1/callback"}}));
  EXPECT_EQ(res->status(), 400u);
  Call meta;
  meta.target = "/.well-known/oauth-authorization-server";
  EXPECT_EQ(h.call(meta)->json()["client_id_metadata_document_supported"], false);
}

TEST(LogHygieneTest, Attacks078NoSecretsInLogs) {
  ::testing::internal::CaptureStderr();
  std::vector<std::string> secrets;
  {
    Harness h;
    Browser b(h);
    auto a = authorize_code(h, b, "ops-dashboard", "https://ops.example.com/cb");
    secrets.push_back(a.code);
    secrets.push_back(a.pkce.verifier);
    secrets.push_back(b.cookie());
    auto t = h.call(testing::token_call({{"grant_type", "authorization_code"},
                                         {"code", a.code},
                                         {"redirect_uri", a.redirect_uri},
                                         {"code_verifier", a.pkce.verifier}},
                                        {{"Authorization", testing::basic("ops-dashboard", testing::kOpsSecret)}}));
    ASSERT_EQ(t->status(), 200u);
    secrets.push_back(t->json()["access_token"]);
    secrets.push_back(t->json()["refresh_token"]);
    auto replay = h.call(testing::token_call({{"grant_type", "authorization_code"}, {"code", a.code}},
                                             {{"Authorization", testing::basic("ops-dashboard", "bad-secret-xyz")}}));
    (void)replay;
    auto reg = h.call(testing::Call{http::bhttp::verb::post, "/register",
                                    {{"Content-Type", "application/json"}},
                                    R"({"redirect_uris":["https://x.example.com/cb"]})", "127.0.0.1"});
    secrets.push_back(reg->json()["client_secret"]);
    secrets.push_back(reg->json()["registration_access_token"]);
  }
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logs.find("oauth_token_issued"), std::string::npos) << "logging happened";
  secrets.push_back(testing::kOpsSecret);
  secrets.push_back(kAlicePassword);
  secrets.push_back("bad-secret-xyz");
  for (const auto& s : secrets) {
    ASSERT_GE(s.size(), 8u);
    EXPECT_EQ(logs.find(s), std::string::npos) << "secret in logs: " << s.substr(0, 6);
  }
}

}  // namespace
}  // namespace mcpgate::oauth
