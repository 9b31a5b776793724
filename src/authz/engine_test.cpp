#include "authz/engine.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "authz/dsl.hpp"
#include "authz/test_tuples.hpp"

namespace mcpgate::authz {
namespace {

using test_support::t;

std::unique_ptr<Engine> make_engine(const std::string& dsl, EngineOptions options = {}) {
  auto model = parse_dsl(dsl);
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  if (!model.ok()) {
    return nullptr;
  }
  auto engine = Engine::create(*model, options);
  EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().message);
  return engine.ok() ? std::move(engine).value() : nullptr;
}

void write_all(Engine& e, const std::vector<TupleRecord>& tuples) {
  for (std::size_t i = 0; i < tuples.size(); i += 100) {
    WriteRequest w;
    w.writes.assign(tuples.begin() + static_cast<std::ptrdiff_t>(i),
                    tuples.begin() + static_cast<std::ptrdiff_t>(std::min(tuples.size(), i + 100)));
    WriteResult r = e.write(w);
    ASSERT_TRUE(r.error.ok()) << r.error.message;
  }
}

CheckResult check(const Engine& e, const std::string& object, const std::string& relation, const std::string& user,
                  nlohmann::json context = nullptr, std::vector<TupleRecord> contextual = {}) {
  CheckRequest r;
  r.object = object;
  r.relation = relation;
  r.user = user;
  r.context = std::move(context);
  r.contextual_tuples = std::move(contextual);
  r.explain = true;
  return e.check(r);
}

bool allowed(const Engine& e, const std::string& object, const std::string& relation, const std::string& user) {
  const CheckResult r = check(e, object, relation, user);
  EXPECT_TRUE(r.error.ok()) << object << "#" << relation << "@" << user << ": " << r.error.message;
  return r.allowed;
}

constexpr const char* kDocsModel = R"(model
  schema 1.1
type user
type group
  relations
    define member: [user, user:*, group#member]
type folder
  relations
    define owner: [user]
    define viewer: [user, group#member] or owner
type document
  relations
    define parent: [folder]
    define owner: [user]
    define editor: [user, group#member] or owner
    define viewer: [user, user:*, group#member] or editor or viewer from parent
    define approver: [user]
    define can_publish: editor and approver
    define blocked: [user]
    define can_read: viewer but not blocked
)";

class DocsEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = make_engine(kDocsModel);
    ASSERT_NE(engine_, nullptr);
    write_all(*engine_, {
                            t("group:eng", "member", "user:anne"),
                            t("group:all", "member", "group:eng#member"),
                            t("folder:f", "owner", "user:fred"),
                            t("folder:f", "viewer", "group:all#member"),
                            t("document:d", "parent", "folder:f"),
                            t("document:d", "owner", "user:olga"),
                            t("document:d", "editor", "user:ed"),
                            t("document:d", "approver", "user:ed"),
                            t("document:d", "approver", "user:olga"),
                            t("document:d", "blocked", "user:fred"),
                            t("document:public", "viewer", "user:*"),
                        });
  }
  std::unique_ptr<Engine> engine_;
};

TEST_F(DocsEngineTest, DirectComputedAndTupleToUserset) {
  const Engine& e = *engine_;
  EXPECT_TRUE(allowed(e, "document:d", "owner", "user:olga"));
  EXPECT_TRUE(allowed(e, "document:d", "editor", "user:olga"));      // computed
  EXPECT_TRUE(allowed(e, "document:d", "viewer", "user:olga"));      // computed twice
  EXPECT_TRUE(allowed(e, "document:d", "viewer", "user:fred"));      // from parent: folder owner
  EXPECT_TRUE(allowed(e, "document:d", "viewer", "user:anne"));      // parent -> group -> nested group
  EXPECT_FALSE(allowed(e, "document:d", "owner", "user:anne"));
  EXPECT_FALSE(allowed(e, "document:d", "viewer", "user:nobody"));
  EXPECT_FALSE(allowed(e, "document:unknown", "viewer", "user:olga"));
}

TEST_F(DocsEngineTest, IntersectionAndExclusion) {
  const Engine& e = *engine_;
  EXPECT_TRUE(allowed(e, "document:d", "can_publish", "user:ed"));
  EXPECT_TRUE(allowed(e, "document:d", "can_publish", "user:olga"));
  EXPECT_FALSE(allowed(e, "document:d", "can_publish", "user:anne"));  // viewer only
  EXPECT_TRUE(allowed(e, "document:d", "can_read", "user:anne"));
  EXPECT_FALSE(allowed(e, "document:d", "can_read", "user:fred"));     // blocked
}

TEST_F(DocsEngineTest, WildcardsAndUsersetsAsUsers) {
  const Engine& e = *engine_;
  EXPECT_TRUE(allowed(e, "document:public", "viewer", "user:anyone"));
  EXPECT_FALSE(allowed(e, "document:public", "editor", "user:anyone"));
  EXPECT_TRUE(allowed(e, "folder:f", "viewer", "group:all#member"));
  EXPECT_TRUE(allowed(e, "folder:f", "viewer", "group:eng#member"));  // nested userset
  EXPECT_FALSE(allowed(e, "folder:f", "owner", "group:all#member"));
}

TEST_F(DocsEngineTest, ExplainNamesThePath) {
  const CheckResult r = check(*engine_, "document:d", "viewer", "user:anne");
  ASSERT_TRUE(r.allowed);
  EXPECT_NE(r.reason.find("document:d#viewer"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("group:eng#member@user:anne"), std::string::npos) << r.reason;
  const CheckResult denied = check(*engine_, "document:d", "can_read", "user:fred");
  EXPECT_FALSE(denied.allowed);
  EXPECT_FALSE(denied.reason.empty());
}

TEST_F(DocsEngineTest, ListObjectsAndListUsers) {
  ListObjectsRequest lo{"document", "viewer", "user:anne", {}, nullptr};
  ListObjectsResult objects = engine_->list_objects(lo);
  ASSERT_TRUE(objects.error.ok()) << objects.error.message;
  EXPECT_EQ(objects.objects, (std::vector<std::string>{"document:d", "document:public"}));

  ListUsersRequest lu{"document:d", "can_read", {"user"}, {}, nullptr};
  ListUsersResult users = engine_->list_users(lu);
  ASSERT_TRUE(users.error.ok()) << users.error.message;
  EXPECT_EQ(users.users, (std::vector<std::string>{"user:anne", "user:ed", "user:olga"}));

  ListUsersRequest pub{"document:public", "viewer", {"user"}, {}, nullptr};
  EXPECT_EQ(engine_->list_users(pub).users, (std::vector<std::string>{"user:*"}));

  ListUsersRequest sets{"folder:f", "viewer", {"group#member"}, {}, nullptr};
  EXPECT_EQ(engine_->list_users(sets).users, (std::vector<std::string>{"group:all#member", "group:eng#member"}));

  EXPECT_EQ(engine_->list_objects({"nope", "viewer", "user:anne", {}, nullptr}).error.code, FgaErrorCode::kTypeNotFound);
  EXPECT_EQ(engine_->list_objects({"document", "nope", "user:anne", {}, nullptr}).error.code,
            FgaErrorCode::kRelationNotFound);
}

TEST_F(DocsEngineTest, UnknownTypesRelationsAndMalformedStringsAreValidationErrors) {
  for (const auto& [o, r, u] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nope:1", "viewer", "user:a"},
           {"document:d", "nope", "user:a"},
           {"document:d", "viewer", "nope:a"},
           {"document:d", "viewer", "group:eng#nope"},
           {"document", "viewer", "user:a"},
           {"document:", "viewer", "user:a"},
           {"document:d", "viewer", "user"},
           {"document:d", "viewer", "user:*#member"},
           {"document:d", "viewer", ""},
       }) {
    const CheckResult res = check(*engine_, o, r, u);
    EXPECT_FALSE(res.allowed);
    EXPECT_EQ(res.error.code, FgaErrorCode::kValidationError) << o << "#" << r << "@" << u;
  }
}

TEST_F(DocsEngineTest, ContextualTuplesAreValidatedAndLocal) {
  const CheckResult added = check(*engine_, "document:new", "viewer", "user:zed", nullptr,
                                  {t("document:new", "parent", "folder:f2"), t("folder:f2", "viewer", "user:zed")});
  EXPECT_TRUE(added.error.ok()) << added.error.message;
  EXPECT_TRUE(added.allowed);
  EXPECT_FALSE(allowed(*engine_, "document:new", "viewer", "user:zed"));  // not persisted
  for (const TupleRecord& bad : {t("document:d", "parent", "folder:*"), t("document:d", "nope", "user:a"),
                                 t("document:d", "owner", "group:eng#member"), t("document:d", "owner", "user:*"),
                                 t("nope:1", "owner", "user:a"), t("document:d", "owner", "bad")}) {
    const CheckResult r = check(*engine_, "document:d", "viewer", "user:a", nullptr, {bad});
    EXPECT_EQ(r.error.code, FgaErrorCode::kInvalidTuple) << to_string(bad);
    EXPECT_FALSE(r.allowed);
  }
}

TEST_F(DocsEngineTest, WritesAreValidatedAgainstTheModel) {
  WriteRequest w;
  w.writes = {t("document:d", "owner", "user:*")};
  EXPECT_EQ(engine_->write(w).error.code, FgaErrorCode::kInvalidTuple);
  w.writes = {t("document:d", "can_read", "user:x")};  // no direct part
  EXPECT_EQ(engine_->write(w).error.code, FgaErrorCode::kInvalidTuple);
  w.writes = {t("document:d", "owner", "user:olga")};
  EXPECT_EQ(engine_->write(w).error.code, FgaErrorCode::kInvalidWriteInput);
}

TEST_F(DocsEngineTest, CacheNeverServesADecisionOlderThanTheLastWrite) {
  EXPECT_TRUE(allowed(*engine_, "document:d", "owner", "user:olga"));
  CheckRequest plain{"document:d", "owner", "user:olga", {}, nullptr, false, false};
  EXPECT_TRUE(engine_->check(plain).allowed);
  EXPECT_TRUE(engine_->check(plain).cached);
  std::uint64_t seen = 0;
  engine_->on_change([&](std::uint64_t rev) { seen = rev; });
  WriteRequest w;
  w.deletes = {t("document:d", "owner", "user:olga")};
  const WriteResult wr = engine_->write(w);
  ASSERT_TRUE(wr.error.ok());
  EXPECT_EQ(seen, wr.revision);
  EXPECT_EQ(engine_->revision(), wr.revision);
  const CheckResult after = engine_->check(plain);
  EXPECT_FALSE(after.allowed);
  EXPECT_FALSE(after.cached);
  EXPECT_EQ(after.revision, wr.revision);
}

TEST_F(DocsEngineTest, ModelChangeIgnoresTuplesTheNewModelDisallows) {
  EXPECT_TRUE(allowed(*engine_, "document:public", "viewer", "user:anyone"));
  auto model = parse_dsl(R"(model
  schema 1.1
type user
type folder
  relations
    define viewer: [user]
type document
  relations
    define parent: [folder]
    define viewer: [user]
)");
  ASSERT_TRUE(model.ok());
  const std::uint64_t before = engine_->model_version();
  ASSERT_TRUE(engine_->set_model(*model).ok());
  EXPECT_GT(engine_->model_version(), before);
  EXPECT_FALSE(allowed(*engine_, "document:public", "viewer", "user:anyone"));  // user:* no longer allowed
  EXPECT_EQ(check(*engine_, "document:d", "owner", "user:olga").error.code, FgaErrorCode::kValidationError);
}

TEST_F(DocsEngineTest, ExpandReturnsOpenFgaTreeShape) {
  ExpandResult r = engine_->expand({"document:d", "editor", {}});
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  const nlohmann::json& root = r.tree["tree"]["root"];
  EXPECT_EQ(root["name"], "document:d#editor");
  ASSERT_TRUE(root.contains("union"));
  EXPECT_EQ(root["union"]["nodes"][0]["leaf"]["users"]["users"], nlohmann::json::array({"user:ed"}));
  EXPECT_EQ(root["union"]["nodes"][1]["leaf"]["computed"]["userset"], "document:d#owner");
  ExpandResult v = engine_->expand({"document:d", "viewer", {}});
  const nlohmann::json& ttu = v.tree["tree"]["root"]["union"]["nodes"][2]["leaf"]["tupleToUserset"];
  EXPECT_EQ(ttu["tupleset"], "document:d#parent");
  EXPECT_EQ(ttu["computed"][0]["userset"], "folder:f#viewer");
}

TEST_F(DocsEngineTest, BatchCheckAndLimits) {
  std::vector<CheckRequest> batch(2);
  batch[0] = CheckRequest{"document:d", "owner", "user:olga", {}, nullptr, false, false};
  batch[1] = CheckRequest{"document:d", "owner", "user:anne", {}, nullptr, false, false};
  auto results = engine_->batch_check(batch);
  ASSERT_EQ(results.size(), 2U);
  EXPECT_TRUE(results[0].allowed);
  EXPECT_FALSE(results[1].allowed);
  std::vector<CheckRequest> too_many(engine_->options().max_batch_checks + 1, batch[0]);
  for (const CheckResult& r : engine_->batch_check(too_many)) {
    EXPECT_FALSE(r.allowed);
    EXPECT_EQ(r.error.code, FgaErrorCode::kValidationError);
  }
}

TEST_F(DocsEngineTest, OversizedRequestContextIsRejected) {
  nlohmann::json big = {{"x", std::string(40 * 1024, 'a')}};
  const CheckResult r = check(*engine_, "document:d", "owner", "user:olga", big);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.error.code, FgaErrorCode::kValidationError);
  const CheckResult not_object = check(*engine_, "document:d", "owner", "user:olga", nlohmann::json::array());
  EXPECT_EQ(not_object.error.code, FgaErrorCode::kValidationError);
}

CheckRequest request(const std::string& object, const std::string& relation, const std::string& user) {
  CheckRequest r;
  r.object = object;
  r.relation = relation;
  r.user = user;
  return r;
}

TEST_F(DocsEngineTest, PreparedChecksAnswerLikeStringChecks) {
  const std::vector<std::string> users = {"user:anne", "user:fred", "user:olga", "user:ed",
                                          "user:nobody", "group:eng#member", "group:all#member", "user:*"};
  const std::vector<std::string> objects = {"document:d", "document:public", "folder:f", "document:absent"};
  const std::vector<std::string> relations = {"viewer", "editor", "can_publish", "can_read", "owner", "parent"};
  int resolved = 0;
  for (const std::string& o : objects) {
    for (const std::string& rel : relations) {
      for (const std::string& u : users) {
        const CheckRequest req = request(o, rel, u);
        const PreparedCheck p = engine_->prepare(req);
        resolved += p.resolved() ? 1 : 0;
        const CheckResult a = engine_->check(req);
        const CheckResult b = engine_->check(p);
        EXPECT_EQ(a.allowed, b.allowed) << o << "#" << rel << "@" << u;
        EXPECT_EQ(a.error.code, b.error.code) << o << "#" << rel << "@" << u;
        EXPECT_EQ(a.error.message, b.error.message) << o << "#" << rel << "@" << u;
      }
    }
  }
  EXPECT_GT(resolved, 0);  // the fast path was taken for the stored pairs
  EXPECT_TRUE(engine_->check(engine_->prepare(request("document:d", "can_read", "user:anne"))).allowed);
  EXPECT_FALSE(engine_->check(engine_->prepare(request("document:d", "can_read", "user:fred"))).allowed);
}

TEST_F(DocsEngineTest, PreparedChecksWithBadInputFailClosedLikeStringChecks) {
  for (const CheckRequest& req : {request("document:d", "nope", "user:anne"), request("nope:d", "viewer", "user:anne"),
                                  request("document:d", "viewer", "nope:anne"), request("document", "viewer", "user:anne"),
                                  request("document:d", "viewer", "group:eng#nope"), request("document:d", "viewer", "")}) {
    const PreparedCheck p = engine_->prepare(req);
    EXPECT_FALSE(p.resolved());
    const CheckResult r = engine_->check(p);
    EXPECT_FALSE(r.allowed);
    EXPECT_EQ(r.error.code, FgaErrorCode::kValidationError) << req.object << "#" << req.relation << "@" << req.user;
    EXPECT_EQ(r.error.code, engine_->check(req).error.code);
  }
  PreparedCheck p = engine_->prepare(request("document:d", "can_read", "user:anne"));
  p.set_context("not an object");
  EXPECT_FALSE(engine_->check(p).allowed);
  EXPECT_EQ(engine_->check(p).error.code, FgaErrorCode::kValidationError);
  const PreparedCheck empty;  // never prepared: no model ids, the string path reports the error
  EXPECT_FALSE(engine_->check(empty).allowed);
  EXPECT_FALSE(engine_->check(empty).error.ok());
}

TEST(EnginePreparedTest, ContextIsValidatedAtPrepareAndWhenReplaced) {
  EngineOptions small;
  small.max_context_bytes = 64;
  auto engine = make_engine(kDocsModel, small);
  ASSERT_NE(engine, nullptr);
  write_all(*engine, {t("document:d", "owner", "user:olga")});
  CheckRequest req = request("document:d", "owner", "user:olga");
  req.context = {{"big", std::string(200, 'x')}};
  PreparedCheck p = engine->prepare(req);
  ASSERT_TRUE(p.resolved());
  EXPECT_FALSE(engine->check(p).allowed);
  EXPECT_EQ(engine->check(p).error.code, FgaErrorCode::kValidationError);
  EXPECT_EQ(engine->check(p).error.message, engine->check(req).error.message);
  p.set_context({{"x", 1}});
  EXPECT_TRUE(engine->check(p).allowed);
  p.set_context({{"big", std::string(200, 'x')}});
  EXPECT_EQ(engine->check(p).error.code, FgaErrorCode::kValidationError);
  req.context = {{"x", 1}};
  const PreparedCheck fine = engine->prepare(req);
  EXPECT_TRUE(engine->check(fine).allowed);
}

TEST_F(DocsEngineTest, PreparedChecksFollowWritesLoadsAndModelChanges) {
  const PreparedCheck p = engine_->prepare(request("document:d", "can_read", "user:anne"));
  ASSERT_TRUE(p.resolved());
  EXPECT_TRUE(engine_->check(p).allowed);
  // A write: the ids stay valid and the decision follows the tuples.
  WriteRequest block;
  block.writes = {t("document:d", "blocked", "user:anne")};
  ASSERT_TRUE(engine_->write(block).error.ok());
  EXPECT_FALSE(engine_->check(p).allowed);

  // An object the store had not seen when prepared: unresolved, so a later write is seen.
  const PreparedCheck later = engine_->prepare(request("document:new", "viewer", "user:newcomer"));
  EXPECT_FALSE(later.resolved());
  EXPECT_FALSE(engine_->check(later).allowed);
  WriteRequest add;
  add.writes = {t("document:new", "viewer", "user:newcomer")};
  ASSERT_TRUE(engine_->write(add).error.ok());
  EXPECT_TRUE(engine_->check(later).allowed);

  // A load reassigns every object id: the prepared ids must not be used against the new ones.
  const PreparedCheck olga = engine_->prepare(request("document:d", "owner", "user:olga"));
  ASSERT_TRUE(olga.resolved());
  ASSERT_TRUE(engine_->load({t("document:other", "owner", "user:zed"), t("document:d", "owner", "user:zed")}, 50).ok());
  EXPECT_FALSE(engine_->check(olga).allowed);
  EXPECT_TRUE(engine_->check(engine_->prepare(request("document:d", "owner", "user:zed"))).allowed);
  ASSERT_TRUE(engine_->load({t("document:d", "owner", "user:olga")}, 51).ok());
  EXPECT_TRUE(engine_->check(olga).allowed);

  // A new model without the relation: the prepared check reports what a string check reports.
  auto smaller = parse_dsl(R"(model
  schema 1.1
type user
type document
  relations
    define viewer: [user]
)");
  ASSERT_TRUE(smaller.ok());
  ASSERT_TRUE(engine_->set_model(*smaller).ok());
  const CheckResult r = engine_->check(olga);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.error.code, FgaErrorCode::kValidationError);
}

TEST_F(DocsEngineTest, UnpreparedFlagsChecksThatCouldNotUseTheirIds) {
  const PreparedCheck p = engine_->prepare(request("document:d", "can_read", "user:anne"));
  ASSERT_TRUE(p.resolved());
  EXPECT_FALSE(engine_->check(p).unprepared);
  EXPECT_FALSE(engine_->check(p, nlohmann::json()).unprepared);
  // Writes keep the ids.
  WriteRequest w;
  w.writes = {t("document:d", "viewer", "user:newcomer")};
  ASSERT_TRUE(engine_->write(w).error.ok());
  EXPECT_FALSE(engine_->check(p).unprepared);
  // Never resolved (an object the store lacked): every check resolves the strings.
  const PreparedCheck absent = engine_->prepare(request("document:absent", "viewer", "user:anne"));
  ASSERT_FALSE(absent.resolved());
  EXPECT_TRUE(engine_->check(absent).unprepared);
  // A load reassigns ids; a new model changes them.
  ASSERT_TRUE(engine_->load({t("document:d", "owner", "user:anne")}, 90).ok());
  const CheckResult after_load = engine_->check(p, nlohmann::json());
  EXPECT_TRUE(after_load.unprepared);
  EXPECT_TRUE(after_load.allowed);  // answered by the strings: anne owns d after the load
  const PreparedCheck fresh = engine_->prepare(request("document:d", "can_read", "user:anne"));
  EXPECT_FALSE(engine_->check(fresh).unprepared);
  auto model = parse_dsl(kDocsModel);
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(engine_->set_model(*model).ok());
  EXPECT_TRUE(engine_->check(fresh).unprepared);
  EXPECT_FALSE(engine_->check(engine_->prepare(request("document:d", "can_read", "user:anne"))).unprepared);
}

TEST_F(DocsEngineTest, PreparedCheckFromAnotherEngineUsesItsStrings) {
  auto other = make_engine(kDocsModel);
  ASSERT_NE(other, nullptr);
  write_all(*other, {t("document:x", "owner", "user:someone"), t("document:d", "owner", "user:anne")});
  // Same strings, different ids: prepared on `other`, checked here.
  const PreparedCheck p = other->prepare(request("document:d", "owner", "user:anne"));
  ASSERT_TRUE(p.resolved());
  EXPECT_FALSE(engine_->check(p).allowed);  // anne does not own document:d in this engine
  EXPECT_TRUE(other->check(p).allowed);
}

TEST_F(DocsEngineTest, PreparedChecksWithContextualTuplesTakeTheFullPath) {
  CheckRequest req = request("document:d", "viewer", "user:zoe");
  req.contextual_tuples = {t("document:d", "viewer", "user:zoe")};
  const PreparedCheck p = engine_->prepare(req);
  EXPECT_FALSE(p.resolved());
  EXPECT_TRUE(engine_->check(p).allowed);
}

// The evaluator answers a `group#member` subject the user has no tuple on without walking it;
// these are the cases where the walk must still happen because it can yield an error.
constexpr const char* kShortcutModel = R"(model
  schema 1.1
type user
type group
  relations
    define member: [user]
type res
  relations
    define viewer: [group#member, group#member with small]
condition small(x: int) {
  x < 10
}
)";

TEST(EngineShortcutTest, SkippedMembershipsKeepConditionErrorsAndTheDepthLimit) {
  auto engine = make_engine(kShortcutModel);
  ASSERT_NE(engine, nullptr);
  write_all(*engine, {t("res:r", "viewer", "group:a#member"), t("res:r", "viewer", "group:b#member", "small"),
                      t("group:other", "member", "user:anne"), t("group:a", "member", "user:bob")});
  EXPECT_TRUE(allowed(*engine, "res:r", "viewer", "user:bob"));
  // anne is in neither group; the conditioned userset tuple still needs its parameter.
  for (const char* user : {"user:anne", "user:nobody"}) {
    const CheckResult missing = check(*engine, "res:r", "viewer", user);
    EXPECT_FALSE(missing.allowed);
    EXPECT_EQ(missing.error.code, FgaErrorCode::kValidationError) << user;
    EXPECT_TRUE(missing.error.missing_parameters) << user;
    const CheckResult decided = check(*engine, "res:r", "viewer", user, {{"x", 1}});
    EXPECT_FALSE(decided.allowed);
    EXPECT_TRUE(decided.error.ok()) << user << ": " << decided.error.message;
  }
  // At the depth limit the walk reports 2002 rather than a quiet false.
  EngineOptions shallow;
  shallow.max_depth = 1;
  auto limited = make_engine(kShortcutModel, shallow);
  ASSERT_NE(limited, nullptr);
  write_all(*limited, {t("res:r", "viewer", "group:a#member"), t("group:other", "member", "user:anne")});
  const CheckResult deep = check(*limited, "res:r", "viewer", "user:anne");
  EXPECT_FALSE(deep.allowed);
  EXPECT_EQ(deep.error.code, FgaErrorCode::kResolutionTooComplex);
}

TEST(EngineCycleTest, CyclesNeverGrantAndNeverError) {
  auto e = make_engine(R"(model
  schema 1.1
type user
type document
  relations
    define viewer: [user, document#viewer]
    define blocked: [user, document#blocked]
    define can_view: viewer but not blocked
)");
  ASSERT_NE(e, nullptr);
  write_all(*e, {t("document:1", "viewer", "document:2#viewer"), t("document:2", "viewer", "document:1#viewer"),
                 t("document:1", "blocked", "document:2#blocked"), t("document:2", "blocked", "document:1#blocked"),
                 t("document:3", "viewer", "user:u"), t("document:3", "blocked", "document:1#blocked")});
  const CheckResult r = check(*e, "document:1", "viewer", "user:u");
  EXPECT_TRUE(r.error.ok());
  EXPECT_FALSE(r.allowed);
  // base true, subtract a cycle: false, not true (OpenFGA's true_butnot_cycle_return_false).
  const CheckResult b = check(*e, "document:3", "can_view", "user:u");
  EXPECT_TRUE(b.error.ok()) << b.error.message;
  EXPECT_FALSE(b.allowed);
}

TEST(EngineCycleTest, CachedDecisionsReportTheCycleTheOriginalMet) {
  auto e = make_engine(R"(model
  schema 1.1
type user
type document
  relations
    define viewer: [user, document#viewer]
)");
  ASSERT_NE(e, nullptr);
  write_all(*e, {t("document:1", "viewer", "document:2#viewer"), t("document:2", "viewer", "document:1#viewer"),
                 t("document:3", "viewer", "user:u")});
  // Not `explain`: only those decisions go to the decision cache.
  const CheckRequest looped{"document:1", "viewer", "user:u", {}, nullptr, false, false};
  const CheckResult first = e->check(looped);
  ASSERT_TRUE(first.error.ok()) << first.error.message;
  ASSERT_FALSE(first.cached);
  ASSERT_TRUE(first.cycle);
  const CheckResult again = e->check(looped);
  EXPECT_TRUE(again.cached);
  EXPECT_TRUE(again.cycle);
  EXPECT_FALSE(again.allowed);
  // Through a prepared check too (same cache key), and a cached decision without a cycle
  // does not report one.
  EXPECT_TRUE(e->check(e->prepare(looped)).cycle);
  const CheckRequest plain{"document:3", "viewer", "user:u", {}, nullptr, false, false};
  ASSERT_TRUE(e->check(plain).allowed);
  const CheckResult hit = e->check(plain);
  EXPECT_TRUE(hit.cached);
  EXPECT_TRUE(hit.allowed);
  EXPECT_FALSE(hit.cycle);
}

TEST(EngineDepthTest, TenThousandDeepUsersetsHitTheDepthLimit) {
  auto e = make_engine(R"(model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
)");
  ASSERT_NE(e, nullptr);
  std::vector<TupleRecord> chain;
  constexpr int kDepth = 10'000;
  for (int i = 0; i < kDepth; ++i) {
    chain.push_back(t("group:" + std::to_string(i), "member", "group:" + std::to_string(i + 1) + "#member"));
  }
  chain.push_back(t("group:" + std::to_string(kDepth), "member", "user:deep"));
  chain.push_back(t("group:9990", "member", "user:shallow-enough"));
  ASSERT_TRUE(e->load(chain, 1).ok());
  const CheckResult deep = check(*e, "group:0", "member", "user:deep");
  EXPECT_FALSE(deep.allowed);
  EXPECT_EQ(deep.error.code, FgaErrorCode::kResolutionTooComplex);
  EXPECT_TRUE(allowed(*e, "group:9990", "member", "user:shallow-enough"));
  EXPECT_TRUE(allowed(*e, "group:9980", "member", "user:shallow-enough"));  // 10 hops
  EXPECT_FALSE(allowed(*e, "group:9980", "member", "user:nobody"));       // short enough to finish

  ListUsersResult lu = e->list_users({"group:0", "member", {"user"}, {}, nullptr});
  EXPECT_EQ(lu.error.code, FgaErrorCode::kResolutionTooComplex);
  ListObjectsResult lo = e->list_objects({"group", "member", "user:deep", {}, nullptr});
  EXPECT_EQ(lo.error.code, FgaErrorCode::kResolutionTooComplex);
}

TEST(EngineDepthTest, WideDiamondsStayBoundedByMemo) {
  // 20 layers of 20 groups, each group a member of every group of the layer above: without
  // memoisation a check walks 20^20 paths.
  auto e = make_engine(R"(model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
)");
  ASSERT_NE(e, nullptr);
  std::vector<TupleRecord> tuples;
  for (int layer = 0; layer < 20; ++layer) {
    for (int a = 0; a < 20; ++a) {
      for (int b = 0; b < 20; ++b) {
        tuples.push_back(t("group:" + std::to_string(layer) + "-" + std::to_string(a), "member",
                           "group:" + std::to_string(layer + 1) + "-" + std::to_string(b) + "#member"));
      }
    }
  }
  ASSERT_TRUE(e->load(tuples, 1).ok());
  const CheckResult r = check(*e, "group:0-0", "member", "user:nobody");
  EXPECT_FALSE(r.allowed);
  EXPECT_TRUE(r.error.ok()) << r.error.message;
}

constexpr const char* kConditionModel = R"(model
  schema 1.1
type user
type document
  relations
    define viewer: [user with in_range, user:* with in_range, user]
    define editor: [user]
    define either: viewer or editor
    define both: viewer and editor
    define blocked: [user with in_range]
    define not_blocked: editor but not blocked
condition in_range(x: int, limit: int) {
  x < limit
}
)";

TEST(EngineConditionTest, ContextMergesWithTupleContextWinning) {
  auto e = make_engine(kConditionModel);
  ASSERT_NE(e, nullptr);
  write_all(*e, {t("document:1", "viewer", "user:a", "in_range", {{"limit", 10}}),
                 t("document:2", "viewer", "user:*", "in_range", nullptr)});
  EXPECT_TRUE(check(*e, "document:1", "viewer", "user:a", {{"x", 5}}).allowed);
  EXPECT_FALSE(check(*e, "document:1", "viewer", "user:a", {{"x", 50}}).allowed);
  // The request cannot override the tuple's limit.
  EXPECT_FALSE(check(*e, "document:1", "viewer", "user:a", {{"x", 50}, {"limit", 100}}).allowed);
  const CheckResult c = check(*e, "document:2", "viewer", "user:b", {{"x", 1}, {"limit", 2}});
  EXPECT_TRUE(c.allowed) << c.error.message;
  EXPECT_TRUE(c.conditional);
}

TEST(EngineConditionTest, MissingOrMistypedParametersAreErrors) {
  auto e = make_engine(kConditionModel);
  ASSERT_NE(e, nullptr);
  write_all(*e, {t("document:1", "viewer", "user:a", "in_range", {{"limit", 10}})});
  const CheckResult missing = check(*e, "document:1", "viewer", "user:a");
  EXPECT_FALSE(missing.allowed);
  EXPECT_EQ(missing.error.code, FgaErrorCode::kValidationError);
  EXPECT_NE(missing.error.message.find("missing"), std::string::npos) << missing.error.message;
  const CheckResult wrong = check(*e, "document:1", "viewer", "user:a", {{"x", "five"}});
  EXPECT_FALSE(wrong.allowed);
  EXPECT_EQ(wrong.error.code, FgaErrorCode::kValidationError);
  const CheckResult fraction = check(*e, "document:1", "viewer", "user:a", {{"x", 1.5}});
  EXPECT_EQ(fraction.error.code, FgaErrorCode::kValidationError);
}

TEST(EngineConditionTest, ErrorPrecedenceInSetOperations) {
  auto e = make_engine(kConditionModel);
  ASSERT_NE(e, nullptr);
  write_all(*e, {t("document:1", "viewer", "user:a", "in_range", nullptr), t("document:1", "editor", "user:a"),
                 t("document:2", "viewer", "user:a", "in_range", nullptr),
                 t("document:3", "editor", "user:a"), t("document:3", "blocked", "user:a", "in_range", nullptr)});
  // union: true beats error
  EXPECT_TRUE(check(*e, "document:1", "either", "user:a").allowed);
  EXPECT_EQ(check(*e, "document:2", "either", "user:a").error.code, FgaErrorCode::kValidationError);
  // intersection: false beats error
  const CheckResult both = check(*e, "document:2", "both", "user:a");
  EXPECT_TRUE(both.error.ok());
  EXPECT_FALSE(both.allowed);
  EXPECT_EQ(check(*e, "document:1", "both", "user:a").error.code, FgaErrorCode::kValidationError);
  // exclusion: an erroring subtract denies with the error
  const CheckResult excl = check(*e, "document:3", "not_blocked", "user:a");
  EXPECT_FALSE(excl.allowed);
  EXPECT_EQ(excl.error.code, FgaErrorCode::kValidationError);
  EXPECT_TRUE(check(*e, "document:3", "not_blocked", "user:a", {{"x", 5}, {"limit", 1}}).allowed);
}

TEST(EnginePreparedTest, OnePreparedCheckServesEachCallsOwnContext) {
  auto e = make_engine(kConditionModel);
  ASSERT_NE(e, nullptr);
  write_all(*e, {t("document:1", "viewer", "user:a", "in_range", {{"limit", 10}})});
  const PreparedCheck p = e->prepare(CheckRequest{"document:1", "viewer", "user:a", {}, {{"x", 1}}, false, false});
  ASSERT_TRUE(p.resolved());
  const nlohmann::json small = {{"x", 5}};
  const nlohmann::json big = {{"x", 50}};
  const CheckResult yes = e->check(p, small);
  EXPECT_TRUE(yes.allowed) << yes.error.message;
  EXPECT_FALSE(yes.unprepared);
  EXPECT_FALSE(e->check(p, big).allowed);
  EXPECT_TRUE(e->check(p).allowed);  // its own context is untouched
  // A context given here is validated on every call, as check(request) validates it.
  EXPECT_EQ(e->check(p, nlohmann::json("not an object")).error.code, FgaErrorCode::kValidationError);
  EXPECT_EQ(e->check(p, nlohmann::json::object()).error.code, FgaErrorCode::kValidationError);  // x missing
  const nlohmann::json huge = {{"x", 1}, {"pad", std::string(40 * 1024, 'x')}};
  EXPECT_EQ(e->check(p, huge).error.code, FgaErrorCode::kValidationError);
  EXPECT_FALSE(e->check(p, huge).allowed);
}

TEST(EngineConditionTest, ConditionalDecisionsAreNotCached) {
  auto e = make_engine(kConditionModel);
  ASSERT_NE(e, nullptr);
  write_all(*e, {t("document:1", "viewer", "user:a", "in_range", {{"limit", 10}})});
  CheckRequest r{"document:1", "viewer", "user:a", {}, {{"x", 1}}, false, false};
  EXPECT_TRUE(e->check(r).allowed);
  r.context = {{"x", 100}};
  const CheckResult second = e->check(r);
  EXPECT_FALSE(second.allowed);
  EXPECT_FALSE(second.cached);
}

// The MCP-shaped model of FGA.md §6.2 and its expected results table.
constexpr const char* kMcpModel = R"(model
  schema 1.1
type user
type group
  relations
    define member: [user]
type client
type mcp_server
  relations
    define admin: [user]
    define user_access: [user, group#member] or admin
    define client_access: [client]
type tool
  relations
    define server: [mcp_server]
    define invoker: [user, group#member] or user_access from server
    define agent: [client, client with args_within] or client_access from server
    define arg_denied: [user:* with too_many_results]
    define blocked: [user, client]
    define can_invoke: invoker but not (blocked or arg_denied)
    define can_be_used_by_agent: agent but not blocked
condition args_within(arg_calendar_id: string, allowed_calendars: list<string>) {
  arg_calendar_id in allowed_calendars
}
condition too_many_results(arg_max_results: int, limit: int) {
  arg_max_results > limit
}
)";

TEST(EngineMcpTest, CalendarAgentTable) {
  auto e = make_engine(kMcpModel);
  ASSERT_NE(e, nullptr);
  write_all(*e, {
                    t("group:staff", "member", "user:alice"),
                    t("mcp_server:gcal", "user_access", "group:staff#member"),
                    t("tool:gcal/get_availability", "server", "mcp_server:gcal"),
                    t("tool:gcal/delete_event", "server", "mcp_server:gcal"),
                    t("tool:gcal/list_events", "server", "mcp_server:gcal"),
                    t("tool:gcal/get_availability", "agent", "client:calendar-agent"),
                    t("tool:gcal/list_events", "agent", "client:calendar-agent", "args_within",
                      {{"allowed_calendars", {"primary", "team"}}}),
                    t("tool:gcal/list_events", "arg_denied", "user:*", "too_many_results", {{"limit", 50}}),
                });
  auto call = [&](const std::string& tool, nlohmann::json args) {
    CheckRequest u{"tool:gcal/" + tool, "can_invoke", "user:alice", {}, args, true, false};
    CheckRequest a{"tool:gcal/" + tool, "can_be_used_by_agent", "client:calendar-agent", {}, args, true, false};
    return e->batch_check({u, a});
  };
  auto r = call("get_availability", nlohmann::json::object());
  EXPECT_TRUE(r[0].allowed && r[1].allowed) << r[0].reason << " / " << r[1].reason;
  r = call("delete_event", nlohmann::json::object());
  EXPECT_TRUE(r[0].allowed);
  EXPECT_FALSE(r[1].allowed);
  EXPECT_TRUE(r[1].error.ok());
  r = call("list_events", {{"arg_calendar_id", "primary"}, {"arg_max_results", 20}});
  EXPECT_TRUE(r[0].allowed && r[1].allowed) << r[0].error.message << " / " << r[1].error.message;
  r = call("list_events", {{"arg_calendar_id", "ceo"}, {"arg_max_results", 20}});
  EXPECT_TRUE(r[0].allowed);
  EXPECT_FALSE(r[1].allowed);
  r = call("list_events", {{"arg_calendar_id", "primary"}, {"arg_max_results", 500}});
  EXPECT_FALSE(r[0].allowed);
  EXPECT_TRUE(r[0].error.ok());
  r = call("list_events", {{"arg_calendar_id", "primary"}});
  EXPECT_FALSE(r[0].allowed);
  EXPECT_EQ(r[0].error.code, FgaErrorCode::kValidationError);  // missing arg_max_results
}

TEST(EngineTest, NoModelMeansDenyWithError) {
  Engine e;
  const CheckResult r = e.check({"document:1", "viewer", "user:a", {}, nullptr, false, false});
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.error.code, FgaErrorCode::kModelNotFound);
}

TEST(EngineTest, ConcurrentChecksAndWrites) {
  auto e = make_engine(kDocsModel);
  ASSERT_NE(e, nullptr);
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        (void)e->check({"document:x", "viewer", "user:u", {}, nullptr, false, false});
      }
    });
  }
  for (int i = 0; i < 100; ++i) {
    WriteRequest w;
    w.writes = {t("document:x" + std::to_string(i), "viewer", "user:u")};
    ASSERT_TRUE(e->write(w).error.ok());
  }
  stop = true;
  for (auto& th : readers) {
    th.join();
  }
  EXPECT_TRUE(allowed(*e, "document:x99", "viewer", "user:u"));
}

}  // namespace
}  // namespace mcpgate::authz
