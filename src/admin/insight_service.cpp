#include "admin/insight_service.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "oauth/scopes.hpp"

namespace mcpgate::admin {
namespace {

constexpr std::size_t kInsightReadPage = 2000;

// Counts of one tool or upstream: totals and one value per bucket.
struct InsightRow {
  std::int64_t calls = 0;
  std::int64_t denied = 0;
  std::int64_t errors = 0;
  std::vector<std::int64_t> s_calls = std::vector<std::int64_t>(kCallStatsBuckets, 0);
  std::vector<std::int64_t> s_denied = std::vector<std::int64_t>(kCallStatsBuckets, 0);
  std::vector<std::int64_t> s_errors = std::vector<std::int64_t>(kCallStatsBuckets, 0);

  void add(std::size_t bucket, const AuditFacts& f) {
    ++calls;
    ++s_calls[bucket];
    if (f.denied) {
      ++denied;
      ++s_denied[bucket];
    }
    if (f.error) {
      ++errors;
      ++s_errors[bucket];
    }
  }
};

Json insight_row_json(const std::string& name, const InsightRow& r) {
  Json series = Json::object();
  series["calls"] = r.s_calls;
  series["denied"] = r.s_denied;
  series["errors"] = r.s_errors;
  Json out = {{"name", name}, {"calls", r.calls}, {"denied", r.denied}, {"errors", r.errors}};
  out["series"] = std::move(series);
  return out;
}

// The busiest first (then by name): the console charts the top rows.
Json insight_rows_json(const std::map<std::string, InsightRow>& rows) {
  std::vector<const std::pair<const std::string, InsightRow>*> sorted;
  for (const auto& entry : rows) {
    sorted.push_back(&entry);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->second.calls > b->second.calls; });
  Json out = Json::array();
  for (const auto* e : sorted) {
    out.push_back(insight_row_json(e->first, e->second));
  }
  return out;
}

std::int64_t insight_system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json check_json(const policy::ReachCheck& c) {
  return Json{{"result", c.result}, {"detail", c.detail}};
}

// Both checks together: any deny or error denies; otherwise a conditional one makes it
// conditional.
std::string verdict_of(const policy::ToolReach& r) {
  const bool has_client = !r.client.result.empty();
  const auto bad = [](const policy::ReachCheck& c) {
    return c.result == "deny" || c.result == "error";
  };
  if (bad(r.user) || (has_client && bad(r.client))) {
    return "deny";
  }
  if (r.user.result == "conditional" || (has_client && r.client.result == "conditional")) {
    return "conditional";
  }
  return "allow";
}

Result<Json> agent_access(const InsightDeps& deps, std::string_view org, std::string_view user_id,
                          std::string_view client_id) {
  if (!deps.authorizer) {
    return make_error(ErrorCode::kFailedPrecondition, "the gate has no tool-level policy");
  }
  auto user = deps.store->find_user(user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound, "no such user");
    }
    return user.error();
  }
  if (user->org_id != org) {
    return make_error(ErrorCode::kNotFound, "no such user");
  }
  std::vector<std::string> grant_ids;
  std::set<std::string> scopes;
  if (!client_id.empty()) {
    auto client = deps.store->find_client(client_id);
    if (!client) {
      if (client.error().code == ErrorCode::kNotFound) {
        return make_error(ErrorCode::kNotFound, "no such client");
      }
      return client.error();
    }
    MCPGATE_ASSIGN_OR_RETURN(const auto grants, deps.store->list_user_grants(user->id));
    for (const auto& g : grants) {
      if (g.client_id == client_id && !g.revoked_at) {
        grant_ids.push_back(g.id);
        for (auto& s : oauth::split_scope(g.scope)) {
          scopes.insert(std::move(s));
        }
      }
    }
  }
  const std::vector<mcp::Tool> tools = deps.tools ? deps.tools() : std::vector<mcp::Tool>{};
  const auto reach = deps.authorizer->reach(org, user->id, client_id, tools);
  const std::vector<std::string> scope_list(scopes.begin(), scopes.end());
  Json rows = Json::array();
  int allowed = 0;
  int conditional = 0;
  int denied = 0;
  for (std::size_t i = 0; i < reach.size(); ++i) {
    const auto& r = reach[i];
    const std::string verdict = verdict_of(r);
    if (verdict == "allow") {
      ++allowed;
    } else if (verdict == "conditional") {
      ++conditional;
    } else {
      ++denied;
    }
    Json row = {{"server", r.server}, {"tool", r.tool}, {"object", r.object}, {"verdict", verdict}};
    row["user_check"] = check_json(r.user);
    row["client_check"] = r.client.result.empty() ? Json(nullptr) : check_json(r.client);
    row["in_granted_scopes"] = nullptr;
    if (!client_id.empty() && deps.scope_permits) {
      const std::string name = tools[i].descriptor.value("name", r.tool);
      row["in_granted_scopes"] = !grant_ids.empty() && deps.scope_permits(scope_list, name);
    }
    rows.push_back(std::move(row));
  }
  Json out = {{"user_id", user->id},
              {"allowed", allowed},
              {"conditional", conditional},
              {"denied", denied}};
  out["client_id"] = client_id.empty() ? Json(nullptr) : Json(std::string(client_id));
  out["grants"] = grant_ids;
  out["tools"] = std::move(rows);
  return out;
}

}  // namespace

std::optional<AuditFacts> audit_facts(std::string_view record_text) {
  const Json j = Json::parse(record_text, nullptr, false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  const auto str = [&](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto time = j.find("time_ms");
  if (time == j.end() || !time->is_number_integer()) {
    return std::nullopt;
  }
  AuditFacts f;
  f.time_ms = time->get<std::int64_t>();
  f.org = str("org");
  f.upstream = str("upstream");
  f.tool = str("tool");
  const std::string decision = str("decision");
  const std::string status = str("upstream_status");
  f.denied = decision == "deny";
  f.error = decision == "error" || (decision == "allow" && status != "ok");
  f.admin_call = j.contains("admin");
  return f;
}

Result<Json> call_stats(store::Store& store, std::string_view org, std::string_view operator_org,
                        int hours, std::int64_t now_ms, std::size_t max_records_scanned) {
  const std::int64_t span = static_cast<std::int64_t>(hours) * 3600 * 1000;
  const std::int64_t bucket_ms = span / kCallStatsBuckets;
  const std::int64_t since = now_ms - span;
  InsightRow total;
  std::map<std::string, InsightRow> by_tool;
  std::map<std::string, InsightRow> by_upstream;
  std::size_t scanned = 0;
  bool complete = true;
  auto last = store.last_audit_record();
  if (!last && last.error().code != ErrorCode::kNotFound) {
    return last.error();
  }
  if (last) {
    std::int64_t after = std::max<std::int64_t>(
        0, last->seq - static_cast<std::int64_t>(max_records_scanned));
    // The scan starts inside the log: the window is covered only if its first record read is
    // older than the window.
    complete = after == 0;
    bool first = true;
    while (after < last->seq) {
      MCPGATE_ASSIGN_OR_RETURN(const auto page, store.read_audit_records(after, kInsightReadPage));
      if (page.empty()) {
        break;
      }
      for (const auto& rec : page) {
        after = rec.seq;
        if (rec.seq > last->seq) {
          break;
        }
        ++scanned;
        const auto facts = audit_facts(rec.record);
        if (!facts) {
          continue;
        }
        if (first) {
          complete = complete || facts->time_ms < since;
          first = false;
        }
        const std::string record_org = facts->org.empty() ? std::string(operator_org) : facts->org;
        // Tool calls only: the admin plane's own calls are audited too, but are not traffic.
        if (facts->admin_call || record_org != org || facts->time_ms < since ||
            facts->time_ms >= now_ms) {
          continue;
        }
        const auto bucket = static_cast<std::size_t>(
            std::clamp<std::int64_t>((facts->time_ms - since) / bucket_ms, 0, kCallStatsBuckets - 1));
        total.add(bucket, *facts);
        by_tool[facts->upstream + "/" + facts->tool].add(bucket, *facts);
        by_upstream[facts->upstream.empty() ? std::string("(built-in)") : facts->upstream].add(
            bucket, *facts);
      }
    }
  }
  Json out = {{"since", since},
              {"until", now_ms},
              {"bucket_seconds", bucket_ms / 1000},
              {"buckets", kCallStatsBuckets},
              {"records_scanned", scanned},
              {"complete", complete}};
  out["total"] = insight_row_json("all", total);
  out["by_tool"] = insight_rows_json(by_tool);
  out["by_upstream"] = insight_rows_json(by_upstream);
  return out;
}

void bind_insight_operations(OperationHandlers& handlers, InsightDeps deps) {
  if (!deps.now_ms) {
    deps.now_ms = insight_system_ms;
  }
  auto shared = std::make_shared<const InsightDeps>(std::move(deps));
  handlers.add("getCallStats", [shared](const AdminCall& c) -> Result<Json> {
    const auto it = c.args.find("hours");
    const int hours = it != c.args.end() && it->is_number_integer() ? it->get<int>() : 24;
    return call_stats(*shared->store, c.org(), shared->operator_org, hours, shared->now_ms(),
                      shared->max_records_scanned);
  });
  handlers.add("getAgentAccess", [shared](const AdminCall& c) {
    return agent_access(*shared, c.org(), c.arg("user_id"), c.arg("client_id"));
  });
}

}  // namespace mcpgate::admin
