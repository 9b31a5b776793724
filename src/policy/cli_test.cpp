// The policy commands as functions: store test files (the OpenFGA CLI format, file containment,
// tuple files), model validation with positions, the blast-radius explanation on the demo
// policy, and the tuples client against a fake gate.

#include "policy/cli.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/dsl.hpp"
#include "http/test_server.hpp"
#include "policy/store_file.hpp"

namespace mcpgate::policy {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> n{0};
    path_ = fs::temp_directory_path() /
            ("mcpgate-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  fs::path path_;
};

constexpr const char* kModel = R"(model
  schema 1.1
type user
type team
  relations
    define member: [user]
type document
  relations
    define viewer: [user, user:*, team#member]
)";

std::string store_with(const std::string& extra) {
  return std::string("name: t\nmodel: |\n") + [] {
    std::string indented;
    std::istringstream in(kModel);
    for (std::string line; std::getline(in, line);) {
      indented += "  " + line + "\n";
    }
    return indented;
  }() + extra;
}

TEST(PolicyTestCommand, DemoStorePasses) {
  std::ostringstream out;
  auto report = run_store_tests("examples/demo-policy.fga.yaml", {}, out);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->failed_tests, 0) << out.str();
  EXPECT_GT(report->assertions, 10);
  EXPECT_NE(out.str().find("PASS  alice may use everything"), std::string::npos) << out.str();
}

TEST(PolicyTestCommand, FailingAssertionIsReported) {
  std::ostringstream out;
  auto report = run_store_tests("tests/policy/failing.fga.yaml", {}, out);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->tests, 2);
  EXPECT_EQ(report->failed_tests, 1);
  EXPECT_EQ(report->failed_assertions, 1);
  EXPECT_NE(out.str().find("FAIL  bob can view"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("expected true, got false"), std::string::npos) << out.str();
}

TEST(PolicyTestCommand, CheckListObjectsListUsersAndGroupedUsers) {
  TempDir dir;
  const std::string path = dir.write("s.fga.yaml", store_with(R"(
tuples:
  - {user: "user:anne", relation: member, object: "team:a"}
  - {user: "team:a#member", relation: viewer, object: "document:1"}
tests:
  - name: all kinds
    tuples:
      - {user: "user:*", relation: viewer, object: "document:pub"}
    check:
      - users: [user:anne, user:zed]
        objects: [document:pub]
        assertions: {viewer: true}
      - user: user:anne
        object: document:1
        assertions: {viewer: true}
    list_objects:
      - user: user:anne
        type: document
        assertions:
          viewer: [document:pub, document:1]
    list_users:
      - object: document:1
        user_filter: [{type: team, relation: member}]
        assertions:
          viewer: {users: ["team:a#member"]}
      - object: document:pub
        user_filter: [{type: user}]
        assertions:
          viewer: {users: ["user:*"]}
  - name: test tuples do not leak into other tests
    check:
      - user: user:zed
        object: document:pub
        assertions: {viewer: false}
)"));
  std::ostringstream out;
  auto report = run_store_tests(path, {true, false}, out);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->failed_tests, 0) << out.str();
  EXPECT_EQ(report->assertions, 7) << out.str();
}

TEST(PolicyTestCommand, ErrorsCountAsFailures) {
  TempDir dir;
  const std::string path = dir.write("s.fga.yaml", store_with(R"(
tests:
  - name: unknown relation
    check:
      - user: user:anne
        object: document:1
        assertions: {nope: false}
  - name: bad tuple
    tuples:
      - {user: "user:anne", relation: member, object: "document:1"}
    check:
      - user: user:anne
        object: document:1
        assertions: {viewer: false}
)"));
  std::ostringstream out;
  auto report = run_store_tests(path, {}, out);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->failed_tests, 2) << out.str();
}

TEST(PolicyTestCommand, TupleFilesInYamlJsonAndCsv) {
  TempDir dir;
  dir.write("model.fga", kModel);
  dir.write("t.yaml", "- {user: \"user:anne\", relation: viewer, object: \"document:1\"}\n");
  dir.write("t.json", R"([{"user":"user:bob","relation":"viewer","object":"document:2"}])");
  dir.write("t.csv",
            "user_type,user_id,user_relation,relation,object_type,object_id\n"
            "team,a,member,viewer,document,3\nuser,carl,,member,team,a\n");
  const std::string path = dir.write("s.fga.yaml", R"(
name: files
model_file: ./model.fga
tuple_files: [t.yaml, t.json]
tests:
  - name: files
    tuple_file: t.csv
    check:
      - {user: "user:anne", object: "document:1", assertions: {viewer: true}}
      - {user: "user:bob", object: "document:2", assertions: {viewer: true}}
      - {user: "user:carl", object: "document:3", assertions: {viewer: true}}
)");
  std::ostringstream out;
  auto report = run_store_tests(path, {}, out);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->failed_tests, 0) << out.str();
  EXPECT_EQ(report->assertions, 3);
}

TEST(PolicyTestCommand, ReferencedFilesStayInsideTheDirectory) {
  TempDir outside;
  const std::string secret = outside.write("model.fga", kModel);
  TempDir dir;
  std::ostringstream out;
  const std::string rel = dir.write("a.fga.yaml", "name: x\nmodel_file: ../" +
                                                      outside.path().filename().string() + "/model.fga\ntests: []\n");
  EXPECT_FALSE(run_store_tests(rel, {}, out).ok());
  const std::string abs = dir.write("b.fga.yaml", "name: x\nmodel_file: " + secret + "\ntests: []\n");
  EXPECT_FALSE(run_store_tests(abs, {}, out).ok());
  fs::create_symlink(outside.path(), dir.path() / "link");
  const std::string sym = dir.write("c.fga.yaml", "name: x\nmodel_file: link/model.fga\ntests: []\n");
  EXPECT_FALSE(run_store_tests(sym, {}, out).ok());
  // The operator may allow it.
  EXPECT_TRUE(run_store_tests(abs, {false, true}, out).ok());
  // Not a regular file.
  const std::string dev = dir.write("d.fga.yaml", "name: x\nmodel_file: /dev/zero\ntests: []\n");
  EXPECT_FALSE(run_store_tests(dev, {false, true}, out).ok());
}

TEST(PolicyTestCommand, UnreadableOrMalformedFilesAreErrors) {
  TempDir dir;
  std::ostringstream out;
  EXPECT_FALSE(run_store_tests((dir.path() / "missing.fga.yaml").string(), {}, out).ok());
  EXPECT_FALSE(run_store_tests(dir.write("a.fga.yaml", "name: [unclosed\n"), {}, out).ok());
  EXPECT_FALSE(run_store_tests(dir.write("b.fga.yaml", "- a list\n"), {}, out).ok());
  EXPECT_FALSE(run_store_tests(dir.write("c.fga.yaml", "name: no model\ntests: []\n"), {}, out).ok());
  EXPECT_FALSE(run_store_tests(dir.write("d.fga.yaml", store_with("tests: {a: 1}\n")), {}, out).ok());
}

TEST(PolicyTestCommand, InlineModelErrorsPointIntoTheStoreFile) {
  TempDir dir;
  const std::string path = dir.write("s.fga.yaml", "name: x\nmodel: |\n  model\n    schema 1.1\n  type user\n"
                                                   "  type doc\n    relations\n      define v: [user] or or x\n");
  std::ostringstream out;
  auto r = run_store_tests(path, {}, out);
  ASSERT_FALSE(r.ok());
  // Line 8 of the store file holds the bad definition.
  EXPECT_NE(r.error().message.find("s.fga.yaml:8:"), std::string::npos) << r.error().message;
}

TEST(PolicyValidateCommand, ReportsPositionsAndExitCodes) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_validate("examples/demo-policy.fga", out, err), 0) << err.str();
  EXPECT_NE(out.str().find("valid"), std::string::npos);
  EXPECT_EQ(run_validate("tests/policy/bad-model.fga", out, err), 1);
  EXPECT_NE(err.str().find("bad-model.fga:6:"), std::string::npos) << err.str();
  TempDir dir;
  std::ostringstream err2;
  const std::string undefined = dir.write("u.fga", "model\n  schema 1.1\ntype doc\n  relations\n    define v: nope\n");
  EXPECT_EQ(run_validate(undefined, out, err2), 1);
  EXPECT_FALSE(err2.str().empty());
  EXPECT_EQ(run_validate((dir.path() / "missing.fga").string(), out, err), 2);
  const std::string json = dir.write("m.json", R"({"schema_version":"1.1","type_definitions":[{"type":"user"}]})");
  EXPECT_EQ(run_validate(json, out, err), 0) << err.str();
}

class ExplainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = load_store_file("examples/demo-policy.fga.yaml");
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto engine = authz::Engine::create(store->model);
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(engine).value();
    for (std::size_t i = 0; i < store->tuples.size(); i += 100) {
      authz::WriteRequest w;
      w.writes.assign(store->tuples.begin() + static_cast<std::ptrdiff_t>(i),
                      store->tuples.begin() + static_cast<std::ptrdiff_t>(std::min(store->tuples.size(), i + 100)));
      ASSERT_TRUE(engine_->write(w).error.ok());
    }
  }

  std::map<std::string, ExplainEntry> explain(const std::string& user, const std::string& client,
                                              const std::vector<ToolRef>& tools = {}) {
    std::map<std::string, ExplainEntry> out;
    for (auto& e : explain_pair(*engine_, ToolAuthorizerOptions{}, user, client, tools)) {
      out[e.object] = e;
    }
    return out;
  }

  std::unique_ptr<authz::Engine> engine_;
};

TEST_F(ExplainTest, CalendarAssistantForAlice) {
  auto e = explain("alice", "calendar-assistant");
  ASSERT_EQ(e.size(), 8u);
  EXPECT_EQ(e["tool:calendar/get_availability"].combined, Verdict::kAllowed);
  // max_results > 50 is refused by a condition: allowed only depending on arguments.
  EXPECT_EQ(e["tool:calendar/list_events"].combined, Verdict::kConditional);
  EXPECT_NE(e["tool:calendar/list_events"].detail.find("arg_max_results"), std::string::npos);
  EXPECT_EQ(e["tool:calendar/delete_event"].combined, Verdict::kDenied);
  EXPECT_EQ(e["tool:calendar/delete_event"].user, Verdict::kAllowed);
  EXPECT_EQ(e["tool:calendar/delete_event"].client, Verdict::kDenied);
  EXPECT_EQ(e["tool:mail/send_message"].combined, Verdict::kDenied);
  std::ostringstream out;
  print_explain(explain_pair(*engine_, ToolAuthorizerOptions{}, "alice", "calendar-assistant", {}), "alice",
                "calendar-assistant", out);
  EXPECT_NE(out.str().find("1 of 8 tools callable, 1 conditional"), std::string::npos) << out.str();
}

TEST_F(ExplainTest, BobWithAnotherAgentOnlyReads) {
  auto e = explain("bob", "other-agent");
  EXPECT_EQ(e["tool:calendar/get_availability"].combined, Verdict::kAllowed);
  EXPECT_EQ(e["tool:mail/search_messages"].combined, Verdict::kAllowed);
  EXPECT_EQ(e["tool:mail/read_message"].combined, Verdict::kAllowed);
  EXPECT_EQ(e["tool:calendar/list_events"].combined, Verdict::kConditional);
  EXPECT_EQ(e["tool:calendar/create_event"].combined, Verdict::kDenied);
  EXPECT_EQ(e["tool:mail/send_message"].combined, Verdict::kDenied);
}

TEST_F(ExplainTest, ConfiguredToolsWithoutTuplesAreDenied) {
  auto e = explain("alice", "x", {{"calendar", "new_tool"}, {"", "local_tool"}});
  EXPECT_EQ(e["tool:calendar/new_tool"].combined, Verdict::kDenied);
  EXPECT_EQ(e["tool:local/local_tool"].combined, Verdict::kDenied);
}

TEST_F(ExplainTest, HostileIdentitiesNeverAllow) {
  for (const std::string& user : {std::string("alice#member"), std::string(""), std::string("a b")}) {
    for (const auto& [object, entry] : explain(user, "calendar-assistant")) {
      EXPECT_NE(entry.combined, Verdict::kAllowed) << user << " " << object;
    }
  }
  // "*" would name the wildcard (client:* is granted the agent relation): refused.
  for (const auto& [object, entry] : explain("alice", "*")) {
    EXPECT_EQ(entry.combined, Verdict::kError) << object;
  }
}

// ---- tuples client against a fake gate ----------------------------------------------------

class FakeGate {
 public:
  // labelled: the store list of a gate with organizations (three stores over two pages, each
  // saying whose); otherwise one store without an "organization" (a gate from before).
  explicit FakeGate(bool labelled = false)
      : labelled_(labelled), server_([this](const http::Request& req) { return handle(req); }) {}

  std::string url() const { return server_.url(""); }
  std::vector<http::Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  http::testing::TestReply handle(const http::Request& req) {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    if (req[http::Field::authorization] != "Bearer secret-token-0123456789") {
      return http::testing::make_reply(401, R"({"code":"unauthenticated","message":"unauthenticated"})");
    }
    const std::string target(req.target());
    if (target == "/stores?page_size=100" && labelled_) {
      return http::testing::make_reply(
          200, R"({"stores":[{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","name":"x","organization":"default"},)"
               R"({"id":"01BX5ZZKBKACTAV9WEVGEMMVRZ","name":"x/acme","organization":"acme"}],"continuation_token":"p2"})");
    }
    if (target == "/stores?page_size=100&continuation_token=p2" && labelled_) {
      return http::testing::make_reply(
          200, R"({"stores":[{"id":"01BX5ZZKBKACTAV9WEVGEMMVS0","name":"x/globex","organization":"globex"}],"continuation_token":""})");
    }
    if (target == "/stores/01BX5ZZKBKACTAV9WEVGEMMVS0/write" && labelled_) {
      return http::testing::make_reply(200, "{}");
    }
    if (target == "/stores?page_size=100") {
      return http::testing::make_reply(200, R"({"stores":[{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","name":"x"}],"continuation_token":""})");
    }
    if (target == "/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/write") {
      const Json body = Json::parse(req.body(), nullptr, false);
      if (body.contains("writes") && body["writes"]["tuple_keys"][0]["user"] == "user:reject") {
        return http::testing::make_reply(400, R"({"code":"validation_error","message":"no"})");
      }
      return http::testing::make_reply(200, "{}");
    }
    if (target == "/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/read") {
      const Json body = Json::parse(req.body(), nullptr, false);
      if (!body.contains("continuation_token")) {
        return http::testing::make_reply(
            200, R"({"tuples":[{"key":{"user":"user:a","relation":"r","object":"t:1"},"timestamp":"1970-01-01T00:00:00Z"}],"continuation_token":"next"})");
      }
      return http::testing::make_reply(
          200, R"({"tuples":[{"key":{"user":"user:b","relation":"r","object":"t:2","condition":{"name":"c","context":{"x":1}}},"timestamp":"1970-01-01T00:00:00Z"}],"continuation_token":""})");
    }
    return http::testing::make_reply(404, R"({"code":"undefined_endpoint","message":"x"})");
  }

  bool labelled_ = false;
  std::mutex mu_;
  std::vector<http::Request> requests_;
  http::testing::TestServer server_;
};

TEST(TuplesCommand, WritesInChunksOf100WithTheToken) {
  FakeGate gate;
  TempDir dir;
  std::string yaml;
  for (int i = 0; i < 150; ++i) {
    yaml += "- {user: \"user:u" + std::to_string(i) + "\", relation: viewer, object: \"document:1\"}\n";
  }
  TupleArgs args;
  args.file = dir.write("t.yaml", yaml);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_tuples("write", {gate.url(), "secret-token-0123456789", ""}, args, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), "wrote 150 tuples\n");
  const auto reqs = gate.requests();
  ASSERT_EQ(reqs.size(), 3u);  // GET /stores, then two writes
  EXPECT_EQ(Json::parse(reqs[1].body())["writes"]["tuple_keys"].size(), 100u);
  EXPECT_EQ(Json::parse(reqs[2].body())["writes"]["tuple_keys"].size(), 50u);
}

TEST(TuplesCommand, SingleDeleteAndConditionalWrite) {
  FakeGate gate;
  TupleArgs args;
  args.user = "user:anne";
  args.relation = "viewer";
  args.object = "document:1";
  std::ostringstream out;
  std::ostringstream err;
  const ApiTarget target{gate.url(), "secret-token-0123456789", "01ARZ3NDEKTSV4RRFFQ69G5FAV"};
  ASSERT_EQ(run_tuples("delete", target, args, out, err), 0) << err.str();
  args.condition = "c";
  args.context_json = R"({"x": 1})";
  ASSERT_EQ(run_tuples("write", target, args, out, err), 0) << err.str();
  const auto reqs = gate.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(Json::parse(reqs[0].body())["deletes"]["tuple_keys"][0]["object"], "document:1");
  EXPECT_EQ(Json::parse(reqs[1].body())["writes"]["tuple_keys"][0]["condition"],
            (Json{{"name", "c"}, {"context", {{"x", 1}}}}));
  args.context_json = "[1]";
  EXPECT_EQ(run_tuples("write", target, args, out, err), 2);
}

TEST(TuplesCommand, ReadFollowsContinuationTokens) {
  FakeGate gate;
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_tuples("read", {gate.url(), "secret-token-0123456789", ""}, TupleArgs{}, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), "user:a r t:1\nuser:b r t:2 with c {\"x\":1}\n");
}

TEST(TuplesCommand, FailuresHaveDistinctExitCodes) {
  FakeGate gate;
  TupleArgs args;
  args.user = "user:reject";
  args.relation = "r";
  args.object = "t:1";
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_tuples("write", {gate.url(), "secret-token-0123456789", ""}, args, out, err), 1);
  EXPECT_NE(err.str().find("validation_error"), std::string::npos) << err.str();
  EXPECT_EQ(run_tuples("write", {gate.url(), "wrong-token", ""}, args, out, err), 2);
  EXPECT_EQ(run_tuples("write", {gate.url(), "", ""}, args, out, err), 2);
  EXPECT_EQ(run_tuples("write", {"http://127.0.0.1:1", "t", ""}, args, out, err), 2);
  TupleArgs partial;
  partial.user = "user:a";
  EXPECT_EQ(run_tuples("write", {gate.url(), "secret-token-0123456789", ""}, partial, out, err), 2);
}


TEST(TuplesCommand, OrgPicksThatOrganizationsStoreFromTheListAcrossPages) {
  FakeGate gate(true);
  TupleArgs args;
  args.user = "user:anne";
  args.relation = "viewer";
  args.object = "document:1";
  std::ostringstream out;
  std::ostringstream err;
  ApiTarget target{gate.url(), "secret-token-0123456789", ""};
  // Default: the default organization's store.
  ASSERT_EQ(run_tuples("write", target, args, out, err), 0) << err.str();
  target.org = "globex";  // on the second page of the list
  ASSERT_EQ(run_tuples("write", target, args, out, err), 0) << err.str();
  target.org = "initech";
  std::ostringstream err2;
  EXPECT_EQ(run_tuples("write", target, args, out, err2), 2);
  EXPECT_NE(err2.str().find("no store for organization 'initech'"), std::string::npos) << err2.str();
  std::vector<std::string> targets;
  for (const auto& r : gate.requests()) {
    targets.emplace_back(r.target());
  }
  EXPECT_EQ(targets[1], "/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/write");
  EXPECT_EQ(std::count(targets.begin(), targets.end(), "/stores/01BX5ZZKBKACTAV9WEVGEMMVS0/write"), 1);
  // No write ever went to a store found for an unknown organization.
  EXPECT_EQ(std::count_if(targets.begin(), targets.end(),
                          [](const std::string& t) { return t.find("/write") != std::string::npos; }),
            2);
}

TEST(TuplesCommand, AGateWithoutOrganizationsServesTheDefaultOnly) {
  FakeGate gate;  // one store, not labelled
  TupleArgs args;
  args.user = "user:anne";
  args.relation = "viewer";
  args.object = "document:1";
  std::ostringstream out;
  std::ostringstream err;
  ApiTarget target{gate.url(), "secret-token-0123456789", ""};
  target.org = "acme";
  EXPECT_EQ(run_tuples("write", target, args, out, err), 2);
  EXPECT_NE(err.str().find("no store for organization 'acme'"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace mcpgate::policy
