#include "policy/cli.hpp"

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "authz/dsl.hpp"
#include "core/secret.hpp"
#include "http/client.hpp"
#include "mcp/json_io.hpp"
#include "policy/store_file.hpp"

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::size_t kWriteChunk = 100;  // OpenFGA's maxTuplesPerWrite



Status write_all(authz::Engine& engine, const std::vector<authz::TupleRecord>& tuples) {
  for (std::size_t i = 0; i < tuples.size(); i += kWriteChunk) {
    authz::WriteRequest w;
    w.writes.assign(tuples.begin() + static_cast<std::ptrdiff_t>(i),
                    tuples.begin() + static_cast<std::ptrdiff_t>(std::min(tuples.size(), i + kWriteChunk)));
    const auto r = engine.write(w);
    if (!r.error.ok()) {
      return invalid_argument("writing tuples: " + r.error.message);
    }
  }
  return {};
}

Json context_of(const YAML::Node& n) {
  const YAML::Node c = n["context"];
  if (!c || c.IsNull()) {
    return Json();
  }
  return yaml_to_json(c);
}

std::string join_sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    out += (i ? ", " : "") + v[i];
  }
  return out + "]";
}

std::vector<std::string> string_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n && n.IsSequence()) {
    for (const auto& v : n) {
      out.push_back(yaml_scalar(v));
    }
  } else if (n && n.IsScalar()) {
    out.push_back(n.Scalar());
  }
  return out;
}

// Counts and prints one assertion.
struct TestRun {
  bool verbose = false;
  int assertions = 0;
  int failed = 0;
  std::vector<std::string> lines;

  void record(bool pass, const std::string& what, const std::string& why) {
    ++assertions;
    if (!pass) {
      ++failed;
    }
    if (!pass || verbose) {
      lines.push_back(std::string(pass ? "    ok    " : "    FAIL  ") + what + (why.empty() ? "" : ": " + why));
    }
  }
};

void run_checks(const authz::Engine& engine, const YAML::Node& checks, TestRun& run) {
  if (!checks || !checks.IsSequence()) {
    return;
  }
  for (const auto& c : checks) {
    std::vector<std::string> users = c["users"] ? string_list(c["users"]) : string_list(c["user"]);
    std::vector<std::string> objects = c["objects"] ? string_list(c["objects"]) : string_list(c["object"]);
    const Json context = context_of(c);
    const YAML::Node assertions = c["assertions"];
    if (users.empty() || objects.empty() || !assertions || !assertions.IsMap()) {
      run.record(false, "check", "needs user(s), object(s) and assertions");
      continue;
    }
    for (const auto& user : users) {
      for (const auto& object : objects) {
        for (const auto& a : assertions) {
          const std::string relation = a.first.as<std::string>();
          const std::string what = "check " + user + " " + relation + " " + object;
          bool expected = false;
          if (!YAML::convert<bool>::decode(a.second, expected)) {
            run.record(false, what, "assertion must be true or false");
            continue;
          }
          authz::CheckRequest req;
          req.user = user;
          req.relation = relation;
          req.object = object;
          req.context = context;
          const auto r = engine.check(req);
          if (!r.error.ok()) {
            run.record(false, what, "expected " + std::string(expected ? "true" : "false") + ", got error: " +
                                        r.error.message);
          } else {
            run.record(r.allowed == expected, what,
                       r.allowed == expected ? std::string(expected ? "true" : "false")
                                             : "expected " + std::string(expected ? "true" : "false") + ", got " +
                                                   (r.allowed ? "true" : "false"));
          }
        }
      }
    }
  }
}

void run_list_objects(const authz::Engine& engine, const YAML::Node& tests, TestRun& run) {
  if (!tests || !tests.IsSequence()) {
    return;
  }
  for (const auto& t : tests) {
    const std::string user = yaml_scalar(t["user"]);
    const std::string type = yaml_scalar(t["type"]);
    const YAML::Node assertions = t["assertions"];
    if (user.empty() || type.empty() || !assertions || !assertions.IsMap()) {
      run.record(false, "list_objects", "needs user, type and assertions");
      continue;
    }
    const Json context = context_of(t);
    for (const auto& a : assertions) {
      const std::string relation = a.first.as<std::string>();
      const std::string what = "list_objects " + user + " " + relation + " " + type;
      std::vector<std::string> expected = string_list(a.second);
      authz::ListObjectsRequest req;
      req.type = type;
      req.relation = relation;
      req.user = user;
      req.context = context;
      auto r = engine.list_objects(req);
      if (!r.error.ok()) {
        run.record(false, what, "got error: " + r.error.message);
        continue;
      }
      std::sort(expected.begin(), expected.end());
      std::sort(r.objects.begin(), r.objects.end());
      run.record(expected == r.objects, what,
                 expected == r.objects ? join_sorted(expected)
                                       : "expected " + join_sorted(expected) + ", got " + join_sorted(r.objects));
    }
  }
}

void run_list_users(const authz::Engine& engine, const YAML::Node& tests, TestRun& run) {
  if (!tests || !tests.IsSequence()) {
    return;
  }
  for (const auto& t : tests) {
    const std::string object = yaml_scalar(t["object"]);
    const YAML::Node filters = t["user_filter"];
    const YAML::Node assertions = t["assertions"];
    if (object.empty() || !filters || !filters.IsSequence() || filters.size() == 0 || !assertions ||
        !assertions.IsMap()) {
      run.record(false, "list_users", "needs object, user_filter and assertions");
      continue;
    }
    std::vector<std::string> filter_strings;
    for (const auto& f : filters) {
      const std::string type = yaml_scalar(f["type"]);
      const std::string relation = yaml_scalar(f["relation"]);
      filter_strings.push_back(relation.empty() ? type : type + "#" + relation);
    }
    const Json context = context_of(t);
    for (const auto& a : assertions) {
      const std::string relation = a.first.as<std::string>();
      const std::string what = "list_users " + object + " " + relation + " " + join_sorted(filter_strings);
      std::vector<std::string> expected = string_list(a.second["users"]);
      authz::ListUsersRequest req;
      req.object = object;
      req.relation = relation;
      req.filters = filter_strings;
      req.context = context;
      auto r = engine.list_users(req);
      if (!r.error.ok()) {
        run.record(false, what, "got error: " + r.error.message);
        continue;
      }
      std::sort(expected.begin(), expected.end());
      std::sort(r.users.begin(), r.users.end());
      run.record(expected == r.users, what,
                 expected == r.users ? join_sorted(expected)
                                     : "expected " + join_sorted(expected) + ", got " + join_sorted(r.users));
    }
  }
}

// ---- explain helpers ---------------------------------------------------------------------

Verdict verdict_of(const authz::CheckResult& r, std::string& detail) {
  if (r.error.ok()) {
    return r.allowed ? Verdict::kAllowed : Verdict::kDenied;
  }
  detail = r.error.message;
  // A grant that needs condition parameters only a call supplies (arguments, request facts).
  if (r.error.missing_parameters) {
    return Verdict::kConditional;
  }
  return Verdict::kError;
}

Verdict combine(Verdict a, Verdict b) {
  if (a == Verdict::kDenied || b == Verdict::kDenied) {
    return Verdict::kDenied;
  }
  if (a == Verdict::kError || b == Verdict::kError) {
    return Verdict::kError;
  }
  if (a == Verdict::kConditional || b == Verdict::kConditional) {
    return Verdict::kConditional;
  }
  return Verdict::kAllowed;
}

// ---- HTTP client for the tuples commands --------------------------------------------------

Result<Json> api_call(const ApiTarget& target, http::bhttp::verb method, const std::string& path,
                      const Json* body) {
  http::ClientRequest req;
  req.method = method;
  std::string base = target.url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  req.url = base + path;
  req.headers.emplace_back("Authorization", "Bearer " + target.token);
  req.headers.emplace_back("Accept", "application/json");
  if (body != nullptr) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
  }
  // The operator names the gate (often on loopback or a private network): no address filter.
  req.options.address_policy = http::AddressPolicy::kAny;
  req.options.max_body_bytes = 64 * 1024 * 1024;
  auto res = http::fetch_blocking(std::move(req));
  if (!res) {
    return make_error(ErrorCode::kUnavailable, base + ": " + res.error().message);
  }
  const unsigned status = res->status();
  auto json = mcp::parse_json(res->message.body());
  if (status < 200 || status >= 300) {
    std::string msg = "HTTP " + std::to_string(status);
    if (json && json->is_object()) {
      msg += ": " + json->value("code", std::string()) + ": " + json->value("message", std::string());
    }
    return make_error(status == 401 ? ErrorCode::kUnauthenticated
                      : status < 500 ? ErrorCode::kInvalidArgument
                                     : ErrorCode::kUnavailable,
                      msg);
  }
  if (!json) {
    return make_error(ErrorCode::kInternal, "the server's answer is not JSON");
  }
  return std::move(json).value();
}

Result<std::string> store_id_of(const ApiTarget& target) {
  if (!target.store_id.empty()) {
    return target.store_id;
  }
  // Every organization has its store; each entry of the list says whose ("organization"). A
  // gate from before that lists one store without it: that one is the default organization's.
  std::string path = "/stores?page_size=100";
  bool first_page = true;
  for (int page = 0; page < 1000; ++page) {
    MCPGATE_ASSIGN_OR_RETURN(Json stores, api_call(target, http::bhttp::verb::get, path, nullptr));
    if (!stores.contains("stores") || !stores["stores"].is_array()) {
      return make_error(ErrorCode::kInternal, "the server's store list is malformed");
    }
    const Json& list = stores["stores"];
    for (const auto& s : list) {
      if (!s.is_object() || !s.contains("id") || !s["id"].is_string()) {
        continue;
      }
      const auto org = s.find("organization");
      const bool unlabelled = org == s.end() && first_page && list.size() == 1;
      if ((org != s.end() && org->is_string() && org->get<std::string>() == target.org) ||
          (unlabelled && target.org == "default")) {
        return s["id"].get<std::string>();
      }
    }
    first_page = false;
    const std::string next = stores.value("continuation_token", std::string());
    if (next.empty()) {
      break;
    }
    path = "/stores?page_size=100&continuation_token=" + next;  // base64url: no escaping needed
  }
  return make_error(ErrorCode::kNotFound, "the server has no store for organization '" + target.org + "'");
}

Json tuple_key(const authz::TupleRecord& t, bool with_condition) {
  Json k = {{"user", t.user}, {"relation", t.relation}, {"object", t.object}};
  if (with_condition && !t.condition_name.empty()) {
    k["condition"] = {{"name", t.condition_name}};
    if (t.condition_context.is_object()) {
      k["condition"]["context"] = t.condition_context;
    }
  }
  return k;
}


}  // namespace

// ---------------------------------------------------------------------------------------------

int run_validate(const std::string& path, std::ostream& out, std::ostream& err) {
  auto model = load_model_file(path);
  if (!model) {
    err << model.error().message << "\n";
    return model.error().code == ErrorCode::kNotFound ? 2 : 1;
  }
  if (auto st = authz::validate_model(*model); !st) {
    err << path << ": " << st.error().message << "\n";
    return 1;
  }
  std::size_t relations = 0;
  for (const auto& t : model->types) {
    relations += t.relations.size();
  }
  out << path << ": valid (schema " << model->schema_version << ", " << model->types.size() << " types, "
      << relations << " relations, " << model->conditions.size() << " conditions)\n";
  return 0;
}

Result<StoreTestReport> run_store_tests(const std::string& path, const StoreTestOptions& options,
                                        std::ostream& out) {
  MCPGATE_ASSIGN_OR_RETURN(StoreFile store, load_store_file(path, options.allow_external_files));
  StoreTestReport report;
  if (!store.tests || store.tests.size() == 0) {
    out << path << ": no tests\n";
    return report;
  }
  try {
    for (std::size_t i = 0; i < store.tests.size(); ++i) {
      const YAML::Node test = store.tests[i];
      std::string name = yaml_scalar(test["name"]);
      if (name.empty()) {
        name = "test " + std::to_string(i + 1);
      }
      TestRun run;
      run.verbose = options.verbose;
      std::vector<authz::TupleRecord> tuples = store.tuples;
      Status setup;
      if (test["tuples"] && !test["tuples"].IsNull()) {
        auto more = tuples_from_yaml(test["tuples"], path + ": " + name);
        if (!more) {
          setup = more.error();
        } else {
          tuples.insert(tuples.end(), more->begin(), more->end());
        }
      }
      if (setup && test["tuple_file"]) {
        auto file = resolve_policy_file(store.dir, yaml_scalar(test["tuple_file"]), options.allow_external_files);
        auto more = file ? load_tuple_file(*file) : Result<std::vector<authz::TupleRecord>>(file.error());
        if (!more) {
          setup = more.error();
        } else {
          tuples.insert(tuples.end(), more->begin(), more->end());
        }
      }
      // A fresh engine per test: each test sees the global tuples plus its own, nothing else.
      std::unique_ptr<authz::Engine> engine;
      if (setup) {
        auto created = authz::Engine::create(store.model);
        if (!created) {
          setup = created.error();
        } else {
          engine = std::move(created).value();
          setup = write_all(*engine, tuples);
        }
      }
      if (!setup) {
        run.record(false, "setup", setup.error().message);
      } else {
        run_checks(*engine, test["check"], run);
        run_list_objects(*engine, test["list_objects"], run);
        run_list_users(*engine, test["list_users"], run);
      }
      ++report.tests;
      report.assertions += run.assertions;
      report.failed_assertions += run.failed;
      if (run.failed > 0) {
        ++report.failed_tests;
      }
      out << (run.failed > 0 ? "FAIL  " : "PASS  ") << name << " (" << (run.assertions - run.failed) << "/"
          << run.assertions << " assertions)\n";
      for (const auto& line : run.lines) {
        out << line << "\n";
      }
    }
  } catch (const YAML::Exception& e) {
    return invalid_argument(path + ": " + e.what());
  }
  out << report.tests << " tests: " << (report.tests - report.failed_tests) << " passed, " << report.failed_tests
      << " failed (" << (report.assertions - report.failed_assertions) << "/" << report.assertions
      << " assertions)\n";
  return report;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kAllowed: return "allowed";
    case Verdict::kConditional: return "conditional";
    case Verdict::kDenied: return "denied";
    case Verdict::kError: return "error";
  }
  return "error";
}

std::vector<ExplainEntry> explain_pair(const authz::Engine& engine, const ToolAuthorizerOptions& authorizer,
                                       std::string_view user, std::string_view client,
                                       const std::vector<ToolRef>& tools) {
  std::set<std::string> objects;
  for (const auto& t : tools) {
    const std::string server = t.server.empty() ? authorizer.default_server : t.server;
    // The authorizer's own substitution, so explain names exactly the objects calls check.
    for (const auto* pattern : {&authorizer.user_check.object, &authorizer.client_check.object}) {
      if (std::string object = EngineToolAuthorizer::expand(*pattern, server, t.name, user, client);
          !object.empty()) {
        objects.insert(std::move(object));
      }
    }
  }
  // Every object of the templates' type that the store mentions: tools granted by tuples even
  // when this configuration does not serve them (an upstream added later inherits them).
  for (const auto& pattern : {authorizer.user_check.object, authorizer.client_check.object}) {
    const auto colon = pattern.find(':');
    if (colon == std::string::npos || pattern.substr(0, colon).find('{') != std::string::npos) {
      continue;
    }
    for (const auto& t : engine.read(authz::ReadFilter{pattern.substr(0, colon + 1), "", ""})) {
      objects.insert(t.object);
    }
  }
  std::vector<ExplainEntry> out;
  const std::string user_subject = EngineToolAuthorizer::expand(authorizer.user_check.user, "-", "-", user, client);
  const std::string client_subject =
      EngineToolAuthorizer::expand(authorizer.client_check.user, "-", "-", user, client);
  const bool identities_ok = !user_subject.empty() && !client_subject.empty();
  for (const auto& object : objects) {
    ExplainEntry e;
    e.object = object;
    if (!identities_ok) {
      e.user = e.client = e.combined = Verdict::kError;
      e.detail = "user and client must be non-empty, not \"*\", and free of '#' and whitespace";
      out.push_back(std::move(e));
      continue;
    }
    std::string user_detail;
    std::string client_detail;
    authz::CheckRequest u;
    u.object = object;
    u.relation = authorizer.user_check.relation;
    u.user = user_subject;
    e.user = verdict_of(engine.check(u), user_detail);
    authz::CheckRequest c;
    c.object = object;
    c.relation = authorizer.client_check.relation;
    c.user = client_subject;
    e.client = verdict_of(engine.check(c), client_detail);
    e.combined = combine(e.user, e.client);
    if (e.user != Verdict::kAllowed && e.user != Verdict::kDenied) {
      e.detail = "user: " + user_detail;
    }
    if (e.client != Verdict::kAllowed && e.client != Verdict::kDenied) {
      e.detail += (e.detail.empty() ? "" : "; ") + std::string("agent: ") + client_detail;
    }
    out.push_back(std::move(e));
  }
  return out;
}

void print_explain(const std::vector<ExplainEntry>& entries, std::string_view user, std::string_view client,
                   std::ostream& out) {
  int callable = 0;
  int conditional = 0;
  for (const auto& e : entries) {
    callable += e.combined == Verdict::kAllowed ? 1 : 0;
    conditional += e.combined == Verdict::kConditional ? 1 : 0;
  }
  out << "user " << user << " through client " << client << ": " << callable << " of " << entries.size()
      << " tools callable, " << conditional << " conditional\n";
  std::size_t width = 4;
  for (const auto& e : entries) {
    width = std::max(width, e.object.size());
  }
  auto pad = [](std::string s, std::size_t w) {
    s.resize(std::max(s.size(), w), ' ');
    return s;
  };
  out << pad("VERDICT", 12) << pad("TOOL", width + 2) << pad("USER", 12) << pad("AGENT", 12) << "DETAIL\n";
  // Callable first, then conditional, then denied: the blast radius reads top-down.
  for (Verdict v : {Verdict::kAllowed, Verdict::kConditional, Verdict::kError, Verdict::kDenied}) {
    for (const auto& e : entries) {
      if (e.combined != v) {
        continue;
      }
      out << pad(verdict_name(e.combined), 12) << pad(e.object, width + 2) << pad(verdict_name(e.user), 12)
          << pad(verdict_name(e.client), 12) << e.detail << "\n";
    }
  }
}

int run_tuples(const std::string& verb, const ApiTarget& target, const TupleArgs& args, std::ostream& out,
               std::ostream& err) {
  if (target.token.empty()) {
    err << "mcpgate tuples: no admin token (--token-file, MCPGATE_API_TOKEN, or the config's authz.api)\n";
    return 2;
  }
  auto store_id = store_id_of(target);
  if (!store_id) {
    err << "mcpgate tuples: " << store_id.error().message << "\n";
    return 2;
  }
  const std::string base = "/stores/" + *store_id;
  if (verb == "read") {
    Json body = Json::object();
    Json key = Json::object();
    if (!args.user.empty()) key["user"] = args.user;
    if (!args.relation.empty()) key["relation"] = args.relation;
    if (!args.object.empty()) key["object"] = args.object;
    if (!key.empty()) {
      body["tuple_key"] = key;
    }
    body["page_size"] = 100;
    Json all = Json::array();
    for (int pages = 0; pages < 100000; ++pages) {
      auto page = api_call(target, http::bhttp::verb::post, base + "/read", &body);
      if (!page) {
        err << "mcpgate tuples read: " << page.error().message << "\n";
        return page.error().code == ErrorCode::kInvalidArgument ? 1 : 2;
      }
      for (const auto& t : (*page)["tuples"]) {
        all.push_back(t);
      }
      const std::string token = page->value("continuation_token", std::string());
      if (token.empty()) {
        break;
      }
      body["continuation_token"] = token;
    }
    if (args.json) {
      out << Json{{"tuples", all}}.dump(2) << "\n";
      return 0;
    }
    for (const auto& t : all) {
      const Json& k = t["key"];
      out << k.value("user", "") << " " << k.value("relation", "") << " " << k.value("object", "");
      if (k.contains("condition")) {
        out << " with " << k["condition"].value("name", "");
        if (k["condition"].contains("context")) {
          out << " " << k["condition"]["context"].dump();
        }
      }
      out << "\n";
    }
    return 0;
  }
  if (verb != "write" && verb != "delete") {
    err << "mcpgate tuples: unknown command " << verb << "\n";
    return 2;
  }
  std::vector<authz::TupleRecord> tuples;
  if (!args.file.empty()) {
    auto loaded = load_tuple_file(args.file);
    if (!loaded) {
      err << "mcpgate tuples " << verb << ": " << loaded.error().message << "\n";
      return 2;
    }
    tuples = std::move(loaded).value();
  }
  if (!args.user.empty() || !args.relation.empty() || !args.object.empty()) {
    if (args.user.empty() || args.relation.empty() || args.object.empty()) {
      err << "mcpgate tuples " << verb << ": give USER RELATION OBJECT (or --file)\n";
      return 2;
    }
    authz::TupleRecord t{args.object, args.relation, args.user, args.condition, nullptr};
    if (!args.context_json.empty()) {
      auto ctx = mcp::parse_json(args.context_json);
      if (!ctx || !ctx->is_object()) {
        err << "mcpgate tuples " << verb << ": --context must be a JSON object\n";
        return 2;
      }
      t.condition_context = std::move(ctx).value();
    }
    tuples.push_back(std::move(t));
  }
  if (tuples.empty()) {
    err << "mcpgate tuples " << verb << ": nothing to " << verb << " (give USER RELATION OBJECT or --file)\n";
    return 2;
  }
  // Chunks of 100 (the API's limit). Each chunk is atomic; a failure stops before the next, and
  // says how many were applied.
  std::size_t done = 0;
  for (std::size_t i = 0; i < tuples.size(); i += kWriteChunk) {
    Json keys = Json::array();
    for (std::size_t j = i; j < std::min(tuples.size(), i + kWriteChunk); ++j) {
      keys.push_back(tuple_key(tuples[j], verb == "write"));
    }
    const std::size_t n = keys.size();
    Json body = {{verb == "write" ? "writes" : "deletes", {{"tuple_keys", std::move(keys)}}}};
    auto r = api_call(target, http::bhttp::verb::post, base + "/write", &body);
    if (!r) {
      err << "mcpgate tuples " << verb << ": " << r.error().message << " (" << done << " of " << tuples.size()
          << " applied)\n";
      return r.error().code == ErrorCode::kInvalidArgument ? 1 : 2;
    }
    done += n;
  }
  out << (verb == "write" ? "wrote " : "deleted ") << done << (done == 1 ? " tuple\n" : " tuples\n");
  return 0;
}

// ---------------------------------------------------------------------------------------------

struct PolicyCommands::State {
  CLI::App* validate = nullptr;
  CLI::App* test = nullptr;
  CLI::App* explain = nullptr;
  CLI::App* t_write = nullptr;
  CLI::App* t_delete = nullptr;
  CLI::App* t_read = nullptr;

  std::string model_path;
  std::string store_path;
  StoreTestOptions test_options;
  std::string config_path;
  std::string store_file;
  std::string user;
  std::string client;
  ApiTarget target;
  std::string token_file;
  TupleArgs args;

  Result<PolicyCliConfig> config(const ConfigLoader& load) const {
    if (config_path.empty()) {
      return PolicyCliConfig{};
    }
    if (!load) {
      return invalid_argument("--config is not supported here");
    }
    return load(config_path);
  }

  int run_explain(const ConfigLoader& load, std::ostream& out, std::ostream& err) const {
    auto cfg = config(load);
    if (!cfg) {
      err << "mcpgate policy explain: " << cfg.error().message << "\n";
      return 2;
    }
    std::string path = store_file;
    if (path.empty()) {
      const std::string& configured = !cfg->policy.store_file.empty() ? cfg->policy.store_file : cfg->policy.model_file;
      if (configured.empty()) {
        err << "mcpgate policy explain: the configuration names no policy (authz.store_file); "
               "give --store-file\n";
        return 2;
      }
      path = fs::path(configured).is_absolute() ? configured : (fs::path(cfg->config_dir) / configured).string();
    }
    authz::AuthorizationModel model;
    std::vector<authz::TupleRecord> tuples;
    if (path.size() > 9 && path.substr(path.size() - 9) == ".fga.yaml") {
      auto loaded = load_store_file(path);
      if (!loaded) {
        err << "mcpgate policy explain: " << loaded.error().message << "\n";
        return 2;
      }
      model = std::move(loaded->model);
      tuples = std::move(loaded->tuples);
    } else {
      auto loaded = load_model_file(path);
      if (!loaded) {
        err << "mcpgate policy explain: " << loaded.error().message << "\n";
        return 2;
      }
      model = std::move(loaded).value();
    }
    auto engine = authz::Engine::create(model);
    if (!engine) {
      err << "mcpgate policy explain: " << engine.error().message << "\n";
      return 2;
    }
    if (auto st = write_all(**engine, tuples); !st) {
      err << "mcpgate policy explain: " << st.error().message << "\n";
      return 2;
    }
    const auto entries = explain_pair(**engine, cfg->policy.authorizer, user, client, cfg->tools);
    print_explain(entries, user, client, out);
    return 0;
  }

  int run_tuples_cmd(const std::string& verb, const ConfigLoader& load, std::ostream& out, std::ostream& err) const {
    ApiTarget t = target;
    std::string file = token_file;
    PolicyCliConfig cfg;
    if (!config_path.empty()) {
      auto loaded = config(load);
      if (!loaded) {
        err << "mcpgate tuples: " << loaded.error().message << "\n";
        return 2;
      }
      cfg = std::move(loaded).value();
    }
    if (t.url.empty()) {
      t.url = cfg.base_url.empty() ? "http://127.0.0.1:8080" : cfg.base_url;
    }
    // The token: --token-file, --token, MCPGATE_API_TOKEN, then the configuration's source.
    if (!file.empty()) {
      t.token = read_secret(file, "", "--token-file").value_or("");
    }
    if (t.token.empty()) {
      if (const char* env = std::getenv("MCPGATE_API_TOKEN"); env != nullptr) {
        t.token = env;
      }
    }
    if (t.token.empty() && !cfg.policy.api.token_file.empty()) {
      const fs::path p(cfg.policy.api.token_file);
      t.token = read_secret(p.is_absolute() ? p.string() : (fs::path(cfg.config_dir) / p).string(), "",
                            "authz.api.token_file")
                    .value_or("");
    }
    if (t.token.empty() && !cfg.policy.api.token_env.empty()) {
      if (const char* env = std::getenv(cfg.policy.api.token_env.c_str()); env != nullptr) {
        t.token = env;
      }
    }
    return run_tuples(verb, t, args, out, err);
  }
};

PolicyCommands::PolicyCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  auto* policy = app.add_subcommand("policy", "Check and explain authorization policies");
  policy->require_subcommand(1);
  s.validate = policy->add_subcommand("validate", "Validate a model (.fga DSL or .json); exit 1 when invalid");
  s.validate->add_option("model", s.model_path, "Model file")->required();
  s.test = policy->add_subcommand("test", "Run the tests of an OpenFGA store file (.fga.yaml)");
  s.test->add_option("store", s.store_path, "Store file (.fga.yaml)")->required();
  s.test->add_flag("--verbose,-v", s.test_options.verbose, "Also list passing assertions");
  s.test->add_flag("--allow-external-files", s.test_options.allow_external_files,
                   "Let the store file reference files outside its directory");
  s.explain = policy->add_subcommand("explain", "Which tools a user may call through a client (agent)");
  s.explain->add_option("--config,-c", s.config_path, "YAML configuration file (its authz: policy)");
  s.explain->add_option("--store-file", s.store_file, "Policy store file (.fga.yaml) instead of the config's");
  s.explain->add_option("--user,-u", s.user, "The user (token subject)")->required();
  s.explain->add_option("--client", s.client, "The OAuth client_id of the agent")->required();

  auto* tuples = app.add_subcommand("tuples", "Manage relationship tuples of a running gate (OpenFGA API)");
  tuples->require_subcommand(1);
  s.t_write = tuples->add_subcommand("write", "Write tuples: USER RELATION OBJECT, or --file");
  s.t_delete = tuples->add_subcommand("delete", "Delete tuples: USER RELATION OBJECT, or --file");
  s.t_read = tuples->add_subcommand("read", "List tuples (optionally filtered)");
  for (auto* sub : {s.t_write, s.t_delete, s.t_read}) {
    sub->add_option("--config,-c", s.config_path, "YAML configuration file (URL and admin token source)");
    sub->add_option("--url", s.target.url, "Base URL of the gate (default: the config's public_url)");
    sub->add_option("--token-file", s.token_file, "File holding the admin token (first line)");
    sub->add_option("--token", s.target.token,
                    "Admin token (prefer --token-file or MCPGATE_API_TOKEN: arguments are visible to "
                    "other local users)");
    sub->add_option("--org", s.target.org, "Organization whose store (default: default)");
    sub->add_option("--store-id", s.target.store_id, "Store id (default: the --org organization's store)");
  }
  for (auto* sub : {s.t_write, s.t_delete}) {
    sub->add_option("user", s.args.user, "User (user:alice, group:staff#member, client:*)");
    sub->add_option("relation", s.args.relation, "Relation");
    sub->add_option("object", s.args.object, "Object (tool:calendar/list_events)");
    sub->add_option("--file,-f", s.args.file, "Tuples from a YAML, JSON or CSV file");
  }
  s.t_write->add_option("--condition", s.args.condition, "Condition name");
  s.t_write->add_option("--context", s.args.context_json, "Condition context (JSON object)");
  s.t_read->add_option("--user", s.args.user, "Filter: user");
  s.t_read->add_option("--relation", s.args.relation, "Filter: relation");
  s.t_read->add_option("--object", s.args.object, "Filter: object ('type:' for a whole type)");
  s.t_read->add_flag("--json", s.args.json, "Print OpenFGA's JSON");
}

PolicyCommands::~PolicyCommands() = default;

bool PolicyCommands::parsed() const {
  const State& s = *state_;
  for (auto* sub : {s.validate, s.test, s.explain, s.t_write, s.t_delete, s.t_read}) {
    if (sub->parsed()) {
      return true;
    }
  }
  return false;
}

int PolicyCommands::run(const ConfigLoader& load_config, std::ostream& out, std::ostream& err) const {
  const State& s = *state_;
  try {
    if (s.validate->parsed()) {
      return run_validate(s.model_path, out, err);
    }
    if (s.test->parsed()) {
      auto report = run_store_tests(s.store_path, s.test_options, out);
      if (!report) {
        err << report.error().message << "\n";
        return 2;
      }
      return report->failed_tests > 0 ? 1 : 0;
    }
    if (s.explain->parsed()) {
      return s.run_explain(load_config, out, err);
    }
    if (s.t_write->parsed()) {
      return s.run_tuples_cmd("write", load_config, out, err);
    }
    if (s.t_delete->parsed()) {
      return s.run_tuples_cmd("delete", load_config, out, err);
    }
    if (s.t_read->parsed()) {
      return s.run_tuples_cmd("read", load_config, out, err);
    }
  } catch (const std::exception& e) {
    // The command-line edge: a throwing library (yaml-cpp, nlohmann) ends here.
    err << "mcpgate: " << e.what() << "\n";
    return 2;
  }
  return 2;
}

}  // namespace mcpgate::policy
