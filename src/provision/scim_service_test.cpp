// The SCIM service and its HTTP mapping on a real (in-memory SQLite) store: organization
// scoping, the deactivation hook, write-only passwords, membership tuples, ETags, list paging
// and the error bodies. The Okta/Entra request sequences run end to end in
// tests/e2e/scim.test.mjs.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/master_key.hpp"
#include "crypto/password.hpp"
#include "provision/scim_cli.hpp"
#include "scim/error.hpp"
#include "provision/scim_routes.hpp"
#include "provision/scim_service.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::provision {
namespace {

using Json = nlohmann::json;
using store::ScimKind;

// Each organization's policy store (as app/policy_stack.hpp derives them in the server).
constexpr const char* kAcmeStore = "01PROVISIONTESTSTOREACME000";
constexpr const char* kGlobexStore = "01PROVISIONTESTSTOREGL0BEX0";

class ScimServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions so;
    so.path = ":memory:";
    auto opened = store::open_sqlite_store(so, *crypto::MasterKey::from_bytes(std::string(32, '\x42')));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    for (const char* id : {"acme", "globex"}) {
      ASSERT_TRUE(store_->upsert_organization(store::Organization{id, id, {}, 1}).ok());
    }
    ScimServiceOptions o;
    o.base_url = "https://gate.example/scim/v2";
    o.max_results = 3;
    o.policy_store_for = [](std::string_view org_id) -> std::string {
      return org_id == "acme" ? kAcmeStore : org_id == "globex" ? kGlobexStore : "";
    };
    o.clock = [] { return std::int64_t{1'800'000'000}; };
    o.on_user_deactivated = [this](const std::string& id) {
      deactivated_.push_back(id);
      return store_->set_user_disabled(id, true);
    };
    service_ = std::make_unique<ScimService>(*store_, o);
    acme_token_ = create_scim_token(*store_, "acme", "Okta", 1).value().token;
    globex_token_ = create_scim_token(*store_, "globex", "Entra", 1).value().token;
    acme_ = service_->authenticate(acme_token_).value();
    globex_ = service_->authenticate(globex_token_).value();
  }

  Json user_body(const std::string& name, Json extra = Json::object()) {
    Json body = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}}, {"userName", name}};
    body.update(extra);
    return body;
  }

  static Json patch_body(Json ops) {
    return {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:PatchOp"}}, {"Operations", std::move(ops)}};
  }

  http::Response http(http::bhttp::verb method, const std::string& target, const std::string& token,
                      const std::string& body = "", const std::string& type = "application/scim+json") {
    http::Request req{method, target, 11};
    if (!token.empty()) {
      req.set(http::Field::authorization, "Bearer " + token);
    }
    if (!body.empty()) {
      req.set(http::Field::content_type, type);
      req.body() = body;
    }
    ScimRoutesOptions options;
    options.max_body_bytes = 4096;
    return answer_scim_request(*service_, req, options);
  }

  std::vector<std::string> tuples(const char* policy_store = kAcmeStore) {
    std::vector<std::string> out;
    const auto snapshot = store_->load_all_tuples(policy_store);
    EXPECT_TRUE(snapshot.ok());
    for (const auto& t : snapshot->tuples) {
      out.push_back(t.tuple.object + "#" + t.tuple.relation + "@" + t.tuple.user);
    }
    return out;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ScimService> service_;
  std::string acme_token_;
  std::string globex_token_;
  ScimCaller acme_;
  ScimCaller globex_;
  std::vector<std::string> deactivated_;
};

TEST_F(ScimServiceTest, AuthenticateRefusesUnknownRevokedAndMissingTokensAlike) {
  EXPECT_EQ(acme_.org_id, "acme");
  for (const std::string& bad : {std::string(), std::string("nope"), acme_token_ + "x",
                                 std::string(600, 'a')}) {
    auto r = service_->authenticate(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  }
  ASSERT_TRUE(store_->revoke_scim_directory(acme_.directory_id, 2).ok());
  EXPECT_EQ(service_->authenticate(acme_token_).error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(service_->authenticate(globex_token_).ok());
  // The store holds only the token's hash.
  auto dirs = store_->list_scim_directories("globex");
  ASSERT_EQ(dirs->size(), 1u);
  EXPECT_EQ((*dirs)[0].token_hash, store::hash_secret(globex_token_));
  EXPECT_EQ(create_scim_token(*store_, "Not An Org!", "", 1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(create_scim_token(*store_, "initech", "", 1).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ScimServiceTest, CreatedUserIsAGateUserWithAHashedPasswordNeverReturned) {
  auto made = service_->create(acme_, ScimKind::kUser,
                               user_body("Ann", {{"password", "Ann-Pa55-word"}, {"active", "False"}}));
  ASSERT_TRUE(made.ok()) << made.error().message;
  const std::string id = made->body["id"];
  EXPECT_FALSE(made->body.contains("password"));
  EXPECT_EQ(made->body["active"], false);
  EXPECT_EQ(made->etag, "W/\"1\"");
  EXPECT_EQ(made->location, "https://gate.example/scim/v2/Users/" + id);
  auto gate = store_->find_user(id);
  ASSERT_TRUE(gate.ok());
  EXPECT_TRUE(gate->disabled);
  EXPECT_TRUE(crypto::verify_password("Ann-Pa55-word", gate->password_hash));
  auto row = store_->find_scim_resource(ScimKind::kUser, "acme", id);
  EXPECT_FALSE(row->resource.contains("password"));
  EXPECT_EQ(row->resource.dump().find("Ann-Pa55-word"), std::string::npos);
}

TEST_F(ScimServiceTest, DeactivationByPutPatchAndDeleteGoesThroughTheHook) {
  const std::string a = service_->create(acme_, ScimKind::kUser, user_body("a"))->body["id"];
  const std::string b = service_->create(acme_, ScimKind::kUser, user_body("b"))->body["id"];
  const std::string c = service_->create(acme_, ScimKind::kUser, user_body("c"))->body["id"];
  ASSERT_TRUE(service_->replace(acme_, ScimKind::kUser, a, user_body("a", {{"active", false}}), 0).ok());
  ASSERT_TRUE(service_->patch(acme_, ScimKind::kUser, b,
                              patch_body({{{"op", "Replace"}, {"path", "active"}, {"value", "False"}}}), 0)
                  .ok());
  // Already inactive: no second call. Reactivation: none either.
  ASSERT_TRUE(service_->patch(acme_, ScimKind::kUser, b,
                              patch_body({{{"op", "replace"}, {"value", {{"active", false}}}}}), 0)
                  .ok());
  ASSERT_TRUE(service_->patch(acme_, ScimKind::kUser, b,
                              patch_body({{{"op", "replace"}, {"value", {{"active", true}}}}}), 0)
                  .ok());
  EXPECT_FALSE(store_->find_user(b)->disabled);
  ASSERT_TRUE(service_->remove(acme_, ScimKind::kUser, c, 0).ok());
  EXPECT_EQ(deactivated_, (std::vector<std::string>{a, b, c}));
  EXPECT_EQ(store_->find_user(c).error().code, ErrorCode::kNotFound);
}

TEST_F(ScimServiceTest, AnotherOrganizationsResourcesAreNotFoundAndNeverListed) {
  const std::string a = service_->create(acme_, ScimKind::kUser, user_body("shared-name"))->body["id"];
  EXPECT_EQ(service_->get(globex_, ScimKind::kUser, a, "", "").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service_->patch(globex_, ScimKind::kUser, a,
                            patch_body({{{"op", "replace"}, {"value", {{"active", false}}}}}), 0)
                .error()
                .code,
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->remove(globex_, ScimKind::kUser, a, 0).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(deactivated_.empty());
  ScimListRequest all;
  EXPECT_EQ((*service_->list(globex_, ScimKind::kUser, all))["totalResults"], 0);
  EXPECT_EQ((*service_->list(acme_, ScimKind::kUser, all))["totalResults"], 1);
  // globex cannot put acme's user into its group.
  Json group = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                {"displayName", "g"},
                {"members", {{{"value", a}}}}};
  auto refused = service_->create(globex_, ScimKind::kGroup, group);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(scim::scim_type_of(refused.error()), scim::ScimType::kInvalidValue);
}

TEST_F(ScimServiceTest, GroupMembershipChangesAreTuples) {
  const std::string a = service_->create(acme_, ScimKind::kUser, user_body("a"))->body["id"];
  const std::string b = service_->create(acme_, ScimKind::kUser, user_body("b"))->body["id"];
  Json group = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                {"displayName", "Eng"},
                {"members", {{{"value", a}}}}};
  auto g = service_->create(acme_, ScimKind::kGroup, group);
  ASSERT_TRUE(g.ok()) << g.error().message;
  const std::string gid = g->body["id"];
  EXPECT_EQ(g->body["members"][0]["display"], "a");
  EXPECT_EQ(tuples(), (std::vector<std::string>{"group:" + gid + "#member@user:" + a}));
  ASSERT_TRUE(service_->patch(acme_, ScimKind::kGroup, gid,
                              patch_body({{{"op", "add"}, {"path", "members"}, {"value", {{{"value", b}}}}},
                                          {{"op", "remove"}, {"path", "members[value eq \"" + a + "\"]"}}}),
                              0)
                  .ok());
  EXPECT_EQ(tuples(), (std::vector<std::string>{"group:" + gid + "#member@user:" + b}));
  ASSERT_TRUE(service_->remove(acme_, ScimKind::kUser, b, 0).ok());
  EXPECT_TRUE(tuples().empty());
}

// Issue 8: a directory's memberships are tuples of its own organization's store only, so one
// organization's groups can never grant anything in another's.
TEST_F(ScimServiceTest, MembershipTuplesLandInTheDirectorysOrganizationsStore) {
  const std::string a = service_->create(acme_, ScimKind::kUser, user_body("a"))->body["id"];
  const std::string g = service_->create(globex_, ScimKind::kUser, user_body("g"))->body["id"];
  const auto group_of = [](const std::string& member) {
    return Json{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                {"displayName", "Eng"},
                {"members", {{{"value", member}}}}};
  };
  auto acme_group = service_->create(acme_, ScimKind::kGroup, group_of(a));
  ASSERT_TRUE(acme_group.ok()) << acme_group.error().message;
  auto globex_group = service_->create(globex_, ScimKind::kGroup, group_of(g));
  ASSERT_TRUE(globex_group.ok()) << globex_group.error().message;
  const std::string acme_gid = acme_group->body["id"];
  const std::string globex_gid = globex_group->body["id"];
  EXPECT_EQ(tuples(kAcmeStore), (std::vector<std::string>{"group:" + acme_gid + "#member@user:" + a}));
  EXPECT_EQ(tuples(kGlobexStore), (std::vector<std::string>{"group:" + globex_gid + "#member@user:" + g}));
  // Removing globex's member touches globex's store only.
  ASSERT_TRUE(service_->remove(globex_, ScimKind::kUser, g, 0).ok());
  EXPECT_TRUE(tuples(kGlobexStore).empty());
  EXPECT_EQ(tuples(kAcmeStore), (std::vector<std::string>{"group:" + acme_gid + "#member@user:" + a}));
}

TEST_F(ScimServiceTest, IfMatchMustNameTheCurrentVersion) {
  auto made = service_->create(acme_, ScimKind::kUser, user_body("v"));
  const std::string id = made->body["id"];
  auto v1 = parse_if_match("W/\"1\"");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(*v1, 1);
  EXPECT_EQ(*parse_if_match("*"), 0);
  EXPECT_EQ(parse_if_match("\"abc\"").error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(service_->replace(acme_, ScimKind::kUser, id, user_body("v", {{"title", "x"}}), 1).ok());
  EXPECT_EQ(service_->replace(acme_, ScimKind::kUser, id, user_body("v"), 1).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->remove(acme_, ScimKind::kUser, id, 1).error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(ScimServiceTest, ListCapsCountAndTreatsStartIndexBelowOneAsOne) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(service_->create(acme_, ScimKind::kUser, user_body("u" + std::to_string(i))).ok());
  }
  ScimListRequest r;
  r.count = 1'000'000;
  r.start_index = -7;
  auto page = service_->list(acme_, ScimKind::kUser, r);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["totalResults"], 5);
  EXPECT_EQ((*page)["itemsPerPage"], 3);
  EXPECT_EQ((*page)["startIndex"], 1);
  r.filter = "userName eq";
  EXPECT_EQ(scim::scim_type_of(service_->list(acme_, ScimKind::kUser, r).error()),
            scim::ScimType::kInvalidFilter);
}

TEST_F(ScimServiceTest, HttpErrorsAreScimErrorBodies) {
  using V = http::bhttp::verb;
  auto unauth = http(V::get, "/scim/v2/Users", "");
  EXPECT_EQ(unauth.result_int(), 401u);
  EXPECT_EQ(Json::parse(unauth.body())["status"], "401");
  EXPECT_EQ(std::string(unauth[http::Field::content_type]), "application/scim+json");
  EXPECT_EQ(http(V::post, "/scim/v2/Users", acme_token_, "{}", "text/plain").result_int(), 415u);
  EXPECT_EQ(http(V::post, "/scim/v2/Users", acme_token_, std::string(5000, ' ') + "{}").result_int(), 413u);
  auto bad = http(V::post, "/scim/v2/Users", acme_token_, "{\"userName\":");
  EXPECT_EQ(bad.result_int(), 400u);
  EXPECT_EQ(Json::parse(bad.body())["scimType"], "invalidSyntax");
  EXPECT_EQ(http(V::get, "/scim/v2/Users?count=x", acme_token_).result_int(), 400u);
  EXPECT_EQ(http(V::put, "/scim/v2/Users", acme_token_, "{}").result_int(), 405u);
  EXPECT_EQ(http(V::get, "/scim/v2/Nope", acme_token_).result_int(), 404u);
  auto created = http(V::post, "/scim/v2/Users", acme_token_, user_body("h").dump());
  EXPECT_EQ(created.result_int(), 201u);
  EXPECT_EQ(std::string(created[http::Field::etag]), "W/\"1\"");
  auto dup = http(V::post, "/scim/v2/Users", acme_token_, user_body("H").dump());
  EXPECT_EQ(dup.result_int(), 409u);
  EXPECT_EQ(Json::parse(dup.body())["scimType"], "uniqueness");
  // A server-side failure shows no internals.
  auto internal = scim_error_response(make_error(ErrorCode::kInternal, "sqlite: secret detail"));
  EXPECT_EQ(internal.result_int(), 500u);
  EXPECT_EQ(internal.body().find("secret detail"), std::string::npos);
}

}  // namespace
}  // namespace mcpgate::provision
