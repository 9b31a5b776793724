// Deprovisioning seen from the authorization server (ATTACKS rows 32 and 75): browser sessions
// of a deactivated user are refused at their next use even when the deactivation happened in
// another process (this process's in-memory session is still there), sessions from before a
// deactivation stay dead after a reactivation, and a deactivation made here reaches this
// process's bearer guard and session table at once. The store's side is in the store suite.

#include "oauth/deprovisioning.hpp"

#include <gtest/gtest.h>

#include "oauth/browser_session.hpp"
#include "oauth/cli.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::Browser;
using testing::Harness;
using testing::authorize_code;
using testing::authorize_target;
using testing::kTestResource;
using testing::new_pkce;

constexpr const char* kClient = "public-app";
constexpr const char* kRedirect = "https://app.example.com/cb";

std::vector<std::pair<std::string, std::string>> authorize_params(bool prompt_none) {
  static const testing::Pkce pkce = new_pkce();
  std::vector<std::pair<std::string, std::string>> p = {
      {"response_type", "code"},        {"client_id", kClient},
      {"redirect_uri", kRedirect},      {"scope", "calendar:read"},
      {"state", "st-1"},                {"code_challenge", pkce.challenge},
      {"code_challenge_method", "S256"}, {"resource", kTestResource}};
  if (prompt_none) {
    p.emplace_back("prompt", "none");
  }
  return p;
}

// Who the AS thinks the browser is (the connect pages' question).
std::optional<AuthorizationServer::SignedIn> who(Harness& h, const Browser& b) {
  http::Request req{http::bhttp::verb::get, "/connections", 11};
  req.set(http::Field::cookie, "mcpgate_session=" + b.cookie());
  return h.run(h.as().signed_in(req));
}

std::string alice_id(Harness& h) { return h.store().find_user_by_username(store::kDefaultOrgId, "alice")->id; }

class DeprovisioningTest : public ::testing::Test {
 protected:
  // Signs alice in through a full authorization (login + consent); returns the code.
  std::string sign_in(Browser& b) {
    auto a = authorize_code(h, b, kClient, kRedirect);
    EXPECT_FALSE(a.code.empty()) << a.final->status() << " " << a.final->header("Location");
    return a.code;
  }

  Harness h;
};

TEST_F(DeprovisioningTest, attacks_075_session_of_a_user_deactivated_elsewhere_is_refused) {
  Browser b(h);
  sign_in(b);
  ASSERT_TRUE(who(h, b).has_value());
  // prompt=none with a live session and a stored consent: a code, no page.
  auto silent = b.get(authorize_target(authorize_params(true)));
  ASSERT_EQ(silent->status(), 302u);
  EXPECT_FALSE(testing::query_param(silent->header("Location"), "code").empty());

  // Another replica (or the CLI) deactivates alice: nothing tells this process.
  UserDeprovisioning elsewhere(h.store(), [&] { return h.now(); });
  ASSERT_TRUE(elsewhere.deactivate(alice_id(h)).ok());

  EXPECT_FALSE(who(h, b).has_value());
  auto refused = b.get(authorize_target(authorize_params(true)));
  ASSERT_EQ(refused->status(), 302u);
  EXPECT_EQ(testing::query_param(refused->header("Location"), "error"), "login_required");
  EXPECT_TRUE(testing::query_param(refused->header("Location"), "code").empty());
  // Without prompt=none: the login page, not a code or a consent page; and signing in fails.
  auto page = b.get(authorize_target(authorize_params(false)));
  ASSERT_EQ(page->status(), 200u);
  EXPECT_NE(page->body().find("name=\"password\""), std::string::npos);
  auto login = b.login(*page, "alice", testing::kAlicePassword);
  EXPECT_EQ(login->header("Location").rfind("/login?flow=", 0), 0u);
  EXPECT_FALSE(who(h, b).has_value());
}

TEST_F(DeprovisioningTest, attacks_075_reactivation_does_not_revive_sessions_from_before) {
  Browser before(h);
  sign_in(before);
  UserDeprovisioning elsewhere(h.store(), [&] { return h.now(); });
  ASSERT_TRUE(elsewhere.deactivate(alice_id(h)).ok());
  ASSERT_TRUE(elsewhere.reactivate(alice_id(h)).ok());
  EXPECT_FALSE(who(h, before).has_value());
  // Signing in again works at once (the same second as the deactivation: the session is told
  // apart by the user's session epoch, not by the clock), and that session is good.
  Browser after(h);
  sign_in(after);
  const auto signed_in = who(h, after);
  ASSERT_TRUE(signed_in.has_value());
  EXPECT_EQ(signed_in->username, "alice");
}

TEST_F(DeprovisioningTest, attacks_075_deactivation_here_tells_the_guard_and_the_sessions) {
  Browser b(h);
  std::vector<store::RevokedToken> told;
  h.as().set_revocation_listener([&](const std::vector<store::RevokedToken>& entries) {
    told.insert(told.end(), entries.begin(), entries.end());
  });
  auto auth = authorize_code(h, b, kClient, kRedirect);
  ASSERT_FALSE(auth.code.empty());
  auto tokens = h.call(testing::code_exchange(auth, kClient));
  ASSERT_EQ(tokens->status(), 200u) << tokens->body();
  const auto json = nlohmann::json::parse(tokens->body());
  const std::string jti =
      testing::jwt_payload(json["access_token"].get<std::string>())["jti"].get<std::string>();
  std::vector<std::string> changed;
  h.as().deprovisioning().on_user_changed([&](const std::string& id) { changed.push_back(id); });

  const auto report = h.as().deprovisioning().deactivate(alice_id(h));
  ASSERT_TRUE(report.ok()) << report.error().message;
  // The guard's listener got the live access token (the next tool call here is refused), the
  // other listeners (sessions, the vault's cache in the app) heard about alice.
  ASSERT_EQ(told.size(), 1U);
  EXPECT_EQ(told[0].jti, jti);
  EXPECT_EQ(changed, std::vector<std::string>{alice_id(h)});
  // The refresh is refused; the session too.
  auto refreshed = h.call(testing::refresh_call(json["refresh_token"].get<std::string>(), kClient));
  EXPECT_EQ(refreshed->status(), 400u);
  EXPECT_NE(refreshed->body().find("invalid_grant"), std::string::npos);
  EXPECT_FALSE(who(h, b).has_value());
}

store::User a_user(std::string id) {
  store::User u;
  u.id = std::move(id);
  u.username = u.id;
  return u;
}

TEST(BrowserSessionsTest, DropUserEndsEverySessionOfThatUserOnly) {
  BrowserSessions sessions(BrowserSessions::Options{});
  const std::int64_t now = 1'800'000'000;
  const std::string a1 = sessions.sign_in("", a_user("usr_a"), now);
  const std::string a2 = sessions.sign_in("", a_user("usr_a"), now);
  const std::string b1 = sessions.sign_in("", a_user("usr_b"), now);
  EXPECT_EQ(sessions.drop_user("usr_a"), 2U);
  EXPECT_FALSE(sessions.find_session(a1, now).has_value());
  EXPECT_FALSE(sessions.find_session(a2, now).has_value());
  EXPECT_TRUE(sessions.find_session(b1, now).has_value());
  EXPECT_EQ(sessions.drop_user("usr_a"), 0U);
  // New sign-ins work (the table is consistent after the erase).
  const std::string a3 = sessions.sign_in("", a_user("usr_a"), now + 1);
  EXPECT_TRUE(sessions.find_session(a3, now + 1).has_value());
}

TEST(SessionSurvivesTest, OnlyAnEnabledUserNotDeprovisionedSinceTheSignIn) {
  store::User u;
  u.id = "usr_x";
  EXPECT_TRUE(session_survives(u, 0));
  u.disabled = true;
  EXPECT_FALSE(session_survives(u, 0));
  u.disabled = false;
  u.session_epoch = 1;  // deprovisioned (and reactivated) once since
  EXPECT_FALSE(session_survives(u, 0));
  EXPECT_TRUE(session_survives(u, 1));  // a sign-in after the reactivation, however soon
}

TEST_F(DeprovisioningTest, CliNamesUsersByIdOrNameAndRefusesAmbiguity) {
  const std::string alice = alice_id(h);
  EXPECT_EQ(find_user_ref(h.store(), "alice")->id, alice);
  EXPECT_EQ(find_user_ref(h.store(), alice)->id, alice);
  EXPECT_EQ(find_user_ref(h.store(), "nobody").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(find_user_ref(h.store(), "").error().code, ErrorCode::kInvalidArgument);
  // A user whose id is another user's name.
  ASSERT_TRUE(add_user(h.store(), "carol", "carol-test-pass", h.now(), "bob").ok());
  const auto ambiguous = find_user_ref(h.store(), "bob");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, ErrorCode::kInvalidArgument);

  const auto off = disable_user(h.store(), "alice");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_NE(off->find("disabled"), std::string::npos) << *off;
  EXPECT_TRUE(h.store().find_user(alice)->disabled);
  const auto again = disable_user(h.store(), "alice");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->find("was already disabled"), std::string::npos) << *again;
  const auto on = enable_user(h.store(), alice);
  ASSERT_TRUE(on.ok());
  EXPECT_FALSE(h.store().find_user(alice)->disabled);
  EXPECT_EQ(disable_user(h.store(), "nobody").error().code, ErrorCode::kNotFound);

  // Organizations: a name is looked up in one organization (default unless --org), an id in any
  // unless --org narrows it.
  store::Organization acme;
  acme.id = "acme";
  acme.name = "Acme";
  acme.created_at = h.now();
  ASSERT_TRUE(h.store().upsert_organization(acme).ok());
  ASSERT_TRUE(add_user(h.store(), "dave", "dave-test-pass", h.now(), "usr_dave", "acme").ok());
  EXPECT_EQ(find_user_ref(h.store(), "dave").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(find_user_ref(h.store(), "dave", "acme")->id, "usr_dave");
  EXPECT_EQ(find_user_ref(h.store(), "usr_dave")->id, "usr_dave");
  EXPECT_EQ(find_user_ref(h.store(), "usr_dave", "default").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(find_user_ref(h.store(), "alice", "acme").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(find_user_ref(h.store(), "dave", "Not An Org").error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(disable_user(h.store(), "dave", "acme").ok());
  EXPECT_TRUE(h.store().find_user("usr_dave")->disabled);
}

}  // namespace
}  // namespace mcpgate::oauth
