// The Admin API without a network: real SQLite store, real per-organization authorization
// engines with the shipped demo model (examples/demo-policy.fga), real deprovisioning; only
// the bearer guard is replaced by a stand-in that reads the caller from the header.
#include "admin/admin_api.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "admin/admin_service.hpp"
#include "admin/audit_service.hpp"
#include "admin/identity_service.hpp"
#include "admin/errors.hpp"
#include "admin/insight_service.hpp"
#include "admin/operations.hpp"
#include "admin/policy_admin.hpp"
#include "admin/runtime_admin.hpp"
#include "admin/session_service.hpp"
#include "admin/test_support.hpp"
#include "authz/dsl.hpp"
#include "authz/engine.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/master_key.hpp"
#include "crypto/random.hpp"
#include "oauth/key_manager.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::admin {
namespace {

using http::bhttp::verb;

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

oauth::AuthOptions admin_scope_options() {
  oauth::AuthOptions o;
  o.scopes.push_back(oauth::ScopeOptions{"admin:read", {}});
  o.scopes.push_back(oauth::ScopeOptions{"admin:write", {}});
  o.scope_implies["admin:write"] = {"admin:read"};
  return o;
}

struct Reply {
  int status = 0;
  nlohmann::json body;
  http::Response raw;
};

constexpr const char* kAll = "admin:write";
constexpr std::int64_t kInsightNowMs = 10'000'000'000;  // "now" of the insight operations

// The tools getAgentAccess sees: three of the demo calendar's.
std::vector<mcp::Tool> insight_tools() {
  std::vector<mcp::Tool> out;
  for (const char* name : {"list_events", "create_event", "delete_event"}) {
    mcp::Tool t;
    t.descriptor = {{"name", name}};
    t.server = "calendar";
    out.push_back(std::move(t));
  }
  return out;
}

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions so;
    so.path = ":memory:";
    auto key = crypto::MasterKey::from_bytes(crypto::random_bytes(32));
    ASSERT_TRUE(key.ok());
    auto opened = store::open_sqlite_store(so, *key);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->upsert_organization(store::Organization{"acme", "Acme", {}, 1}).ok());
    for (const auto& [id, org] : std::vector<std::pair<std::string, std::string>>{
             {"alice", "default"}, {"bob", "default"}, {"helen", "default"},
             {"audrey", "default"}, {"carol", "acme"}, {"dave", "acme"}}) {
      store::User u;
      u.id = id;
      u.username = id;
      u.org_id = org;
      u.created_at = 100;
      ASSERT_TRUE(store_->create_user(u).ok());
    }
    auto model = authz::parse_dsl(read_text_file("examples/demo-policy.fga"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    for (const char* org : {"default", "acme"}) {
      auto engine = authz::Engine::create(*model);
      ASSERT_TRUE(engine.ok());
      auto service = std::make_shared<policy::PolicyService>(
          std::string("store-") + org, org, std::shared_ptr<authz::Engine>(std::move(*engine)));
      ASSERT_TRUE(service->write_model(*model).ok());  // listed, as a served store's model is
      stores_.push_back(policy::OrgStore{org, service});
    }
    grant_role("default", "alice", "admin");
    grant_role("default", "helen", "helpdesk");
    grant_role("default", "audrey", "auditor");
    grant_role("acme", "carol", "admin");
    deprovisioning_ = std::make_unique<oauth::UserDeprovisioning>(*store_, [] { return 1000; });
    AdminServiceOptions options;
    options.clock = [] { return std::int64_t{1000}; };
    options.on_revoked = [this](const std::vector<store::RevokedToken>& e) {
      told_revoked_ += e.size();
    };
    auto service = std::make_shared<AdminService>(*store_, *deprovisioning_, options);
    AdminApiOptions api_options;
    api_options.max_body_bytes = 8192;  // a model (writeAuthorizationModel) fits
    api_options.public_url = "https://gate.example";
    api_options.resource = "https://gate.example/admin";
    api_options.issuer = "https://gate.example";
    auto handlers = std::make_shared<OperationHandlers>();
    bind_user_operations(*handlers, service);
    bind_policy_operations(*handlers, stores_);
    RuntimeSources runtime;
    runtime.store = store_.get();
    runtime.clock = [] { return std::int64_t{1000}; };
    runtime.upstreams = [] {
      return nlohmann::json::array({{{"name", "calendar"}, {"transport", "stdio"}, {"auth", "gate"},
                                     {"ready", true}, {"circuit", "closed"}, {"tools", 3}}});
    };
    runtime.pin_approved = [this](const std::string& upstream) { approved_upstreams_.push_back(upstream); };
    runtime.status = [] { return nlohmann::json{{"version", "test"}, {"store", "sqlite"}}; };
    runtime.connectors = [] {
      return nlohmann::json::array({{{"id", "gmail"}, {"kind", "connector"}, {"tools", {"gmail_send"}}}});
    };
    // A stand-in vault: connections per user, by connector.
    runtime.user_connections = [this](const std::string& user) -> Result<nlohmann::json> {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& c : connections_[user]) {
        items.push_back({{"connector", c}, {"status", "active"}, {"created_at", 100}});
      }
      return items;
    };
    runtime.revoke_connection = [this](const std::string& user, const std::string& connector) -> Status {
      if (connections_[user].erase(connector) == 0) {
        return make_error(ErrorCode::kNotFound, "vault: no such connection");
      }
      return Status();
    };
    runtime.rotate_vault_key = [this]() -> Result<nlohmann::json> {
      ++rotations_;
      return nlohmann::json{{"active_master_version", 2}, {"rewrapped", 3}, {"current", 0},
                            {"failures", nlohmann::json::array()}};
    };
    runtime.quotas = [] {
      return nlohmann::json::array({{{"name", "per-user"}, {"per", {"user"}}, {"calls_per_minute", 60}}});
    };
    bind_runtime_operations(*handlers, std::move(runtime));
    bind_session_operations(*handlers, std::make_shared<SessionService>(*store_, options));
    IdentityServiceOptions identity;
    identity.admin = options;
    identity.sso_configured = [](std::string_view org) { return org == "acme"; };
    identity.on_keys_rotated = [this] {
      ++keys_reloaded_;
      return Status();
    };
    bind_identity_operations(*handlers, std::make_shared<IdentityService>(*store_, identity));
    bind_audit_operations(*handlers, std::make_shared<AuditService>(*store_, 2));
    // A SCIM group of default, empty (members: GroupsAreTheOrganizationsWithTheirMembers).
    store::ScimResource group;
    group.id = kGroupId;
    group.org_id = "default";
    group.name = "Engineering";
    group.created_at = 100;
    const auto made = store_->create_scim_group(group, store::ScimTupleTarget{"store-default", 100});
    ASSERT_TRUE(made.ok()) << made.error().message;
    {
      InsightDeps insight;
      insight.store = store_.get();
      insight.tools = [] { return insight_tools(); };
      policy::OrgEngines engines;
      for (const auto& s : stores_) {
        engines[s.org_id] = s.service->shared_engine();
      }
      insight.authorizer = std::make_shared<policy::EngineToolAuthorizer>(
          std::move(engines), policy::ToolAuthorizerOptions{},
          std::make_shared<policy::DecisionLog>(policy::DecisionLog::Options{}));
      // The MCP guard's rule in miniature: calendar:read permits list_events only.
      insight.scope_permits = [](const std::vector<std::string>& scopes, std::string_view tool) {
        return tool == "list_events" &&
               std::find(scopes.begin(), scopes.end(), "calendar:read") != scopes.end();
      };
      insight.now_ms = [] { return kInsightNowMs; };
      bind_insight_operations(*handlers, insight);
    }
    ASSERT_TRUE(handlers->missing().empty()) << handlers->missing().front();
    RunnerOptions rules;
    rules.pages.max_page_size = 5;
    rules.pages.default_page_size = 5;
    runner_ = std::make_shared<OperationRunner>(
        scopes_, std::make_shared<EngineAdminAuthorizer>(stores_), handlers, rules);
    api_ = std::make_unique<AdminApi>(std::make_shared<testing::HeaderAccess>("console"), runner_,
                                      executor_, api_options);
  }

  void grant_role(const std::string& org, const std::string& user, const std::string& role) {
    authz::WriteRequest w;
    w.writes.push_back(authz::TupleRecord{"organization:" + org, role, "user:" + user, "", nullptr});
    auto r = policy::find_org_store(stores_, org)->service->write_tuples(w);
    ASSERT_TRUE(r.ok() && r->error.ok());
  }

  // A live grant of `user` to a fresh client, with one recorded access token.
  std::string add_grant(const std::string& user) {
    store::Client c;
    c.client_id = "client-" + crypto::random_id();
    c.kind = store::ClientKind::kDcr;
    c.metadata = {{"client_name", "Agent"}, {"redirect_uris", {"https://a.example/cb"}}};
    c.created_at = 100;
    EXPECT_TRUE(store_->create_client(c).ok());
    store::Grant g;
    g.id = "grant-" + crypto::random_id();
    g.user_id = user;
    g.client_id = c.client_id;
    g.scope = "calendar:read";
    g.resource = "https://gate.example/mcp";
    g.created_at = 100;
    store::AuthorizationCode code;
    code.code_hash = store::hash_secret(crypto::random_token());
    code.grant_id = g.id;
    code.client_id = c.client_id;
    code.user_id = user;
    code.redirect_uri = "https://a.example/cb";
    code.scope = g.scope;
    code.resource = g.resource;
    code.created_at = 100;
    code.expires_at = 5000;
    const auto st = store_->create_authorization_code(g, code);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    store::AccessTokenRecord at;
    at.jti = "jti-" + crypto::random_id();
    at.grant_id = g.id;
    at.client_id = c.client_id;
    at.issued_at = 900;
    at.expires_at = 1900;
    const auto rec = store_->record_access_token(at);
    EXPECT_TRUE(rec.ok()) << (rec.ok() ? "" : rec.error().message);
    return g.id;
  }

  Reply call(verb method, const std::string& target, const std::string& who,
             const std::string& body = "", const std::string& content_type = "application/json") {
    http::Request req{method, target, 11};
    if (!who.empty()) {
      req.set(http::Field::authorization, "Bearer " + who);
    }
    if (!body.empty()) {
      req.set(http::Field::content_type, content_type);
      req.body() = body;
    }
    auto caller = api_->authenticate(req);
    Reply out;
    if (auto* refused = std::get_if<http::Response>(&caller)) {
      out.raw = std::move(*refused);
    } else {
      out.raw = api_->answer(std::get<mcp::Caller>(caller), req);
    }
    out.status = static_cast<int>(out.raw.result_int());
    out.body = nlohmann::json::parse(out.raw.body(), nullptr, false);
    return out;
  }

  // Pins `upstream/tool` (when not yet) and records `definition` as its pending change; returns
  // the pending hash.
  std::string pend_tool(const std::string& upstream, const std::string& tool,
                        const std::string& definition) {
    store::ToolPin pin;
    pin.upstream = upstream;
    pin.tool = tool;
    pin.definition = "{\"name\":\"" + tool + "\"}";
    pin.hash = crypto::hex_encode(crypto::sha256(pin.definition));
    pin.approved_by = "first-sight";
    pin.approved_at = 100;
    EXPECT_TRUE(store_->pin_tool_if_absent(pin).ok());
    const std::string hash = crypto::hex_encode(crypto::sha256(definition));
    EXPECT_TRUE(store_->set_tool_pin_pending(upstream, tool, hash, definition, 500).ok());
    return hash;
  }

  // The body the permission test sends for an operation whose required arguments are in its
  // body (empty: none needed). `fresh` is unique per call.
  std::string sample_body(const std::string& operation_id, const std::string& fresh) {
    if (operation_id == "writeAuthorizationModel") {
      return nlohmann::json{{"dsl", read_text_file("examples/demo-policy.fga")}}.dump();
    }
    const nlohmann::json tuple = {{"user", "user:" + fresh}, {"relation", "auditor"},
                                  {"object", "organization:default"}};
    if (operation_id == "writeTuples") {
      return nlohmann::json{{"tuples", {tuple}}}.dump();
    }
    if (operation_id == "revokeConnection") {
      connections_["bob"].insert("bob");  // fill() names the connection bob/bob
      return "";
    }
    if (operation_id == "approveToolPin") {
      // fill() names the pin bob/bob: pinned once, then a changed definition waits each time.
      return nlohmann::json{{"hash", pend_tool("bob", "bob", "{\"name\":\"" + fresh + "\"}")}}.dump();
    }
    if (operation_id == "deleteTuples") {
      grant_role("default", fresh, "auditor");
      return nlohmann::json{{"tuples", {tuple}}}.dump();
    }
    return "";
  }

  static std::string as(const std::string& user, const std::string& org = "default",
                        const std::string& scope = kAll) {
    return user + "|" + org + "|" + scope;
  }

  oauth::ScopeSet scopes_{admin_scope_options()};
  store::Executor executor_{1};
  std::unique_ptr<store::Store> store_;
  policy::OrgStores stores_;
  std::unique_ptr<oauth::UserDeprovisioning> deprovisioning_;
  std::shared_ptr<OperationRunner> runner_;
  std::unique_ptr<AdminApi> api_;
  std::size_t told_revoked_ = 0;
  std::vector<std::string> approved_upstreams_;
  std::map<std::string, std::set<std::string>> connections_;  // the stand-in vault
  int rotations_ = 0;
  int keys_reloaded_ = 0;
  static constexpr const char* kGroupId = "group-eng";
};

// --- the document and the routing table ------------------------------------------------------

verb verb_of(const std::string& m) {
  if (m == "post") {
    return verb::post;
  }
  if (m == "delete") {
    return verb::delete_;
  }
  return verb::get;
}

// Every {param} of an OpenAPI path filled with `value`.
std::string fill(const std::string& path, const std::string& user, const std::string& grant) {
  std::string out;
  for (std::size_t i = 0; i < path.size();) {
    if (path[i] == '{') {
      const auto close = path.find('}', i);
      const std::string name = path.substr(i, close - i + 1);
      out += name == "{grant_id}" || name == "{session_id}" ? grant
             : name == "{group_id}"                         ? std::string("group-eng")
                                                            : user;
      i = close + 1;
    } else {
      out += path[i++];
    }
  }
  return out;
}

// Resolves a local "#/a/b" reference in `doc` (null when it does not resolve).
const nlohmann::json* resolve(const nlohmann::json& doc, const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) {
    return nullptr;
  }
  const nlohmann::json* at = &doc;
  std::stringstream in(ref.substr(2));
  for (std::string part; std::getline(in, part, '/');) {
    if (!at->is_object() || !at->contains(part)) {
      return nullptr;
    }
    at = &(*at)[part];
  }
  return at;
}

void expect_refs_resolve(const nlohmann::json& doc, const nlohmann::json& node, int& count) {
  if (node.is_object()) {
    if (node.contains("$ref")) {
      ++count;
      EXPECT_NE(resolve(doc, node["$ref"].get<std::string>()), nullptr) << node["$ref"];
    }
    for (const auto& [k, v] : node.items()) {
      expect_refs_resolve(doc, v, count);
    }
  } else if (node.is_array()) {
    for (const auto& v : node) {
      expect_refs_resolve(doc, v, count);
    }
  }
}

TEST_F(AdminApiTest, OpenApiDocumentDescribesExactlyTheRoutedOperations) {
  const auto& doc = api_->openapi();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_EQ(doc["servers"][0]["url"], "https://gate.example/admin/api/v1");
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      const std::string id = op["operationId"];
      EXPECT_TRUE(documented.insert(id).second) << id << " twice";
      EXPECT_TRUE(op.contains("responses") && op["responses"].contains("200")) << id;
      EXPECT_TRUE(op["responses"].contains("401") && op["responses"].contains("403")) << id;
      const RouteMatch m = match_route(verb_of(method), fill(path, "u1", "g1"));
      ASSERT_NE(m.op, nullptr) << method << " " << path;
      EXPECT_EQ(std::string(m.op->operation_id), id);
      EXPECT_EQ(op["security"][0]["gateOAuth"][0], std::string(m.op->scope));
    }
  }
  EXPECT_EQ(documented.size(), operations().size());
  int refs = 0;
  expect_refs_resolve(doc, doc, refs);
  EXPECT_GT(refs, 20);
  EXPECT_EQ(doc["components"]["securitySchemes"]["gateOAuth"]["flows"]["authorizationCode"]["tokenUrl"],
            "https://gate.example/token");
}

// The authorization table: every operation the document lists is refused to a caller without
// the operation's permission (bob: no role) and to a caller whose token lacks its scope, and
// reaches the operation for alice (admin). A new route is in the document (it is generated
// from the same table), so it cannot escape this test.
TEST_F(AdminApiTest, EveryDocumentedOperationNeedsItsPermissionAndScope) {
  const auto& doc = api_->openapi();
  int checked = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      ASSERT_TRUE(deprovisioning_->reactivate("bob").ok());  // deactivateUser ran before
      const std::string grant = add_grant("bob");
      std::string target = "/admin/api/v1" + fill(path, "bob", grant);
      const std::string id = op["operationId"];
      SCOPED_TRACE(id);
      // Required query and body arguments (a client is named by its client_id).
      // Bodies the fixture makes for operations that need data (sample_body), else the rule below.
      std::string body = sample_body(id, grant);
      nlohmann::json body_args = nlohmann::json::object();
      char sep = '?';
      for (const auto& p : find_operation(id)->params) {
        if (!p.required || p.in == ParamIn::kPath || !body.empty()) {
          continue;
        }
        ASSERT_EQ(p.name, "client_id") << "no fixture value for " << p.name;
        const std::string value = store_->find_grant(grant)->client_id;
        if (p.in == ParamIn::kQuery) {
          target += sep + std::string(p.name) + "=" + value;
          sep = '&';
        } else {
          body_args[std::string(p.name)] = value;
        }
      }
      if (!body_args.empty()) {
        body = body_args.dump();
      }
      const Reply no_role = call(verb_of(method), target, as("bob"));
      EXPECT_EQ(no_role.status, 403);
      EXPECT_EQ(no_role.body["error"], "forbidden");
      EXPECT_NE(no_role.body["error_description"].get<std::string>().find(
                    op["x-mcpgate-permission"].get<std::string>()),
                std::string::npos);
      const Reply no_token = call(verb_of(method), target, "");
      EXPECT_EQ(no_token.status, 401);
      EXPECT_FALSE(no_token.raw[http::Field::www_authenticate].empty());
      const Reply no_scope = call(verb_of(method), target, as("alice", "default", "calendar:read"));
      EXPECT_EQ(no_scope.status, 403);
      EXPECT_EQ(no_scope.body["error"], "insufficient_scope");
      EXPECT_NE(std::string(no_scope.raw[http::Field::www_authenticate]).find("insufficient_scope"),
                std::string::npos);
      // Another organization's store does not count: carol administers acme, not default.
      const Reply foreign = call(verb_of(method), target, as("carol", "default"));
      EXPECT_EQ(foreign.status, 403);
      // An organization without a store (unknown): refused, never a default.
      const Reply ghost = call(verb_of(method), target, as("alice", "ghost"));
      EXPECT_EQ(ghost.status, 403);
      const Reply allowed = call(verb_of(method), target, as("alice"), body);
      EXPECT_EQ(allowed.status, 200) << allowed.raw.body();
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(operations().size()));
}

TEST_F(AdminApiTest, ReadScopeReadsButDoesNotWrite) {
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("alice", "default", "admin:read")).status, 200);
  const Reply r = call(verb::post, "/admin/api/v1/users/bob/deactivate", as("alice", "default", "admin:read"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"], "insufficient_scope");
  EXPECT_FALSE(store_->find_user("bob")->disabled);
}

TEST_F(AdminApiTest, RolesCarryTheirPermissionsOnly) {
  const std::string grant = add_grant("bob");
  // helpdesk: reads users and grants, revokes grants, cannot deactivate.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("helen")).status, 200);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/users/bob/deactivate", as("helen")).status, 403);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/bob/grants/" + grant, as("helen")).status, 200);
  // auditor: reads only.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/bob/grants", as("audrey")).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/clients", as("audrey")).status, 200);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/bob/grants/" + add_grant("bob"), as("audrey")).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/users/bob/reactivate", as("audrey")).status, 403);
}

// --- organization isolation ---------------------------------------------------------------

TEST_F(AdminApiTest, AnAdminOfAcmeCannotSeeOrTouchDefaultsUsers) {
  const std::string grant = add_grant("alice");
  const Reply list = call(verb::get, "/admin/api/v1/users", as("carol", "acme"));
  ASSERT_EQ(list.status, 200);
  std::set<std::string> ids;
  for (const auto& u : list.body["items"]) {
    ids.insert(u["id"]);
    EXPECT_EQ(u["org_id"], "acme");
  }
  EXPECT_EQ(ids, (std::set<std::string>{"carol", "dave"}));
  // Another organization's user is answered exactly as a missing one.
  const Reply get = call(verb::get, "/admin/api/v1/users/alice", as("carol", "acme"));
  const Reply missing = call(verb::get, "/admin/api/v1/users/nobody", as("carol", "acme"));
  EXPECT_EQ(get.status, 404);
  EXPECT_EQ(get.raw.body(), missing.raw.body());
  EXPECT_EQ(call(verb::post, "/admin/api/v1/users/alice/deactivate", as("carol", "acme")).status, 404);
  EXPECT_FALSE(store_->find_user("alice")->disabled);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/alice/grants", as("carol", "acme")).status, 404);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/alice/grants/" + grant, as("carol", "acme")).status, 404);
  EXPECT_FALSE(store_->find_grant(grant)->revoked_at.has_value());
  // And a grant of default's user named under acme's user is not found either.
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/dave/grants/" + grant, as("carol", "acme")).status, 404);
  // The other way round, alice cannot reach acme's users.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/dave", as("alice")).status, 404);
  // Gate-wide operations (every tenant's clients) are the operator organization's alone.
  const Reply clients = call(verb::get, "/admin/api/v1/clients", as("carol", "acme"));
  EXPECT_EQ(clients.status, 403);
  EXPECT_NE(clients.body["error_description"].get<std::string>().find("operator organization"),
            std::string::npos);
}

// --- the operations -------------------------------------------------------------------------

TEST_F(AdminApiTest, DeactivatesAndReactivatesThroughDeprovisioning) {
  add_grant("bob");
  const Reply off = call(verb::post, "/admin/api/v1/users/bob/deactivate", as("alice"),
                         R"({"reason":"left the company"})");
  ASSERT_EQ(off.status, 200) << off.raw.body();
  EXPECT_EQ(off.body["user"]["disabled"], true);
  EXPECT_EQ(off.body["user"]["deprovisioned_at"], 1000);
  EXPECT_EQ(off.body["grants_revoked"], 1);
  EXPECT_EQ(off.body["tokens_revoked"], 1);
  EXPECT_TRUE(store_->find_user("bob")->disabled);
  EXPECT_TRUE(store_->list_user_grants("bob")->empty());
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/bob", as("alice")).body["disabled"], true);
  const Reply on = call(verb::post, "/admin/api/v1/users/bob/reactivate", as("alice"));
  ASSERT_EQ(on.status, 200);
  EXPECT_EQ(on.body["was_disabled"], true);
  EXPECT_FALSE(store_->find_user("bob")->disabled);
}

TEST_F(AdminApiTest, AnAdminCannotDeactivateThemselves) {
  const Reply r = call(verb::post, "/admin/api/v1/users/alice/deactivate", as("alice"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body["error"], "conflict");
  EXPECT_FALSE(store_->find_user("alice")->disabled);
}

TEST_F(AdminApiTest, ListsAndRevokesGrants) {
  const std::string g1 = add_grant("bob");
  const std::string g2 = add_grant("bob");
  const Reply list = call(verb::get, "/admin/api/v1/users/bob/grants", as("alice"));
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 2U);
  EXPECT_EQ(list.body["items"][0]["scopes"], nlohmann::json::array({"calendar:read"}));
  const Reply revoked = call(verb::delete_, "/admin/api/v1/users/bob/grants/" + g1, as("alice"));
  ASSERT_EQ(revoked.status, 200);
  EXPECT_EQ(revoked.body["tokens_revoked"], 1);
  EXPECT_EQ(told_revoked_, 1U);  // this process's guards learn the jti at once
  const Reply after = call(verb::get, "/admin/api/v1/users/bob/grants", as("alice"));
  ASSERT_EQ(after.body["items"].size(), 1U);
  EXPECT_EQ(after.body["items"][0]["id"], g2);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/bob/grants/nope", as("alice")).status, 404);
  // A grant of bob's named under alice: not found (the path must name its owner).
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/alice/grants/" + g2, as("alice")).status, 404);
}

TEST_F(AdminApiTest, PagesUsersWithACap) {
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    const std::string target =
        "/admin/api/v1/users?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor);
    const Reply r = call(verb::get, target, as("alice"));
    ASSERT_EQ(r.status, 200) << r.raw.body();
    EXPECT_LE(r.body["items"].size(), 3U);
    for (const auto& u : r.body["items"]) {
      seen.push_back(u["id"]);
    }
    if (r.body["next_cursor"].is_null()) {
      break;
    }
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"alice", "audrey", "bob", "helen"}));
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users?limit=6", as("alice")).status, 400);  // cap 5
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("alice")).body["items"].size(), 4U);
}

TEST_F(AdminApiTest, ListsClientsWithoutSecrets) {
  store::Client c;
  c.client_id = "confidential-one";
  c.kind = store::ClientKind::kStatic;
  c.secret_hash = store::hash_secret("a secret");
  c.metadata = {{"client_name", "Ops"}, {"client_secret", "leaked?"}, {"token_endpoint_auth_method", "client_secret_basic"}};
  ASSERT_TRUE(store_->create_client(c).ok());
  const Reply r = call(verb::get, "/admin/api/v1/clients", as("alice"));
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["items"].size(), 1U);
  const auto& item = r.body["items"][0];
  EXPECT_EQ(item["kind"], "static");
  EXPECT_EQ(item["client_name"], "Ops");
  EXPECT_EQ(item["confidential"], true);
  EXPECT_FALSE(item["metadata"].contains("client_secret"));
  EXPECT_EQ(r.raw.body().find("leaked"), std::string::npos);
}

// --- sessions -------------------------------------------------------------------------------

TEST_F(AdminApiTest, ListsTheOrganizationsSessionsWithFiltersAndPages) {
  const std::string b1 = add_grant("bob");
  const std::string b2 = add_grant("bob");
  const std::string a1 = add_grant("alice");
  const std::string c1 = add_grant("carol");  // acme's
  const std::string revoked = add_grant("bob");
  ASSERT_TRUE(store_->revoke_grant(revoked, 1000).ok());
  const Reply all = call(verb::get, "/admin/api/v1/sessions", as("alice"));
  ASSERT_EQ(all.status, 200) << all.raw.body();
  std::set<std::string> ids;
  for (const auto& s : all.body["items"]) {
    ids.insert(s["id"]);
    EXPECT_EQ(s["client_name"], "Agent");
    EXPECT_EQ(s["scopes"], nlohmann::json::array({"calendar:read"}));
    EXPECT_EQ(s["resources"], nlohmann::json::array({"https://gate.example/mcp"}));
    EXPECT_EQ(s["last_token_at"], 900);
    EXPECT_EQ(s["access_expires_at"], 1900);
    EXPECT_TRUE(s["revoked_at"].is_null());
  }
  EXPECT_EQ(ids, (std::set<std::string>{b1, b2, a1}));  // not acme's, not the revoked one
  const Reply bobs = call(verb::get, "/admin/api/v1/sessions?user_id=bob", as("alice"));
  ASSERT_EQ(bobs.status, 200);
  ASSERT_EQ(bobs.body["items"].size(), 2U);
  EXPECT_EQ(bobs.body["items"][0]["username"], "bob");
  const std::string client = bobs.body["items"][0]["client_id"];
  const Reply by_client = call(verb::get, "/admin/api/v1/sessions?client_id=" + client, as("alice"));
  ASSERT_EQ(by_client.body["items"].size(), 1U);
  EXPECT_EQ(by_client.body["items"][0]["client_id"], client);
  // acme's user as a filter: nothing, not carol's session.
  EXPECT_TRUE(call(verb::get, "/admin/api/v1/sessions?user_id=carol", as("alice")).body["items"].empty());
  // Pages of one cover the three exactly once.
  std::vector<std::string> seen;
  std::string cursor;
  for (int i = 0; i < 5; ++i) {
    const Reply r = call(verb::get, "/admin/api/v1/sessions?limit=1" +
                                        (cursor.empty() ? "" : "&cursor=" + cursor), as("alice"));
    ASSERT_EQ(r.status, 200);
    for (const auto& s : r.body["items"]) {
      seen.push_back(s["id"]);
    }
    if (r.body["next_cursor"].is_null()) {
      break;
    }
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), ids);
  EXPECT_EQ(seen.size(), 3U);
  // carol (acme) sees hers only.
  const Reply acme = call(verb::get, "/admin/api/v1/sessions", as("carol", "acme"));
  ASSERT_EQ(acme.body["items"].size(), 1U);
  EXPECT_EQ(acme.body["items"][0]["id"], c1);
}

TEST_F(AdminApiTest, GetsAndRevokesASessionInTheCallersOrganizationOnly) {
  const std::string grant = add_grant("bob");
  const Reply got = call(verb::get, "/admin/api/v1/sessions/" + grant, as("alice"));
  ASSERT_EQ(got.status, 200) << got.raw.body();
  EXPECT_EQ(got.body["user_id"], "bob");
  // acme's administrator: not found, the same body as a missing session.
  const Reply foreign = call(verb::get, "/admin/api/v1/sessions/" + grant, as("carol", "acme"));
  const Reply missing = call(verb::get, "/admin/api/v1/sessions/nope", as("carol", "acme"));
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.raw.body(), missing.raw.body());
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/sessions/" + grant, as("carol", "acme")).status, 404);
  EXPECT_FALSE(store_->find_grant(grant)->revoked_at.has_value());
  EXPECT_EQ(told_revoked_, 0U);

  const Reply revoked = call(verb::delete_, "/admin/api/v1/sessions/" + grant, as("alice"));
  ASSERT_EQ(revoked.status, 200) << revoked.raw.body();
  EXPECT_EQ(revoked.body["grant_id"], grant);
  EXPECT_EQ(revoked.body["already_revoked"], false);
  EXPECT_EQ(revoked.body["tokens_revoked"], 1);
  EXPECT_EQ(told_revoked_, 1U);  // this process's guards learn the jti at once
  EXPECT_EQ(store_->find_grant(grant)->revoked_at, 1000);
  // Gone from the list, still readable (revoked_at set); revoking again is harmless.
  EXPECT_TRUE(call(verb::get, "/admin/api/v1/sessions", as("alice")).body["items"].empty());
  EXPECT_EQ(call(verb::get, "/admin/api/v1/sessions/" + grant, as("alice")).body["revoked_at"], 1000);
  const Reply again = call(verb::delete_, "/admin/api/v1/sessions/" + grant, as("alice"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["already_revoked"], true);
}

TEST_F(AdminApiTest, HelpdeskListsAndRevokesSessionsAuditorOnlyLists) {
  const std::string grant = add_grant("bob");
  EXPECT_EQ(call(verb::get, "/admin/api/v1/sessions", as("audrey")).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/sessions/" + grant, as("audrey")).status, 200);
  const Reply denied = call(verb::delete_, "/admin/api/v1/sessions/" + grant, as("audrey"));
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body["error_description"].get<std::string>().find("can_revoke_sessions"),
            std::string::npos);
  EXPECT_FALSE(store_->find_grant(grant)->revoked_at.has_value());
  EXPECT_EQ(call(verb::get, "/admin/api/v1/sessions", as("helen")).body["items"].size(), 1U);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/sessions/" + grant, as("helen")).status, 200);
  EXPECT_TRUE(store_->find_grant(grant)->revoked_at.has_value());
  // No role, read scope only: refused before anything is looked up.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/sessions", as("bob")).status, 403);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/sessions/" + add_grant("bob"),
                 as("helen", "default", "admin:read")).status, 403);
}

TEST_F(AdminApiTest, SessionFiltersRefuseHostileInput) {
  for (const std::string& target : std::vector<std::string>{
           "/admin/api/v1/sessions?user_id=a%2Fb", "/admin/api/v1/sessions?user_id=",
           "/admin/api/v1/sessions?user_id=" + std::string(129, 'u'),
           "/admin/api/v1/sessions?client_id=a%0Ab", "/admin/api/v1/sessions?client_id=%00",
           "/admin/api/v1/sessions?client_id=" + std::string(2049, 'c'),
           "/admin/api/v1/sessions?user_id=bob&user_id=alice", "/admin/api/v1/sessions/..",
           "/admin/api/v1/sessions/x'%20OR%20'1'='1", "/admin/api/v1/sessions?cursor=%ff"}) {
    SCOPED_TRACE(target.substr(0, 80));
    const Reply r = call(verb::get, target, as("alice"));
    EXPECT_EQ(r.status, 400) << r.raw.body();
    EXPECT_TRUE(r.body["error"].is_string());
  }
  // A CIMD client id (an https URL) is a valid filter; SQL metacharacters are just text.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/sessions?client_id=https%3A%2F%2Fagent.example%2Fcimd.json",
                 as("alice")).status, 200);
  EXPECT_TRUE(call(verb::get, "/admin/api/v1/sessions?client_id=x'%20OR%20'1'%3D'1", as("alice"))
                  .body["items"].empty());
}

// --- organization and groups ----------------------------------------------------------------

TEST_F(AdminApiTest, GetsTheCallersOwnOrganizationWithCounts) {
  add_grant("bob");
  ASSERT_TRUE(deprovisioning_->deactivate("audrey").ok());
  const Reply r = call(verb::get, "/admin/api/v1/organization", as("alice"));
  ASSERT_EQ(r.status, 200) << r.raw.body();
  EXPECT_EQ(r.body["id"], "default");
  EXPECT_EQ(r.body["sso_configured"], false);
  EXPECT_EQ(r.body["counts"]["users"], 4);
  EXPECT_EQ(r.body["counts"]["disabled_users"], 1);
  EXPECT_EQ(r.body["counts"]["live_sessions"], 1);
  EXPECT_EQ(r.body["counts"]["groups"], 1);
  const Reply acme = call(verb::get, "/admin/api/v1/organization", as("carol", "acme"));
  ASSERT_EQ(acme.status, 200);
  EXPECT_EQ(acme.body["id"], "acme");
  EXPECT_EQ(acme.body["name"], "Acme");
  EXPECT_EQ(acme.body["sso_configured"], true);
  EXPECT_EQ(acme.body["counts"]["users"], 2);
  EXPECT_EQ(acme.body["counts"]["live_sessions"], 0);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/organization", as("helen")).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/organization", as("bob")).status, 403);
}

TEST_F(AdminApiTest, ListsEveryOrganizationToTheOperatorOnlyPaged) {
  const Reply r = call(verb::get, "/admin/api/v1/organizations", as("alice"));
  ASSERT_EQ(r.status, 200) << r.raw.body();
  ASSERT_EQ(r.body["items"].size(), 2U);
  EXPECT_EQ(r.body["items"][0]["id"], "acme");  // ordered by id
  EXPECT_EQ(r.body["items"][0]["sso_configured"], true);
  EXPECT_EQ(r.body["items"][0]["counts"]["users"], 2);
  EXPECT_EQ(r.body["items"][1]["id"], "default");
  EXPECT_EQ(r.body["items"][1]["counts"]["users"], 4);
  EXPECT_TRUE(r.body["next_cursor"].is_null());
  // One per page: the cursor leads to the second and last.
  const Reply first = call(verb::get, "/admin/api/v1/organizations?limit=1", as("alice"));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(first.body["items"].size(), 1U);
  EXPECT_EQ(first.body["items"][0]["id"], "acme");
  ASSERT_TRUE(first.body["next_cursor"].is_string());
  const Reply second = call(verb::get,
                            "/admin/api/v1/organizations?limit=1&cursor=" +
                                first.body["next_cursor"].get<std::string>(),
                            as("alice"));
  ASSERT_EQ(second.status, 200) << second.raw.body();
  ASSERT_EQ(second.body["items"].size(), 1U);
  EXPECT_EQ(second.body["items"][0]["id"], "default");
  EXPECT_TRUE(second.body["next_cursor"].is_null());
  // acme's administrator administers acme, not the gate: no list of the others.
  const Reply carol = call(verb::get, "/admin/api/v1/organizations", as("carol", "acme"));
  EXPECT_EQ(carol.status, 403);
  EXPECT_NE(carol.body["error_description"].get<std::string>().find("operator organization"),
            std::string::npos);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/organizations", as("bob")).status, 403);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/organizations?cursor=%00", as("alice")).status, 400);
}

TEST_F(AdminApiTest, GroupsAreTheOrganizationsWithTheirMembers) {
  store::ScimResource sam;
  sam.id = "sam";
  sam.org_id = "default";
  sam.name = "sam";
  ASSERT_TRUE(store_->create_scim_user(sam, "").ok());
  for (const char* id : {"group-a", "group-b"}) {
    store::ScimResource g;
    g.id = id;
    g.org_id = "default";
    g.name = id;
    g.members = {store::ScimMember{"sam", "sam"}};
    ASSERT_TRUE(store_->create_scim_group(g, store::ScimTupleTarget{"store-default", 100}).ok());
  }
  store::ScimResource theirs;
  theirs.id = "group-acme";
  theirs.org_id = "acme";
  theirs.name = "Acme people";
  ASSERT_TRUE(store_->create_scim_group(theirs, store::ScimTupleTarget{"store-acme", 100}).ok());

  const Reply got = call(verb::get, "/admin/api/v1/groups/group-a", as("helen"));
  ASSERT_EQ(got.status, 200) << got.raw.body();
  EXPECT_EQ(got.body["display_name"], "group-a");
  ASSERT_EQ(got.body["members"].size(), 1U);
  EXPECT_EQ(got.body["members"][0]["user_id"], "sam");
  // Pages of two: three groups of default, never acme's.
  std::vector<std::string> seen;
  std::string cursor;
  for (int i = 0; i < 5; ++i) {
    const Reply r = call(verb::get, "/admin/api/v1/groups?limit=2" +
                                        (cursor.empty() ? "" : "&cursor=" + cursor), as("audrey"));
    ASSERT_EQ(r.status, 200) << r.raw.body();
    EXPECT_EQ(r.body["total"], 3);
    for (const auto& g : r.body["items"]) {
      seen.push_back(g["id"]);
    }
    if (r.body["next_cursor"].is_null()) {
      break;
    }
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"group-a", "group-b", kGroupId}));
  const Reply foreign = call(verb::get, "/admin/api/v1/groups/group-acme", as("alice"));
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.raw.body(), call(verb::get, "/admin/api/v1/groups/nope", as("alice")).raw.body());
  EXPECT_EQ(call(verb::get, "/admin/api/v1/groups/group-acme", as("carol", "acme")).status, 200);
  // A cursor that is not a position of ours.
  for (const std::string& bad : std::vector<std::string>{"/admin/api/v1/groups?cursor=" + cursor_after("x1"),
                                "/admin/api/v1/groups?cursor=" + cursor_after("-1"),
                                "/admin/api/v1/groups?cursor=" + cursor_after("99999999999999")}) {
    EXPECT_EQ(call(verb::get, bad, as("alice")).status, 400) << bad;
  }
  EXPECT_EQ(call(verb::get, "/admin/api/v1/groups", as("bob")).status, 403);
}

// --- clients --------------------------------------------------------------------------------

TEST_F(AdminApiTest, GetsAClientWithItsRegistrationFactsButNoSecret) {
  store::Client c;
  c.client_id = "https://agent.example/cimd.json";
  c.kind = store::ClientKind::kCimd;
  c.metadata = {{"client_name", "Remote agent"}};
  c.created_at = 100;
  ASSERT_TRUE(store_->create_client(c).ok());
  ASSERT_TRUE(store_->put_cimd_document(store::CimdDocument{c.client_id, "{}", 500, 800}).ok());
  store::Client dcr;
  dcr.client_id = "dcr-one";
  dcr.kind = store::ClientKind::kDcr;
  dcr.secret_hash = store::hash_secret("s3cret-value");
  dcr.secret_expires_at = 9000;
  dcr.registration_token_hash = store::hash_secret("reg-token-value");
  dcr.metadata = {{"client_name", "Dyn"}, {"client_secret", "s3cret-value"}};
  ASSERT_TRUE(store_->create_client(dcr).ok());

  const Reply cimd = call(verb::get, "/admin/api/v1/client?client_id=https%3A%2F%2Fagent.example%2Fcimd.json", as("audrey"));
  ASSERT_EQ(cimd.status, 200) << cimd.raw.body();
  EXPECT_EQ(cimd.body["kind"], "cimd");
  EXPECT_EQ(cimd.body["cimd"]["document_url"], c.client_id);
  EXPECT_EQ(cimd.body["cimd"]["fetched_at"], 500);
  EXPECT_EQ(cimd.body["cimd"]["expires_at"], 800);
  const Reply d = call(verb::get, "/admin/api/v1/client?client_id=dcr-one", as("alice"));
  ASSERT_EQ(d.status, 200);
  EXPECT_TRUE(d.body["cimd"].is_null());
  EXPECT_EQ(d.body["confidential"], true);
  EXPECT_EQ(d.body["client_secret_expires_at"], 9000);
  EXPECT_EQ(d.body["registration_management"], true);
  EXPECT_EQ(d.raw.body().find("s3cret"), std::string::npos);
  EXPECT_EQ(d.raw.body().find("reg-token"), std::string::npos);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/client?client_id=nope", as("alice")).status, 404);
  // Gate-wide: not for acme's administrator.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/client?client_id=dcr-one", as("carol", "acme")).status, 403);
}

TEST_F(AdminApiTest, DisablingAClientRevokesItsSessionsAndEnablingDoesNotRestoreThem) {
  const std::string grant = add_grant("bob");
  const std::string client = store_->find_grant(grant)->client_id;
  const std::string body = nlohmann::json{{"client_id", client}, {"reason", "compromised"}}.dump();
  EXPECT_EQ(call(verb::post, "/admin/api/v1/client/disable", as("helen"), body).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/client/disable", as("audrey"), body).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/client/disable", as("carol", "acme"), body).status, 403);
  EXPECT_FALSE(store_->find_client(client)->disabled);
  const Reply off = call(verb::post, "/admin/api/v1/client/disable", as("alice"), body);
  ASSERT_EQ(off.status, 200) << off.raw.body();
  EXPECT_EQ(off.body["disabled"], true);
  EXPECT_EQ(off.body["was_disabled"], false);
  EXPECT_EQ(off.body["tokens_revoked"], 1);
  EXPECT_EQ(told_revoked_, 1U);
  EXPECT_TRUE(store_->find_client(client)->disabled);
  EXPECT_TRUE(store_->find_grant(grant)->revoked_at.has_value());
  EXPECT_EQ(call(verb::get, "/admin/api/v1/client?client_id=" + client, as("alice")).body["disabled"], true);
  const Reply on = call(verb::post, "/admin/api/v1/client/enable", as("alice"), body);
  ASSERT_EQ(on.status, 200);
  EXPECT_EQ(on.body["was_disabled"], true);
  EXPECT_EQ(on.body["tokens_revoked"], 0);
  EXPECT_FALSE(store_->find_client(client)->disabled);
  EXPECT_TRUE(store_->find_grant(grant)->revoked_at.has_value());
  EXPECT_EQ(call(verb::post, "/admin/api/v1/client/disable", as("alice"), R"({"client_id":"nope"})").status, 404);
  const std::vector<std::string> bad_bodies = {
      "{}", R"({"client_id":7})", "{\"client_id\":\"a\\nb\"}",
      R"({"client_id":")" + std::string(2049, 'c') + "\"}"};
  for (const std::string& bad : bad_bodies) {
    EXPECT_NE(call(verb::post, "/admin/api/v1/client/disable", as("alice"), bad).status, 200) << bad.substr(0, 40);
  }
}

// --- audit ----------------------------------------------------------------------------------

store::AuditRecord admin_test_record(std::int64_t seq, const std::string& prev, const std::string& org,
                                     const std::string& user, const std::string& decision,
                                     std::int64_t time_ms) {
  nlohmann::json j = {{"v", 1},        {"seq", seq},           {"prev", prev},
                      {"user", user},  {"client_id", "agent"}, {"upstream", "calendar"},
                      {"tool", "list_events"}, {"decision", decision}, {"time_ms", time_ms}};
  if (!org.empty()) {
    j["org"] = org;
  }
  const std::string text = j.dump();
  return store::AuditRecord{seq, text, crypto::hex_encode(crypto::sha256(text))};
}

std::vector<store::AuditRecord> admin_test_chain(
    const std::vector<std::tuple<std::string, std::string, std::string>>& rows) {
  std::vector<store::AuditRecord> out;
  std::string prev(64, '0');
  for (const auto& [org, user, decision] : rows) {
    out.push_back(admin_test_record(static_cast<std::int64_t>(out.size()) + 1, prev, org, user,
                                    decision, 1000 * static_cast<std::int64_t>(out.size() + 1)));
    prev = out.back().hash;
  }
  return out;
}

TEST_F(AdminApiTest, SearchesOnlyTheCallersOrganizationsAuditRecords) {
  ASSERT_TRUE(store_->append_audit_records(admin_test_chain({{"default", "bob", "allow"},
                                                             {"acme", "dave", "allow"},
                                                             {"default", "bob", "deny"},
                                                             {"default", "alice", "allow"}}))
                  .ok());
  const Reply all = call(verb::get, "/admin/api/v1/audit", as("audrey"));
  ASSERT_EQ(all.status, 200) << all.raw.body();
  std::vector<std::int64_t> seqs;
  for (const auto& r : all.body["items"]) {
    seqs.push_back(r["seq"]);
    EXPECT_EQ(r["record"]["org"], "default");
  }
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{4, 3, 1}));
  const Reply denied = call(verb::get, "/admin/api/v1/audit?user_id=bob&decision=deny&tool=list_events", as("alice"));
  ASSERT_EQ(denied.body["items"].size(), 1U);
  EXPECT_EQ(denied.body["items"][0]["seq"], 3);
  const Reply window = call(verb::get, "/admin/api/v1/audit?from_ms=1000&to_ms=3000", as("alice"));
  ASSERT_EQ(window.body["items"].size(), 1U);
  EXPECT_EQ(window.body["items"][0]["seq"], 1);
  const Reply page = call(verb::get, "/admin/api/v1/audit?limit=2", as("alice"));
  ASSERT_EQ(page.body["items"].size(), 2U);
  const Reply next = call(verb::get, "/admin/api/v1/audit?limit=2&cursor=" +
                                         page.body["next_cursor"].get<std::string>(), as("alice"));
  ASSERT_EQ(next.body["items"].size(), 1U);
  EXPECT_EQ(next.body["items"][0]["seq"], 1);
  EXPECT_TRUE(next.body["next_cursor"].is_null());
  const Reply acme = call(verb::get, "/admin/api/v1/audit", as("carol", "acme"));
  ASSERT_EQ(acme.body["items"].size(), 1U);
  EXPECT_EQ(acme.body["items"][0]["record"]["user"], "dave");
  // helpdesk does not read the audit log.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/audit", as("helen")).status, 403);
  for (const std::string& bad : std::vector<std::string>{"decision=maybe", "from_ms=-1", "to_ms=abc", "user_id=a%00b",
                                "cursor=" + cursor_after("0"), "cursor=" + cursor_after("x"),
                                "tool=" + std::string(257, 't')}) {
    EXPECT_EQ(call(verb::get, "/admin/api/v1/audit?" + bad, as("alice")).status, 400) << bad.substr(0, 40);
  }
}

TEST_F(AdminApiTest, AuditStatusVerifiesTheStoredChainAndNamesTheFirstBadRecord) {
  const Reply empty = call(verb::get, "/admin/api/v1/audit/status", as("audrey"));
  ASSERT_EQ(empty.status, 200) << empty.raw.body();
  EXPECT_EQ(empty.body["ok"], true);
  EXPECT_EQ(empty.body["records"], 0);
  auto chain = admin_test_chain({{"default", "bob", "allow"}, {"acme", "dave", "allow"},
                                 {"default", "bob", "deny"}, {"default", "bob", "deny"},
                                 {"default", "bob", "deny"}});
  ASSERT_TRUE(store_->append_audit_records(chain).ok());
  const Reply good = call(verb::get, "/admin/api/v1/audit/status", as("alice"));
  EXPECT_EQ(good.body["ok"], true);
  EXPECT_EQ(good.body["records"], 5);  // read in batches of 2
  EXPECT_EQ(good.body["last_seq"], 5);
  EXPECT_EQ(good.body["last_hash"], chain.back().hash);
  EXPECT_TRUE(good.body["first_bad_seq"].is_null());
  // A record whose prev is not its predecessor's hash (the store checks each record's own hash
  // only): the chain is broken there.
  ASSERT_TRUE(store_->append_audit_records({admin_test_record(6, std::string(64, 'f'), "default", "eve", "allow", 9000)}).ok());
  const Reply broken = call(verb::get, "/admin/api/v1/audit/status", as("alice"));
  EXPECT_EQ(broken.body["ok"], false);
  EXPECT_EQ(broken.body["first_bad_seq"], 6);
  EXPECT_EQ(broken.body["problem"]["kind"], "prev_mismatch");
  EXPECT_EQ(broken.body["records"], 5);
  // Gate-wide, and not for helpdesk.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/audit/status", as("carol", "acme")).status, 403);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/audit/status", as("helen")).status, 403);
}

// --- signing keys ---------------------------------------------------------------------------

TEST_F(AdminApiTest, ListsAndRotatesSigningKeysWithoutPrivateMaterial) {
  ASSERT_TRUE(oauth::ensure_signing_keys(*store_, 100).ok());
  const Reply before = call(verb::get, "/admin/api/v1/signing-keys", as("audrey"));
  ASSERT_EQ(before.status, 200) << before.raw.body();
  ASSERT_EQ(before.body["items"].size(), 2U);
  std::string next_kid;
  for (const auto& k : before.body["items"]) {
    EXPECT_EQ(k["alg"], "ES256");
    EXPECT_FALSE(k["public_jwk"].contains("d"));
    if (k["state"] == "next") {
      next_kid = k["kid"];
    }
  }
  EXPECT_EQ(before.raw.body().find("PRIVATE"), std::string::npos);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/signing-keys/rotate", as("audrey")).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/signing-keys/rotate", as("helen")).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/signing-keys/rotate", as("carol", "acme")).status, 403);
  EXPECT_EQ(keys_reloaded_, 0);
  const Reply rotated = call(verb::post, "/admin/api/v1/signing-keys/rotate", as("alice"),
                             R"({"reason":"scheduled"})");
  ASSERT_EQ(rotated.status, 200) << rotated.raw.body();
  EXPECT_EQ(rotated.body["active_kid"], next_kid);
  EXPECT_EQ(rotated.body["reloaded"], true);
  EXPECT_EQ(keys_reloaded_, 1);
  const Reply after = call(verb::get, "/admin/api/v1/signing-keys", as("alice"));
  ASSERT_EQ(after.body["items"].size(), 3U);  // retired, active, next
  for (const auto& k : after.body["items"]) {
    if (k["kid"] == next_kid) {
      EXPECT_EQ(k["state"], "active");
    }
  }
}

// --- hostile input --------------------------------------------------------------------------

TEST_F(AdminApiTest, RefusesHostileInput) {
  struct Case {
    verb method;
    std::string target;
    std::string body;
    std::string content_type;
    int status;
  };
  const std::string big(9000, 'x');
  const std::vector<Case> cases = {
      {verb::post, "/admin/api/v1/users/bob/deactivate", "{not json", "application/json", 400},
      {verb::post, "/admin/api/v1/users/bob/deactivate", "[1,2]", "application/json", 400},
      {verb::post, "/admin/api/v1/users/bob/deactivate", R"({"reason":1})", "application/json", 400},
      {verb::post, "/admin/api/v1/users/bob/deactivate", R"({"other":"x"})", "application/json", 400},
      {verb::post, "/admin/api/v1/users/bob/deactivate", R"({"reason":")" + big + "\"}", "application/json", 413},
      {verb::post, "/admin/api/v1/users/bob/deactivate", R"({"reason":"x"})", "text/plain", 415},
      {verb::post, "/admin/api/v1/users/bob/deactivate", "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "application/json", 400},
      {verb::post, "/admin/api/v1/users/bob/deactivate", "{\"reason\":\"\xff\xfe\"}", "application/json", 400},
      {verb::get, "/admin/api/v1/users", "{}", "application/json", 400},  // no body on reads
      {verb::get, "/admin/api/v1/users/..", "", "", 400},
      {verb::get, "/admin/api/v1/users/%2e%2e", "", "", 400},
      {verb::get, "/admin/api/v1/users/a%2Fb", "", "", 400},
      {verb::get, "/admin/api/v1/users/" + std::string(129, 'a'), "", "", 400},
      {verb::get, "/admin/api/v1/users/al\xc3\xad" "ce", "", "", 400},
      {verb::get, "/admin/api/v1/users/", "", "", 400},
      {verb::get, "/admin/api/v1/users/../clients", "", "", 404},
      {verb::get, "/admin/api/v1/users//grants", "", "", 400},
      {verb::get, "/admin/api/v1/nothing", "", "", 404},
      {verb::get, "/admin/api/v1", "", "", 404},
      {verb::get, "/admin/api/v2/users", "", "", 404},
      {verb::put, "/admin/api/v1/users", "", "", 405},
      {verb::get, "/admin/api/v1/users?limit=0", "", "", 400},
      {verb::get, "/admin/api/v1/users?limit=abc", "", "", 400},
      {verb::get, "/admin/api/v1/users?limit=99999999999999999999", "", "", 400},
      {verb::get, "/admin/api/v1/users?limit=1&limit=2", "", "", 400},
      {verb::get, "/admin/api/v1/users?cursor=!!!", "", "", 400},
      {verb::get, "/admin/api/v1/users?cursor=", "", "", 400},
      {verb::get, "/admin/api/v1/users?filter=x", "", "", 400},
      {verb::get, "/admin/api/v1/users?limit=%zz", "", "", 400},
      {verb::get, "/admin/api/v1/users/bob?limit=1", "", "", 400},  // not a list
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target + " " + c.body.substr(0, 40));
    const Reply r = call(c.method, c.target, as("alice"), c.body, c.content_type);
    EXPECT_EQ(r.status, c.status) << r.raw.body();
    ASSERT_TRUE(r.body.is_object()) << r.raw.body();
    EXPECT_TRUE(r.body["error"].is_string());
    EXPECT_TRUE(r.body["error_description"].is_string());
    EXPECT_EQ(r.raw[http::Field::cache_control], "no-store");
  }
  EXPECT_FALSE(store_->find_user("bob")->disabled);
  const Reply put = call(verb::put, "/admin/api/v1/users", as("alice"));
  EXPECT_EQ(put.raw[http::Field::allow], "GET");
}

TEST_F(AdminApiTest, MalformedInputOfACallerWithoutTheRightGetsForbiddenNotItsShape) {
  // bob learns nothing about the route's input rules: 403 before any parsing.
  EXPECT_EQ(call(verb::post, "/admin/api/v1/users/bob/deactivate", as("bob"), "{not json").status, 403);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users?limit=abc", as("bob")).status, 403);
}

// The same checks hold for arguments that arrive as one JSON object (the admin MCP server's
// tool arguments), not through the HTTP layer.
TEST_F(AdminApiTest, RunnerChecksJsonArgumentsAgainstTheTable) {
  mcp::Caller alice;
  alice.subject = "alice";
  alice.org_id = "default";
  alice.scopes = {"admin:write"};
  const Operation& get = *find_operation("getUser");
  const auto with = [&](const Operation& op, nlohmann::json args) {
    return runner_->run(alice, op, [args] { return Result<nlohmann::json>(args); }, "mcp");
  };
  EXPECT_TRUE(with(get, {{"user_id", "bob"}}).ok());
  EXPECT_EQ(with(get, {{"user_id", "bob"}})->at("id"), "bob");
  for (const auto& bad : std::vector<nlohmann::json>{
           nlohmann::json::array(), nlohmann::json::object(), {{"user_id", 7}},
           {{"user_id", "a/b"}}, {{"user_id", "bob"}, {"extra", 1}}, {{"user_id", nullptr}}}) {
    SCOPED_TRACE(bad.dump());
    const auto r = with(get, bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  const Operation& list = *find_operation("listUsers");
  EXPECT_EQ(with(list, {{"limit", 2}})->at("items").size(), 2U);
  EXPECT_FALSE(with(list, {{"limit", "2"}}).ok());
  EXPECT_FALSE(with(list, {{"limit", 6}}).ok());
  EXPECT_FALSE(with(list, {{"limit", 2.5}}).ok());
  const Operation& off = *find_operation("deactivateUser");
  EXPECT_FALSE(with(off, {{"user_id", "bob"}, {"reason", std::string(300, 'x')}}).ok());
  EXPECT_FALSE(with(off, {{"user_id", "bob"}, {"reason", "line\nbreak"}}).ok());
  EXPECT_FALSE(store_->find_user("bob")->disabled);
  // The arguments are not even looked at for a caller without the permission.
  mcp::Caller bob = alice;
  bob.subject = "bob";
  bool asked = false;
  const auto denied = runner_->run(bob, get, [&] {
    asked = true;
    return Result<nlohmann::json>(nlohmann::json::object());
  }, "mcp");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(asked);
}

// --- policy (the organization's authorization store) --------------------------------------

nlohmann::json tuple_json(const std::string& user, const std::string& relation,
                          const std::string& object) {
  return {{"user", user}, {"relation", relation}, {"object", object}};
}

std::string tuples_body(const std::vector<nlohmann::json>& tuples) {
  return nlohmann::json{{"tuples", tuples}}.dump();
}

TEST_F(AdminApiTest, HelpdeskIsRefusedEveryPolicyOperationAuditorOnlyReads) {
  const std::string grant_bob = tuples_body({tuple_json("user:bob", "admin", "organization:default")});
  const std::string model = nlohmann::json{{"dsl", read_text_file("examples/demo-policy.fga")}}.dump();
  for (const std::string& who : {std::string("helen"), std::string("audrey")}) {
    SCOPED_TRACE(who);
    const Reply write = call(verb::post, "/admin/api/v1/policy/tuples", as(who), grant_bob);
    EXPECT_EQ(write.status, 403);
    EXPECT_EQ(write.body["error"], "forbidden");
    EXPECT_NE(write.body["error_description"].get<std::string>().find("can_manage_policy"),
              std::string::npos);
    EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples/delete", as(who), grant_bob).status, 403);
    EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/models", as(who), model).status, 403);
  }
  // helpdesk may not even read the policy; the auditor may.
  const Reply helen_reads = call(verb::get, "/admin/api/v1/policy/tuples", as("helen"));
  EXPECT_EQ(helen_reads.status, 403);
  EXPECT_NE(helen_reads.body["error_description"].get<std::string>().find("can_read_policy"),
            std::string::npos);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/model", as("helen")).status, 403);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/models", as("helen")).status, 403);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/tuples", as("audrey")).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/model", as("audrey")).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/models", as("audrey")).status, 200);
  // Nothing was written: bob is still no administrator.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("bob")).status, 403);
}

TEST_F(AdminApiTest, ReadsAndWritesAuthorizationModels) {
  const Reply first = call(verb::get, "/admin/api/v1/policy/model", as("alice"));
  ASSERT_EQ(first.status, 200) << first.raw.body();
  EXPECT_EQ(first.body["current"], true);
  EXPECT_NE(first.body["dsl"].get<std::string>().find("define can_manage_policy: admin"),
            std::string::npos);
  EXPECT_EQ(first.body["json"]["schema_version"], "1.1");
  EXPECT_TRUE(first.body["json"]["type_definitions"].is_array());
  // The DSL it shows is a model the API takes back.
  std::string dsl = first.body["dsl"].get<std::string>();
  const auto conditions = dsl.find("\ncondition ");
  ASSERT_NE(conditions, std::string::npos);
  dsl.insert(conditions, "\ntype folder\n  relations\n    define viewer: [user]\n");
  const Reply written = call(verb::post, "/admin/api/v1/policy/models", as("alice"),
                             nlohmann::json{{"dsl", dsl}, {"reason", "add folders"}}.dump());
  ASSERT_EQ(written.status, 200) << written.raw.body();
  EXPECT_EQ(written.body["previous_id"], first.body["id"]);
  const std::string new_id = written.body["id"];
  // The engine enforces the new model at once: folder tuples are now writable.
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples", as("alice"),
                 tuples_body({tuple_json("user:bob", "viewer", "folder:f1")})).status, 200);
  const Reply list = call(verb::get, "/admin/api/v1/policy/models", as("alice"));
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 2U);
  EXPECT_EQ(list.body["items"][0]["id"], new_id);  // newest first
  EXPECT_EQ(list.body["items"][0]["current"], true);
  EXPECT_EQ(list.body["items"][1]["current"], false);
  const Reply page1 = call(verb::get, "/admin/api/v1/policy/models?limit=1", as("alice"));
  ASSERT_EQ(page1.body["items"].size(), 1U);
  const Reply page2 = call(verb::get, "/admin/api/v1/policy/models?limit=1&cursor=" +
                                          page1.body["next_cursor"].get<std::string>(), as("alice"));
  ASSERT_EQ(page2.body["items"].size(), 1U);
  EXPECT_EQ(page2.body["items"][0]["id"], first.body["id"]);
  EXPECT_TRUE(page2.body["next_cursor"].is_null());
  const Reply old = call(verb::get, "/admin/api/v1/policy/model?model_id=" +
                                        first.body["id"].get<std::string>(), as("alice"));
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(old.body["current"], false);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/model?model_id=01HZZZZZZZZZZZZZZZZZZZZZZZ", as("alice")).status, 404);
  // acme's store is its own: another model id, untouched by default's change.
  const Reply acme = call(verb::get, "/admin/api/v1/policy/model", as("carol", "acme"));
  ASSERT_EQ(acme.status, 200);
  EXPECT_NE(acme.body["id"], new_id);
  EXPECT_EQ(acme.body["dsl"].get<std::string>().find("type folder"), std::string::npos);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/model?model_id=" + new_id, as("carol", "acme")).status, 404);
}

TEST_F(AdminApiTest, RefusesInvalidModels) {
  const auto post = [&](const std::string& dsl) {
    return call(verb::post, "/admin/api/v1/policy/models", as("alice"), nlohmann::json{{"dsl", dsl}}.dump());
  };
  const Reply syntax = post("model\n  schema 1.1\ntype user\n  relations\n    define x: [\n");
  EXPECT_EQ(syntax.status, 400);
  const Reply meaning = post("model\n  schema 1.1\ntype doc\n  relations\n    define viewer: [nobody]\n");
  EXPECT_EQ(meaning.status, 400);
  EXPECT_EQ(post("").status, 400);
  EXPECT_EQ(post("model\n  schema 1.1\ntype user\x01\n").status, 400);  // control character
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/models", as("alice"), R"({"dsl":7})").status, 400);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/models", as("alice"), R"({})").status, 400);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/models", as("alice"),
                 nlohmann::json{{"dsl", std::string(9000, 'a')}}.dump()).status, 413);
  ASSERT_EQ(call(verb::get, "/admin/api/v1/policy/models", as("alice")).body["items"].size(), 1U);
}

TEST_F(AdminApiTest, WritesAndDeletesTuplesThatTheEngineEnforces) {
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("bob")).status, 403);
  const std::string bob_helpdesk = tuples_body({tuple_json("user:bob", "helpdesk", "organization:default")});
  const Reply w = call(verb::post, "/admin/api/v1/policy/tuples", as("alice"), bob_helpdesk);
  ASSERT_EQ(w.status, 200) << w.raw.body();
  EXPECT_EQ(w.body["written"], 1);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("bob")).status, 200);
  // Writing it again contradicts the store (409); so does deleting a missing tuple.
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples", as("alice"), bob_helpdesk).status, 409);
  const Reply d = call(verb::post, "/admin/api/v1/policy/tuples/delete", as("alice"), bob_helpdesk);
  ASSERT_EQ(d.status, 200) << d.raw.body();
  EXPECT_EQ(d.body["deleted"], 1);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("bob")).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples/delete", as("alice"), bob_helpdesk).status, 409);
  // A tuple the model does not allow, and a conditioned one that it does.
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples", as("alice"),
                 tuples_body({tuple_json("client:x", "admin", "organization:default")})).status, 400);
  nlohmann::json conditioned = tuple_json("user:*", "arg_denied", "tool:calendar/list_events");
  conditioned["condition"] = {{"name", "too_many_results"}, {"context", {{"limit", 50}}}};
  const Reply c = call(verb::post, "/admin/api/v1/policy/tuples", as("alice"), tuples_body({conditioned}));
  ASSERT_EQ(c.status, 200) << c.raw.body();
  const Reply read = call(verb::get, "/admin/api/v1/policy/tuples?object=tool:calendar/list_events", as("alice"));
  ASSERT_EQ(read.body["items"].size(), 1U);
  EXPECT_EQ(read.body["items"][0]["condition"]["name"], "too_many_results");
  EXPECT_EQ(read.body["items"][0]["condition"]["context"]["limit"], 50);
  // All or nothing: one bad tuple of two writes neither.
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples", as("alice"),
                 tuples_body({tuple_json("user:bob", "auditor", "organization:default"),
                              tuple_json("user:bob", "nonsense", "organization:default")})).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("bob")).status, 403);
}

TEST_F(AdminApiTest, ReadsTuplesFilteredAndPagedInItsOrganizationOnly) {
  grant_role("default", "bob", "auditor");
  const Reply admins = call(verb::get, "/admin/api/v1/policy/tuples?object=organization:default&relation=admin", as("alice"));
  ASSERT_EQ(admins.status, 200) << admins.raw.body();
  ASSERT_EQ(admins.body["items"].size(), 1U);
  EXPECT_EQ(admins.body["items"][0], tuple_json("user:alice", "admin", "organization:default"));
  const Reply bobs = call(verb::get, "/admin/api/v1/policy/tuples?object=organization:&user=user:bob", as("alice"));
  ASSERT_EQ(bobs.body["items"].size(), 1U);
  EXPECT_EQ(bobs.body["items"][0]["relation"], "auditor");
  std::vector<std::string> seen;
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    const Reply r = call(verb::get, "/admin/api/v1/policy/tuples?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), as("alice"));
    ASSERT_EQ(r.status, 200) << r.raw.body();
    EXPECT_LE(r.body["items"].size(), 2U);
    for (const auto& t : r.body["items"]) {
      seen.push_back(t["user"].get<std::string>() + " " + t["relation"].get<std::string>());
    }
    if (r.body["next_cursor"].is_null()) {
      break;
    }
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"user:alice admin", "user:audrey auditor", "user:bob auditor",
                                            "user:helen helpdesk"}));
  // carol sees acme's store only.
  const Reply acme = call(verb::get, "/admin/api/v1/policy/tuples", as("carol", "acme"));
  ASSERT_EQ(acme.body["items"].size(), 1U);
  EXPECT_EQ(acme.body["items"][0], tuple_json("user:carol", "admin", "organization:acme"));
  // And writes to it only.
  ASSERT_EQ(call(verb::post, "/admin/api/v1/policy/tuples", as("carol", "acme"),
                 tuples_body({tuple_json("user:dave", "admin", "organization:acme")})).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/tuples?user=user:dave&object=organization:", as("alice")).body["items"].size(), 0U);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("dave", "acme")).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("dave", "default")).status, 403);
}

TEST_F(AdminApiTest, AnAdminCannotRemoveTheirOwnPolicyRights) {
  const std::string own = tuples_body({tuple_json("user:alice", "admin", "organization:default")});
  const Reply r = call(verb::post, "/admin/api/v1/policy/tuples/delete", as("alice"), own);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body["error"], "conflict");
  EXPECT_NE(r.body["error_description"].get<std::string>().find("can_manage_policy"), std::string::npos);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users", as("alice")).status, 200);  // still admin
  // Nor through the model: one where admins no longer manage policy is refused, unwritten.
  std::string dsl = read_text_file("examples/demo-policy.fga");
  const auto at = dsl.find("define can_manage_policy: admin");
  ASSERT_NE(at, std::string::npos);
  dsl.replace(at, std::string("define can_manage_policy: admin").size(), "define can_manage_policy: auditor");
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/models", as("alice"), nlohmann::json{{"dsl", dsl}}.dump()).status, 409);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/models", as("alice")).body["items"].size(), 1U);
  // Removing another administrator, or their own direct tuple while a group keeps them admin, is
  // fine.
  ASSERT_EQ(call(verb::post, "/admin/api/v1/policy/tuples", as("alice"),
                 tuples_body({tuple_json("group:ops#member", "admin", "organization:default"),
                              tuple_json("user:alice", "member", "group:ops")})).status, 200);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples/delete", as("alice"), own).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/tuples", as("alice")).status, 200);
}

TEST_F(AdminApiTest, RefusesHostilePolicyInput) {
  const std::vector<std::pair<std::string, int>> writes = {
      {"{\"tuples\":{}}", 400},
      {"{\"tuples\":[]}", 400},
      {"{\"tuples\":[1]}", 400},
      {"{\"tuples\":[{}]}", 400},
      {"{\"tuples\":[{\"user\":\"user:a\",\"relation\":\"admin\"}]}", 400},
      {"{\"tuples\":[{\"user\":\"user: a\",\"relation\":\"admin\",\"object\":\"organization:default\"}]}", 400},
      {"{\"tuples\":[{\"user\":\"user:a\",\"relation\":\"ad#min\",\"object\":\"organization:default\"}]}", 400},
      {"{\"tuples\":[{\"user\":7,\"relation\":\"admin\",\"object\":\"organization:default\"}]}", 400},
      {"{\"tuples\":[{\"user\":\"user:" + std::string(600, 'a') + "\",\"relation\":\"admin\",\"object\":\"organization:default\"}]}", 400},
      {"{\"tuples\":[{\"user\":\"user:a\",\"relation\":\"admin\",\"object\":\"organization:default\",\"condition\":\"x\"}]}", 400},
      {"{\"tuples\":[{\"user\":\"user:a\",\"relation\":\"admin\",\"object\":\"organization:default\",\"condition\":{\"name\":\"nope\"}}]}", 400},
      {"{\"tuples\":[{\"user\":\"user:a\",\"relation\":\"admin\",\"object\":\"organization\"}]}", 400},
      {"{\"tuples\":[{\"user\":\"user:a\",\"relation\":\"admin\",\"object\":\"organization:default\"},{\"user\":\"user:a\",\"relation\":\"admin\",\"object\":\"organization:default\"}]}", 400},
  };
  for (const auto& [body, status] : writes) {
    SCOPED_TRACE(body.substr(0, 80));
    const Reply r = call(verb::post, "/admin/api/v1/policy/tuples", as("alice"), body);
    EXPECT_EQ(r.status, status) << r.raw.body();
    EXPECT_TRUE(r.body["error"].is_string());
  }
  std::vector<nlohmann::json> many;
  for (int i = 0; i < 101; ++i) {
    many.push_back(tuple_json("user:u" + std::to_string(i), "auditor", "organization:default"));
  }
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples", as("alice"), tuples_body(many)).status, 400);
  // A delete takes no condition.
  nlohmann::json conditioned = tuple_json("user:*", "arg_denied", "tool:t");
  conditioned["condition"] = {{"name", "too_many_results"}};
  EXPECT_EQ(call(verb::post, "/admin/api/v1/policy/tuples/delete", as("alice"), tuples_body({conditioned})).status, 400);
  for (const std::string& q : {std::string("object=organization"), std::string("user=user:alice"), std::string("relation=a%20b"),
                              std::string("object=organization:default%0A"), "object=" + std::string(300, 'o'),
                              std::string("cursor=!!"), std::string("limit=0"), std::string("model=1")}) {
    SCOPED_TRACE(q);
    EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/tuples?" + q, as("alice")).status, 400);
  }
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/model?model_id=../x", as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/models?cursor=" + cursor_after("unknown"), as("alice")).status, 400);
  // Only alice's, audrey's, helen's role tuples: nothing hostile was written.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/policy/tuples", as("alice")).body["items"].size(), 3U);
}

// --- upstreams, tool pins, status (gate-wide) ----------------------------------------------

TEST_F(AdminApiTest, RuntimeOperationsAreGateWideAndNeedTheirPermission) {
  const std::string hash = pend_tool("mail", "send", R"({"name":"send","description":"v2"})");
  const std::string approve = "/admin/api/v1/tool-pins/mail/send/approve";
  const std::string body = nlohmann::json{{"hash", hash}}.dump();
  for (const char* read : {"/admin/api/v1/upstreams", "/admin/api/v1/tool-pins", "/admin/api/v1/status"}) {
    SCOPED_TRACE(read);
    EXPECT_EQ(call(verb::get, read, as("helen")).status, 403);   // helpdesk: no upstreams, no config
    EXPECT_EQ(call(verb::get, read, as("audrey")).status, 200);  // auditor reads
    // An administrator of another organization is no operator of the gate.
    const Reply carol = call(verb::get, read, as("carol", "acme"));
    EXPECT_EQ(carol.status, 403);
    EXPECT_NE(carol.body["error_description"].get<std::string>().find("operator organization"),
              std::string::npos);
  }
  EXPECT_EQ(call(verb::post, approve, as("helen"), body).status, 403);
  const Reply auditor = call(verb::post, approve, as("audrey"), body);
  EXPECT_EQ(auditor.status, 403);
  EXPECT_NE(auditor.body["error_description"].get<std::string>().find("can_manage_upstreams"),
            std::string::npos);
  EXPECT_EQ(call(verb::post, approve, as("carol", "acme"), body).status, 403);
  EXPECT_EQ(store_->list_tool_pins("mail")->at(0).pending_hash, hash);  // nothing approved
  EXPECT_TRUE(approved_upstreams_.empty());
}

TEST_F(AdminApiTest, ApprovesOnlyThePendingDefinitionItNames) {
  const std::string first = pend_tool("mail", "send", R"({"description":"now exfiltrates","name":"send"})");
  const Reply listed = call(verb::get, "/admin/api/v1/tool-pins?pending_only=true", as("alice"));
  ASSERT_EQ(listed.status, 200) << listed.raw.body();
  ASSERT_EQ(listed.body["items"].size(), 1U);
  const auto& pin = listed.body["items"][0];
  EXPECT_EQ(pin["definition"], nlohmann::json({{"name", "send"}}));
  EXPECT_EQ(pin["pending"]["hash"], first);
  EXPECT_EQ(pin["pending"]["definition"]["description"], "now exfiltrates");
  EXPECT_EQ(pin["pending"]["changed_fields"], nlohmann::json::array({"description"}));
  // The upstream changes the definition again before the operator approves what they saw.
  const std::string second = pend_tool("mail", "send", R"({"description":"worse","name":"send"})");
  const std::string url = "/admin/api/v1/tool-pins/mail/send/approve";
  const Reply stale = call(verb::post, url, as("alice"), nlohmann::json{{"hash", first}}.dump());
  EXPECT_EQ(stale.status, 409);
  EXPECT_NE(stale.body["error_description"].get<std::string>().find(second), std::string::npos);
  EXPECT_EQ(store_->list_tool_pins("mail")->at(0).hash, crypto::hex_encode(crypto::sha256(R"({"name":"send"})")));
  EXPECT_TRUE(approved_upstreams_.empty());
  const Reply ok = call(verb::post, url, as("alice"),
                        nlohmann::json{{"hash", second}, {"reason", "reviewed the new text"}}.dump());
  ASSERT_EQ(ok.status, 200) << ok.raw.body();
  EXPECT_EQ(ok.body["hash"], second);
  EXPECT_EQ(ok.body["approved_by"], "operator");
  EXPECT_EQ(ok.body["approved_at"], 1000);
  EXPECT_TRUE(ok.body["pending"].is_null());
  EXPECT_EQ(approved_upstreams_, std::vector<std::string>{"mail"});  // offered again now
  // Nothing pending any more; unknown pins are 404.
  EXPECT_EQ(call(verb::post, url, as("alice"), nlohmann::json{{"hash", second}}.dump()).status, 409);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/tool-pins/mail/nope/approve", as("alice"),
                 nlohmann::json{{"hash", second}}.dump()).status, 404);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/tool-pins?pending_only=true", as("alice")).body["items"].size(), 0U);
}

TEST_F(AdminApiTest, ListsToolPinsPagedAndUpstreamsAndStatusFromTheRuntime) {
  for (const char* tool : {"a", "b", "c"}) {
    pend_tool("up1", tool, "{}");
  }
  pend_tool("up2", "a", "{}");
  std::vector<std::string> seen;
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    const Reply r = call(verb::get, "/admin/api/v1/tool-pins?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), as("alice"));
    ASSERT_EQ(r.status, 200) << r.raw.body();
    for (const auto& p : r.body["items"]) {
      seen.push_back(p["upstream"].get<std::string>() + "/" + p["tool"].get<std::string>());
    }
    if (r.body["next_cursor"].is_null()) {
      break;
    }
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"up1/a", "up1/b", "up1/c", "up2/a"}));
  EXPECT_EQ(call(verb::get, "/admin/api/v1/tool-pins?upstream=up2", as("alice")).body["items"].size(), 1U);
  const Reply ups = call(verb::get, "/admin/api/v1/upstreams", as("alice"));
  ASSERT_EQ(ups.status, 200);
  EXPECT_EQ(ups.body["items"][0]["name"], "calendar");
  EXPECT_EQ(call(verb::get, "/admin/api/v1/status", as("alice")).body["version"], "test");
}

TEST_F(AdminApiTest, RefusesHostileToolPinInput) {
  pend_tool("mail", "send", "{}");
  const std::string url = "/admin/api/v1/tool-pins/mail/send/approve";
  for (const std::string& body : {std::string("{}"), std::string(R"({"hash":7})"),
                                  nlohmann::json{{"hash", std::string(65, 'a')}}.dump(),
                                  std::string(R"({"hash":"a\nb"})"), std::string(R"({"hash":"x","extra":1})")}) {
    SCOPED_TRACE(body);
    EXPECT_EQ(call(verb::post, url, as("alice"), body).status, 400);
  }
  EXPECT_EQ(call(verb::post, url, as("alice"), R"({"hash":""})").status, 400);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/tool-pins/mail/se%2Fnd/approve", as("alice"), R"({"hash":"x"})").status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/tool-pins?pending_only=maybe", as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/tool-pins?upstream=a/b", as("alice")).status, 400);
  EXPECT_FALSE(store_->list_tool_pins("mail")->at(0).pending_hash.empty());
}

// --- connectors, connections, vault key, quotas --------------------------------------------

TEST_F(AdminApiTest, ConnectionsAreListedAndRevokedInTheCallersOrganizationOnly) {
  connections_["bob"] = {"gmail", "slack"};
  connections_["helen"] = {"github"};
  connections_["dave"] = {"gmail"};  // acme
  std::vector<std::string> seen;
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    const Reply r = call(verb::get, "/admin/api/v1/connections?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), as("alice"));
    ASSERT_EQ(r.status, 200) << r.raw.body();
    EXPECT_LE(r.body["items"].size(), 2U);
    for (const auto& c : r.body["items"]) {
      seen.push_back(c["user_id"].get<std::string>() + "/" + c["connector"].get<std::string>());
    }
    if (r.body["next_cursor"].is_null()) {
      break;
    }
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"bob/gmail", "bob/slack", "helen/github"}));
  EXPECT_EQ(call(verb::get, "/admin/api/v1/connections?user_id=bob", as("audrey")).body["items"].size(), 2U);
  // Another organization's user is not found, whether listed or revoked.
  const Reply foreign = call(verb::get, "/admin/api/v1/connections?user_id=dave", as("alice"));
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.raw.body(), call(verb::get, "/admin/api/v1/connections?user_id=nobody", as("alice")).raw.body());
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/dave/connections/gmail", as("alice")).status, 404);
  EXPECT_EQ(connections_["dave"].size(), 1U);
  const Reply acme = call(verb::get, "/admin/api/v1/connections", as("carol", "acme"));
  ASSERT_EQ(acme.body["items"].size(), 1U);
  EXPECT_EQ(acme.body["items"][0]["user_id"], "dave");
  // helpdesk and the auditor may not revoke; an admin may.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/connections", as("helen")).status, 403);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/bob/connections/gmail", as("helen")).status, 403);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/bob/connections/gmail", as("audrey")).status, 403);
  const Reply revoked = call(verb::delete_, "/admin/api/v1/users/bob/connections/gmail", as("alice"));
  ASSERT_EQ(revoked.status, 200) << revoked.raw.body();
  EXPECT_EQ(revoked.body["revoked"], true);
  EXPECT_EQ(connections_["bob"], (std::set<std::string>{"slack"}));
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/bob/connections/gmail", as("alice")).status, 404);
  EXPECT_EQ(call(verb::delete_, "/admin/api/v1/users/bob/connections/a%2Fb", as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/connections?cursor=" + cursor_after("no-newline"), as("alice")).status, 400);
}

TEST_F(AdminApiTest, VaultRotationConnectorsAndQuotasAreTheOperatorsAlone) {
  EXPECT_EQ(call(verb::post, "/admin/api/v1/vault/rotate-key", as("audrey")).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/vault/rotate-key", as("helen")).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/vault/rotate-key", as("carol", "acme")).status, 403);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/vault/rotate-key", as("alice", "default", "admin:read")).status, 403);
  EXPECT_EQ(rotations_, 0);
  const Reply rotated = call(verb::post, "/admin/api/v1/vault/rotate-key", as("alice"), R"({"reason":"yearly"})");
  ASSERT_EQ(rotated.status, 200) << rotated.raw.body();
  EXPECT_EQ(rotated.body["rewrapped"], 3);
  EXPECT_EQ(rotations_, 1);
  EXPECT_EQ(call(verb::post, "/admin/api/v1/vault/rotate-key", as("alice"), R"({"key":"x"})").status, 400);
  for (const char* read : {"/admin/api/v1/connectors", "/admin/api/v1/quotas"}) {
    SCOPED_TRACE(read);
    EXPECT_EQ(call(verb::get, read, as("audrey")).status, 200);
    EXPECT_EQ(call(verb::get, read, as("helen")).status, 403);
    EXPECT_EQ(call(verb::get, read, as("carol", "acme")).status, 403);
  }
  EXPECT_EQ(call(verb::get, "/admin/api/v1/connectors", as("alice")).body["items"][0]["id"], "gmail");
  EXPECT_EQ(call(verb::get, "/admin/api/v1/quotas", as("alice")).body["items"][0]["calls_per_minute"], 60);
}

TEST(AdminOperations, TheTableIsWellFormed) {
  std::set<std::string> ids;
  for (const auto& op : operations()) {
    SCOPED_TRACE(std::string(op.operation_id));
    EXPECT_TRUE(ids.insert(std::string(op.operation_id)).second);
    EXPECT_TRUE(op.scope == kReadScope || op.scope == kWriteScope);
    EXPECT_EQ(op.read_only(), op.scope == kReadScope);
    EXPECT_FALSE(op.read_only() && op.destructive);
    EXPECT_FALSE(op.result_schema.empty());
    // Every {name} of the path is a required path parameter, in order.
    std::vector<std::string> in_path;
    const std::string path(op.path);
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
      in_path.push_back(path.substr(open + 1, path.find('}', open) - open - 1));
    }
    std::vector<std::string> declared;
    for (const auto& p : op.params) {
      if (p.in == ParamIn::kPath) {
        EXPECT_TRUE(p.required && p.type == ParamType::kId) << p.name;
        declared.emplace_back(p.name);
      }
      EXPECT_FALSE(op.read_only() && p.in == ParamIn::kBody) << p.name;
    }
    EXPECT_EQ(in_path, declared);
    EXPECT_TRUE(arguments_schema(op, 10).is_object());
  }
  EXPECT_EQ(snake_case("listUserGrants"), "list_user_grants");
}

// --- the error mapping ------------------------------------------------------------------------

TEST(AdminErrors, MapsEveryCodeToOneStatusAndTheJsonBody) {
  const std::vector<std::pair<ErrorCode, int>> cases = {
      {ErrorCode::kInvalidArgument, 400},  {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403}, {ErrorCode::kNotFound, 404},
      {ErrorCode::kAlreadyExists, 409},    {ErrorCode::kFailedPrecondition, 409},
      {ErrorCode::kUnavailable, 503},      {ErrorCode::kDeadlineExceeded, 503},
      {ErrorCode::kInternal, 500},         {ErrorCode::kCancelled, 500}};
  for (const auto& [code, status] : cases) {
    const http::Response r = admin_error_response(make_error(code, "db password=hunter2 failed"));
    EXPECT_EQ(static_cast<int>(r.result_int()), status);
    const auto body = nlohmann::json::parse(r.body());
    EXPECT_TRUE(body["error"].is_string());
    EXPECT_EQ(r[http::Field::content_type], "application/json");
    if (status >= 500) {
      // Server-side messages stay in the log.
      EXPECT_EQ(r.body().find("hunter2"), std::string::npos);
    }
  }
  const http::Response challenge = admin_error_response(
      http_error_with_challenge(401, "invalid_token", "x", "Bearer resource_metadata=\"u\""));
  EXPECT_EQ(challenge[http::Field::www_authenticate], "Bearer resource_metadata=\"u\"");
}

TEST_F(AdminApiTest, UnauthenticatedRequestsGetTheGuardsChallengeAndTheApisBody) {
  const Reply r = call(verb::get, "/admin/api/v1/users", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"], "invalid_token");
  EXPECT_EQ(r.raw[http::Field::www_authenticate], "Bearer resource_metadata=\"https://gate/prm\"");
}

// --- insight operations: getCallStats, getAgentAccess -----------------------------------------

// Appends audit records (only the members the statistics read; the store checks seq and hash).
void append_audit(store::Store& st, const std::vector<nlohmann::json>& events) {
  auto last = st.last_audit_record();
  std::int64_t seq = last ? last->seq : 0;
  std::vector<store::AuditRecord> batch;
  for (auto e : events) {
    e["seq"] = ++seq;
    store::AuditRecord r;
    r.seq = seq;
    r.record = e.dump();
    r.hash = crypto::hex_encode(crypto::sha256(r.record));
    batch.push_back(std::move(r));
  }
  ASSERT_TRUE(st.append_audit_records(batch).ok());
}

nlohmann::json audit_event(std::int64_t ago_ms, const std::string& org, const std::string& tool,
                           const std::string& decision, const std::string& status) {
  nlohmann::json e = {{"time_ms", kInsightNowMs - ago_ms}, {"upstream", "calendar"},
                      {"tool", tool}, {"decision", decision}, {"upstream_status", status}};
  if (!org.empty()) {
    e["org"] = org;
  }
  return e;
}

TEST_F(AdminApiTest, CallStatsCountCallsDenialsAndErrorsOfTheCallersOrganization) {
  const std::int64_t hour = 3600 * 1000;
  append_audit(*store_, {
                            audit_event(30 * hour, "default", "list_events", "allow", "ok"),  // too old
                            audit_event(3 * hour, "default", "list_events", "allow", "ok"),
                            audit_event(2 * hour, "default", "list_events", "deny", "not_called"),
                            audit_event(hour / 2, "default", "create_event", "allow", "tool_error"),
                            audit_event(hour / 2, "", "create_event", "allow", "ok"),  // no org: operator's
                            audit_event(hour / 2, "acme", "create_event", "allow", "ok"),
                        });
  const Reply r = call(verb::get, "/admin/api/v1/stats/calls?hours=24", as("alice"));
  ASSERT_EQ(r.status, 200) << r.raw.body();
  EXPECT_EQ(r.body["total"]["calls"], 4);
  EXPECT_EQ(r.body["total"]["denied"], 1);
  EXPECT_EQ(r.body["total"]["errors"], 1);
  EXPECT_EQ(r.body["complete"], true);
  EXPECT_EQ(r.body["buckets"], kCallStatsBuckets);
  EXPECT_EQ(r.body["bucket_seconds"], 3600);
  ASSERT_EQ(r.body["by_tool"].size(), 2u);
  EXPECT_EQ(r.body["by_tool"][0]["name"], "calendar/create_event");
  EXPECT_EQ(r.body["by_tool"][0]["calls"], 2);
  EXPECT_EQ(r.body["by_tool"][1]["series"]["denied"][22], 1);  // 2 h ago: the 23rd hour
  EXPECT_EQ(r.body["by_upstream"][0]["name"], "calendar");
  // acme's administrator sees acme's one call only.
  const Reply acme = call(verb::get, "/admin/api/v1/stats/calls", as("carol", "acme"));
  ASSERT_EQ(acme.status, 200);
  EXPECT_EQ(acme.body["total"]["calls"], 1);
  // The auditor reads the statistics, the helpdesk does not (they come from the audit log).
  EXPECT_EQ(call(verb::get, "/admin/api/v1/stats/calls", as("audrey")).status, 200);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/stats/calls", as("helen")).status, 403);
  // Hostile windows.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/stats/calls?hours=0", as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/stats/calls?hours=169", as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/stats/calls?hours=1e9", as("alice")).status, 400);
}

TEST_F(AdminApiTest, CallStatsSayWhenTheScanDoesNotCoverTheWindow) {
  std::vector<nlohmann::json> events;
  for (int i = 0; i < 30; ++i) {
    events.push_back(audit_event(1000 + i, "default", "list_events", "allow", "ok"));
  }
  append_audit(*store_, events);
  auto stats = call_stats(*store_, "default", "default", 24, kInsightNowMs, 10);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)["records_scanned"], 10);
  EXPECT_EQ((*stats)["total"]["calls"], 10);
  EXPECT_EQ((*stats)["complete"], false);
  EXPECT_FALSE(audit_facts("not json").has_value());
  EXPECT_FALSE(audit_facts("{\"time_ms\":\"x\"}").has_value());
  EXPECT_FALSE(audit_facts("[1,2]").has_value());
  // An admin-plane call is audited but is not a tool call: the statistics leave it out.
  const auto admin = audit_facts(
      R"({"time_ms":5,"upstream":"admin","tool":"listUsers","decision":"allow","admin":{"channel":"api"}})");
  ASSERT_TRUE(admin.has_value());
  EXPECT_TRUE(admin->admin_call);
  EXPECT_FALSE(audit_facts(R"({"time_ms":5,"upstream":"admin","tool":"x"})")->admin_call);
}

TEST_F(AdminApiTest, AgentAccessShowsBothChecksOfEveryToolWithConditions) {
  const std::string grant = add_grant("bob");
  const std::string client = store_->find_grant(grant)->client_id;
  authz::WriteRequest w;
  w.writes.push_back(authz::TupleRecord{"tool:calendar/list_events", "invoker", "user:bob", "", nullptr});
  w.writes.push_back(authz::TupleRecord{"tool:calendar/create_event", "invoker", "user:bob", "", nullptr});
  w.writes.push_back(authz::TupleRecord{"tool:calendar/list_events", "agent", "client:" + client, "", nullptr});
  w.writes.push_back(authz::TupleRecord{"tool:calendar/list_events", "arg_denied", "user:*",
                                        "too_many_results", nlohmann::json{{"limit", 50}}});
  auto wr = policy::find_org_store(stores_, "default")->service->write_tuples(w);
  ASSERT_TRUE(wr.ok() && wr->error.ok()) << (wr.ok() ? wr->error.message : wr.error().message);

  const Reply r = call(verb::get, "/admin/api/v1/users/bob/access?client_id=" + client, as("helen"));
  ASSERT_EQ(r.status, 200) << r.raw.body();
  EXPECT_EQ(r.body["user_id"], "bob");
  EXPECT_EQ(r.body["client_id"], client);
  EXPECT_EQ(r.body["grants"], nlohmann::json::array({grant}));
  std::map<std::string, nlohmann::json> by_object;
  for (const auto& t : r.body["tools"]) {
    by_object[t["object"]] = t;
  }
  ASSERT_EQ(by_object.size(), 3u);
  // list_events: both may, but the argument rule decides per call: conditional, naming it.
  const auto& list = by_object["tool:calendar/list_events"];
  EXPECT_EQ(list["verdict"], "conditional");
  EXPECT_EQ(list["user_check"]["result"], "conditional");
  EXPECT_NE(list["user_check"]["detail"].get<std::string>().find("arg_max_results"), std::string::npos)
      << list.dump();
  EXPECT_EQ(list["client_check"]["result"], "allow");
  EXPECT_EQ(list["in_granted_scopes"], true);
  // create_event: bob may, the agent may not.
  const auto& create = by_object["tool:calendar/create_event"];
  EXPECT_EQ(create["verdict"], "deny");
  EXPECT_EQ(create["user_check"]["result"], "allow");
  EXPECT_EQ(create["client_check"]["result"], "deny");
  EXPECT_EQ(create["in_granted_scopes"], false);
  // delete_event: neither.
  EXPECT_EQ(by_object["tool:calendar/delete_event"]["user_check"]["result"], "deny");
  EXPECT_EQ(r.body["conditional"], 1);
  EXPECT_EQ(r.body["denied"], 2);
  EXPECT_EQ(r.body["allowed"], 0);

  // Without a client: the user's own checks, no agent column.
  const Reply own = call(verb::get, "/admin/api/v1/users/bob/access", as("audrey"));
  ASSERT_EQ(own.status, 200);
  EXPECT_TRUE(own.body["client_id"].is_null());
  EXPECT_TRUE(own.body["tools"][0]["client_check"].is_null());
  EXPECT_TRUE(own.body["tools"][0]["in_granted_scopes"].is_null());

  // Another organization's user and unknown clients are not found; hostile input is refused.
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/carol/access", as("alice")).status, 404);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/bob/access?client_id=nope", as("alice")).status, 404);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/bob/access?client_id=%0A", as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/bob/access?client_id=" + std::string(600, 'x'),
                 as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/bob/access?client_id=a&client_id=b", as("alice")).status, 400);
  EXPECT_EQ(call(verb::get, "/admin/api/v1/users/bob/access", as("bob")).status, 403);
}

}  // namespace
}  // namespace mcpgate::admin
