#include "policy/tool_authorizer.hpp"

#include <array>
#include <cctype>
#include <chrono>
#include <optional>

#include "authz/tuple.hpp"
#include "mcp/tool.hpp"
#include "metrics/metrics.hpp"
#include "store/types.hpp"

namespace mcpgate::policy {
namespace {

// A value substituted into a tuple string: non-empty, not the wildcard, and nothing that would
// change the string's structure (a '#' makes a userset, whitespace and controls are never ids).
bool safe_value(std::string_view v) {
  if (v.empty() || v == "*") {
    return false;
  }
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '#' || u <= 0x20 || u == 0x7f) {
      return false;
    }
  }
  return true;
}

// The host of a CIMD client id (an https URL), lower-cased; "" for other client ids.
std::string cimd_host(std::string_view client_id) {
  constexpr std::string_view kScheme = "https://";
  if (client_id.substr(0, kScheme.size()) != kScheme) {
    return "";
  }
  std::string_view rest = client_id.substr(kScheme.size());
  const auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out(host);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Decisions by outcome (series made up front: a fixed set) and how long a tools/call's checks
// took, context building included.
struct AuthzMetrics {
  std::array<metrics::Counter*, 3> decisions{};  // by Outcome
  metrics::Histogram* latency = nullptr;
};

const AuthzMetrics& authz_metrics() {
  static const AuthzMetrics m = [] {
    AuthzMetrics out;
    auto& family = metrics::global().counter(
        "mcpgate_authz_decisions_total",
        "Tool-call authorization decisions, by decision: allow, deny, error (an error denies).",
        {"decision"});
    for (const Outcome o : {Outcome::kAllow, Outcome::kDeny, Outcome::kError}) {
      out.decisions[static_cast<std::size_t>(o)] = &family.with({outcome_name(o)});
    }
    out.latency = &metrics::global()
                       .histogram("mcpgate_authz_decision_duration_seconds",
                                  "Time to decide a tools/call (context and both checks), in "
                                  "seconds.",
                                  {},
                                  metrics::kLatencyBuckets)
                       .with();
    return out;
  }();
  return m;
}

}  // namespace

EngineToolAuthorizer::EngineToolAuthorizer(OrgEngines engines,
                                           ToolAuthorizerOptions options,
                                           std::shared_ptr<DecisionLog> log)
    : engines_(std::move(engines)),
      options_(std::move(options)),
      log_(std::move(log)),
      prepared_(options_.prepared_check_slots) {}

EngineToolAuthorizer::EngineToolAuthorizer(std::shared_ptr<const authz::Engine> engine,
                                           ToolAuthorizerOptions options,
                                           std::shared_ptr<DecisionLog> log)
    : EngineToolAuthorizer(OrgEngines{{store::kDefaultOrgId, std::move(engine)}}, std::move(options),
                           std::move(log)) {}

std::string_view EngineToolAuthorizer::org_of(const mcp::Caller* caller) {
  return caller != nullptr ? std::string_view(caller->org_id) : std::string_view(store::kDefaultOrgId);
}

const authz::Engine* EngineToolAuthorizer::engine_for(std::string_view org_id) const {
  const auto it = engines_.find(org_id);
  return it == engines_.end() || it->second == nullptr ? nullptr : it->second.get();
}

std::string EngineToolAuthorizer::expand(std::string_view pattern,
                                         std::string_view server,
                                         std::string_view tool,
                                         std::string_view sub,
                                         std::string_view client_id) {
  std::string out;
  out.reserve(pattern.size() + 64);
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close == std::string_view::npos) {
        return "";
      }
      const std::string_view name = pattern.substr(i + 1, close - i - 1);
      std::string_view value;
      if (name == "server") {
        value = server;
      } else if (name == "tool") {
        value = tool;
      } else if (name == "sub") {
        value = sub;
      } else if (name == "client_id") {
        value = client_id;
      } else {
        return "";
      }
      if (!safe_value(value)) {
        return "";
      }
      out += value;
      i = close + 1;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

// A federated tool is authorized under its upstream's name for it (tool.hpp policy_name).
// A view into the tool, which outlives the call.
static std::string_view policy_name_of(const mcp::Tool& tool) {
  if (!tool.policy_name.empty()) {
    return tool.policy_name;
  }
  const auto it = tool.descriptor.find("name");
  const std::string* name = it == tool.descriptor.end() ? nullptr : it->get_ptr<const std::string*>();
  return name != nullptr ? std::string_view(*name) : std::string_view();
}

std::string_view EngineToolAuthorizer::server_of(const mcp::Tool& tool) const {
  return tool.server.empty() ? std::string_view(options_.default_server) : std::string_view(tool.server);
}

bool EngineToolAuthorizer::principals(const mcp::Caller* caller, std::string_view& sub,
                                      std::string_view& client) const {
  if (caller != nullptr) {
    sub = caller->subject;
    client = caller->client_id;
    return true;
  }
  if (options_.anonymous_user.empty() || options_.anonymous_client.empty()) {
    return false;
  }
  sub = options_.anonymous_user;
  client = options_.anonymous_client;
  return true;
}

std::shared_ptr<const PreparedPair> EngineToolAuthorizer::prepare_pair(const authz::Engine& engine,
                                                                       const PairKey& key) const {
  authz::CheckRequest user = request_for(options_.user_check, key.server, key.tool, key.sub, key.client);
  authz::CheckRequest client = request_for(options_.client_check, key.server, key.tool, key.sub, key.client);
  if (user.object.empty() || user.user.empty() || client.object.empty() || client.user.empty()) {
    return nullptr;
  }
  auto pair = std::make_shared<PreparedPair>();
  pair->org = std::string(key.org);
  pair->server = std::string(key.server);
  pair->tool = std::string(key.tool);
  pair->sub = std::string(key.sub);
  pair->client = std::string(key.client);
  pair->engine = &engine;
  // Read before preparing: a change in between only makes the pair look older than it is
  // (one more refresh), never newer.
  pair->model_version = engine.model_version();
  pair->revision = engine.revision();
  pair->user_check = engine.prepare(std::move(user));
  pair->client_check = engine.prepare(std::move(client));
  return pair;
}

std::shared_ptr<const PreparedPair> EngineToolAuthorizer::pair_for(const authz::Engine& engine,
                                                                   const PairKey& key,
                                                                   std::size_t hash) const {
  if (auto held = prepared_.find(key, hash, &engine)) {
    return held;
  }
  auto pair = prepare_pair(engine, key);
  if (pair != nullptr && key.bytes() <= PairKey::kMaxCachedBytes) {
    prepared_.put(hash, pair);
  }
  return pair;
}

std::optional<EngineToolAuthorizer::Verdict> EngineToolAuthorizer::decide_prepared(
    const authz::Engine& engine, const PairKey& key, const nlohmann::json& context) const {
  const std::size_t hash = key.hash();
  const std::shared_ptr<const PreparedPair> pair = pair_for(engine, key, hash);
  if (pair == nullptr) {
    return std::nullopt;
  }
  Verdict v;
  bool refresh = false;
  const std::pair<const authz::PreparedCheck*, const char*> steps[] = {{&pair->user_check, "user"},
                                                                       {&pair->client_check, "client"}};
  for (const auto& [prepared, principal] : steps) {
    const authz::CheckResult r = engine.check(*prepared, context);
    // Answered through the strings (right, but slow): prepare again once it can help — the ids
    // changed under a resolved check, or something changed since an unresolved one was made.
    refresh = refresh || (r.unprepared && (prepared->resolved() || r.revision != pair->revision ||
                                           r.model_version != pair->model_version));
    v.revision = static_cast<std::int64_t>(r.revision);
    const authz::CheckRequest& req = prepared->request();
    if (!r.error.ok()) {
      v.outcome = Outcome::kError;
      v.principal = principal;
      v.reason = req.relation + " on " + req.object + ": " + r.error.message;
      break;
    }
    if (!r.allowed) {
      v.outcome = Outcome::kDeny;
      v.principal = principal;
      v.reason = req.user + " lacks " + req.relation + " on " + req.object;
      break;
    }
  }
  if (refresh && key.bytes() <= PairKey::kMaxCachedBytes) {
    if (auto fresh = prepare_pair(engine, key)) {
      prepared_.put(hash, std::move(fresh));
    }
  }
  return v;
}

EngineToolAuthorizer::Verdict EngineToolAuthorizer::decide_strings(const authz::Engine& engine,
                                                                   const PairKey& key,
                                                                   nlohmann::json& context) const {
  Verdict v;
  struct Step {
    const CheckTemplate* t;
    const char* principal;
  };
  for (const Step& step : {Step{&options_.user_check, "user"}, Step{&options_.client_check, "client"}}) {
    authz::CheckRequest req = request_for(*step.t, key.server, key.tool, key.sub, key.client);
    if (req.object.empty() || req.user.empty()) {
      v.outcome = Outcome::kError;
      v.principal = step.principal;
      v.reason = "identifier not usable in a tuple";
      return v;
    }
    // Lend the context to the request and take it back: one context serves both checks.
    req.context = std::move(context);
    const authz::CheckResult r = engine.check(req);
    context = std::move(req.context);
    v.revision = static_cast<std::int64_t>(r.revision);
    if (!r.error.ok()) {
      v.outcome = Outcome::kError;
      v.principal = step.principal;
      v.reason = req.relation + " on " + req.object + ": " + r.error.message;
      return v;
    }
    if (!r.allowed) {
      v.outcome = Outcome::kDeny;
      v.principal = step.principal;
      v.reason = req.user + " lacks " + req.relation + " on " + req.object;
      return v;
    }
  }
  return v;
}

mcp::ToolDecision EngineToolAuthorizer::authorize_call(const mcp::ToolCall& call) const {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view name = policy_name_of(*call.tool);
  const std::string_view server = server_of(*call.tool);
  std::string_view sub;
  std::string_view client;
  std::int64_t revision = 0;
  const std::string_view org = org_of(call.caller);
  const authz::Engine* engine = nullptr;  // the caller's organization's, once known
  const auto finish = [&](Outcome outcome, std::string principal, std::string reason) {
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const AuthzMetrics& m = authz_metrics();
    m.decisions[static_cast<std::size_t>(outcome)]->inc();
    m.latency->observe(elapsed);
    mcp::ToolDecision out;
    out.allowed = outcome == Outcome::kAllow;
    Decision d;
    d.outcome = outcome;
    // The record is assembled only when a line is written or the caller is told why (an id to
    // quote, the tool's name): an allowed call whose line the logger drops costs nothing here.
    if (const bool logged = log_->writes(outcome); logged || !out.allowed) {
      d.id = log_->next_id();
      d.tool.reserve(server.size() + 1 + name.size());
      d.tool.append(server).append("/").append(name);
      d.user = std::string(sub);
      d.client_id = std::string(client);
      d.org_id = std::string(org);
      d.principal = std::move(principal);
      d.reason = std::move(reason);
      d.revision = revision;
      if (logged && engine != nullptr) {
        d.model_id = engine->model_id();  // a lock and a copy: only the line needs it
      }
      d.latency_us = std::chrono::duration<double, std::micro>(elapsed).count();
      out.decision_id = d.id;
    }
    log_->record(d, call.arguments);  // counts every outcome; writes the line when on
    if (!out.allowed) {
      out.message = "tool " + d.tool + " is not permitted"
                    + (d.principal == "user"     ? " for this user"
                       : d.principal == "client" ? " for this client"
                                                 : "");
    }
    return out;
  };

  if (!principals(call.caller, sub, client)) {
    return finish(Outcome::kError, "", "no authenticated caller");
  }
  engine = engine_for(org);
  if (engine == nullptr) {
    // Fail closed: never fall back to another organization's store.
    return finish(Outcome::kError, "", org.empty() ? std::string("the caller has no organization")
                                                   : "organization " + std::string(org) + " has no authorization store");
  }

  const auto schema_it = call.tool->descriptor.find("inputSchema");
  const nlohmann::json* schema = schema_it == call.tool->descriptor.end() ? nullptr : &*schema_it;
  auto context = context_for(call.caller, sub, client, *call.arguments, schema, call.source_ip);
  if (!context) {
    return finish(Outcome::kError, "", "arguments: " + context.error().message);
  }

  const PairKey key{org, server, name, sub, client};
  std::optional<Verdict> v;
  if (prepared_.capacity() != 0) {
    v = decide_prepared(*engine, key, *context);
  }
  if (!v) {
    // No cache, or an identifier a tuple cannot hold: the string checks say which and why.
    v = decide_strings(*engine, key, *context);
  }
  revision = v->revision;
  return finish(v->outcome, v->principal, std::move(v->reason));
}

std::vector<bool> EngineToolAuthorizer::may_list(const mcp::Caller* caller,
                                                 const std::vector<mcp::Tool>& tools) const {
  std::vector<bool> out(tools.size(), false);
  std::string_view sub;
  std::string_view client;
  if (!principals(caller, sub, client)) {
    return out;
  }
  const authz::Engine* engine = engine_for(org_of(caller));
  if (engine == nullptr) {
    return out;  // an organization without a store sees nothing
  }
  // The caller's facts are the whole context at list time (no arguments): built once.
  auto context = context_for(caller, sub, client, nlohmann::json::object(), nullptr, {});
  if (!context) {
    return out;
  }
  const std::string_view org = org_of(caller);
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const PairKey key{org, server_of(tools[i]), policy_name_of(tools[i]), sub, client};
    bool visible = true;
    if (prepared_.capacity() != 0) {
      // The same prepared checks as the calls (a list usually precedes them): a stale pair is
      // answered through its strings, and the next call refreshes it.
      const auto pair = pair_for(*engine, key, key.hash());
      for (const authz::PreparedCheck* p : {pair ? &pair->user_check : nullptr, pair ? &pair->client_check : nullptr}) {
        if (p == nullptr) {
          visible = false;  // an identifier not usable in a tuple
          break;
        }
        const authz::CheckResult r = engine->check(*p, *context);
        // Without the arguments a condition cannot be decided: the tool may be allowed, so it
        // is listed and the call decides.
        if (!r.allowed && !r.error.missing_parameters) {
          visible = false;
          break;
        }
      }
      out[i] = visible;
      continue;
    }
    for (const CheckTemplate* t : {&options_.user_check, &options_.client_check}) {
      authz::CheckRequest req = request_for(*t, key.server, key.tool, sub, client);
      if (req.object.empty() || req.user.empty()) {
        visible = false;
        break;
      }
      req.context = std::move(*context);
      authz::CheckResult r = engine->check(req);
      *context = std::move(req.context);
      if (!r.allowed && !r.error.missing_parameters) {
        visible = false;
        break;
      }
    }
    out[i] = visible;
  }
  return out;
}

std::vector<ToolReach> EngineToolAuthorizer::reach(std::string_view org, std::string_view sub,
                                                   std::string_view client_id,
                                                   const std::vector<mcp::Tool>& tools) const {
  std::vector<ToolReach> out;
  out.reserve(tools.size());
  const authz::Engine* engine = engine_for(org);
  mcp::Caller who;
  who.subject = std::string(sub);
  who.client_id = std::string(client_id);
  who.org_id = std::string(org);
  auto context = context_for(&who, who.subject, who.client_id, nlohmann::json::object(), nullptr,
                             {});
  const auto decide = [&](const CheckTemplate& t, const std::string& server,
                          const std::string& name) {
    ReachCheck c;
    authz::CheckRequest req = request_for(t, server, name, who.subject, who.client_id);
    if (engine == nullptr || !context || req.object.empty() || req.user.empty()) {
      c.result = "error";
      c.detail = engine == nullptr ? "the organization has no authorization store"
                                   : "identifier not usable in a tuple";
      return c;
    }
    req.context = *context;
    req.explain = true;
    const authz::CheckResult r = engine->check(req);
    if (r.error.missing_parameters) {
      c.result = "conditional";
      c.detail = r.error.message;
    } else if (!r.error.ok()) {
      c.result = "error";
      c.detail = r.error.message;
    } else {
      c.result = r.allowed ? "allow" : "deny";
      c.detail = r.conditional ? "under a condition: " + r.reason : r.reason;
    }
    return c;
  };
  for (const auto& tool : tools) {
    ToolReach row;
    row.server = std::string(server_of(tool));
    row.tool = std::string(policy_name_of(tool));
    row.object = expand(options_.user_check.object, row.server, row.tool, who.subject,
                        who.client_id);
    row.user = decide(options_.user_check, row.server, row.tool);
    if (!client_id.empty()) {
      row.client = decide(options_.client_check, row.server, row.tool);
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<nlohmann::json> EngineToolAuthorizer::context_for(const mcp::Caller* caller,
                                                         std::string_view sub,
                                                         std::string_view client,
                                                         const nlohmann::json& arguments,
                                                         const nlohmann::json* input_schema,
                                                         std::string_view source_ip) const {
  const std::string kind = options_.client_kind ? options_.client_kind(client) : std::string();
  const std::string host = cimd_host(client);
  RequestFacts facts;
  facts.user = sub;
  facts.client_id = client;
  facts.client_kind = kind;
  facts.client_host = host;
  facts.scopes = caller != nullptr ? &caller->scopes : nullptr;
  facts.time = std::chrono::system_clock::now();
  facts.source_ip = source_ip;
  return build_call_context(arguments, input_schema, facts, options_.context_limits);
}

authz::CheckRequest EngineToolAuthorizer::request_for(const CheckTemplate& t,
                                                      std::string_view server,
                                                      std::string_view tool,
                                                      std::string_view sub,
                                                      std::string_view client) {
  authz::CheckRequest req;
  req.object = expand(t.object, server, tool, sub, client);
  req.relation = t.relation;
  req.user = expand(t.user, server, tool, sub, client);
  return req;
}

}  // namespace mcpgate::policy
