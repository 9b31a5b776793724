// bench_authz_check: uncached Check throughput and latency of the authorization engine on an
// MCP-shaped model (FGA.md §6.2: users in groups, tools in servers, agent grants, one
// condition) over 1,000,000 tuples. Single-threaded: the numbers are per core.
//
//   build/engine-rel/bench/bench_authz_check [--benchmark_filter=...]
//
// Target (issue 4 / FGA.md §7 tier B): >= 1,000,000 uncached checks/s per core, p99 <= 5 us.
// Latency percentiles come from BM_CheckLatencyHistogram, which times every check on its own
// (steady_clock overhead, ~20-40 ns, included); throughput comes from the untimed-loop cases.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "authz/dsl.hpp"
#include "authz/engine.hpp"

namespace {

using mcpgate::authz::CheckRequest;
using mcpgate::authz::CheckResult;
using mcpgate::authz::Engine;
using mcpgate::authz::EngineOptions;
using mcpgate::authz::PreparedCheck;
using mcpgate::authz::TupleRecord;

constexpr const char* kModel = R"(model
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
    define blocked: [user, client]
    define can_invoke: invoker but not blocked
    define can_be_used_by_agent: agent but not blocked
condition args_within(arg_calendar_id: string, allowed_calendars: list<string>) {
  arg_calendar_id in allowed_calendars
}
)";

// Shape (total 1,000,000 tuples):
constexpr int kUsers = 100'000;
constexpr int kGroups = 10'000;
constexpr int kGroupsPerUser = 5;        // 500,000 membership tuples
constexpr int kServers = 1'000;
constexpr int kGroupsPerServer = 20;     //  20,000 server access tuples
constexpr int kToolsPerServer = 20;      //  20,000 tools -> 20,000 server tuples
constexpr int kClientsPerTool = 20;      // 400,000 agent grants (1 in 10 conditioned)
constexpr int kClients = 2'000;
constexpr int kDirectInvokers = 40'000;  //  40,000 direct tool grants

std::string user_name(int u) { return "user:u" + std::to_string(u); }
std::string group_name(int g) { return "group:g" + std::to_string(g); }
std::string server_name(int s) { return "mcp_server:s" + std::to_string(s); }
std::string tool_name(int s, int t) { return "tool:s" + std::to_string(s) + "/t" + std::to_string(t); }
std::string client_name(int c) { return "client:c" + std::to_string(c); }

struct World {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Engine> cached_engine;
  std::vector<CheckRequest> user_checks;   // half allowed, half random
  std::vector<CheckRequest> agent_checks;  // half allowed (some conditioned), half random
  // The same requests prepared (Engine::prepare: strings resolved to ids once, as a session
  // does for its user, client and tools); checking them still evaluates the graph every time.
  std::vector<PreparedCheck> user_prepared;
  std::vector<PreparedCheck> agent_prepared;
  std::size_t tuples = 0;
};

World build_world() {
  World w;
  std::mt19937_64 rng(42);
  std::vector<TupleRecord> tuples;
  tuples.reserve(1'000'000);
  std::vector<std::vector<int>> groups_of_user(kUsers);
  for (int u = 0; u < kUsers; ++u) {
    for (int i = 0; i < kGroupsPerUser; ++i) {
      const int g = static_cast<int>(rng() % kGroups);
      if (std::find(groups_of_user[u].begin(), groups_of_user[u].end(), g) != groups_of_user[u].end()) {
        continue;
      }
      groups_of_user[u].push_back(g);
      tuples.push_back({group_name(g), "member", user_name(u), {}, nullptr});
    }
  }
  std::vector<std::vector<int>> servers_of_group(kGroups);
  for (int s = 0; s < kServers; ++s) {
    std::vector<int> seen;
    for (int i = 0; i < kGroupsPerServer; ++i) {
      const int g = static_cast<int>(rng() % kGroups);
      if (std::find(seen.begin(), seen.end(), g) != seen.end()) {
        continue;
      }
      seen.push_back(g);
      servers_of_group[g].push_back(s);
      tuples.push_back({server_name(s), "user_access", group_name(g) + "#member", {}, nullptr});
    }
    for (int t = 0; t < kToolsPerServer; ++t) {
      tuples.push_back({tool_name(s, t), "server", server_name(s), {}, nullptr});
    }
  }
  struct Grant {
    int server, tool, client;
    bool conditioned;
  };
  std::vector<Grant> grants;
  for (int s = 0; s < kServers; ++s) {
    for (int t = 0; t < kToolsPerServer; ++t) {
      std::vector<int> seen;
      for (int i = 0; i < kClientsPerTool; ++i) {
        const int c = static_cast<int>(rng() % kClients);
        if (std::find(seen.begin(), seen.end(), c) != seen.end()) {
          continue;
        }
        seen.push_back(c);
        const bool conditioned = rng() % 10 == 0;
        TupleRecord r{tool_name(s, t), "agent", client_name(c), {}, nullptr};
        if (conditioned) {
          r.condition_name = "args_within";
          r.condition_context = {{"allowed_calendars", {"primary", "team"}}};
        }
        tuples.push_back(std::move(r));
        grants.push_back({s, t, c, conditioned});
      }
    }
  }
  std::vector<std::pair<int, int>> direct;  // (user, tool index)
  for (int i = 0; static_cast<int>(tuples.size()) < 1'000'000 && i < kDirectInvokers * 2; ++i) {
    const int u = static_cast<int>(rng() % kUsers);
    const int s = static_cast<int>(rng() % kServers);
    const int t = static_cast<int>(rng() % kToolsPerServer);
    tuples.push_back({tool_name(s, t), "invoker", user_name(u), {}, nullptr});
    direct.emplace_back(u, s * kToolsPerServer + t);
  }
  // Duplicates (same user drawn twice for one tool) would fail the load; drop them.
  std::sort(tuples.begin(), tuples.end(), [](const TupleRecord& a, const TupleRecord& b) {
    return std::tie(a.object, a.relation, a.user) < std::tie(b.object, b.relation, b.user);
  });
  tuples.erase(std::unique(tuples.begin(), tuples.end(),
                           [](const TupleRecord& a, const TupleRecord& b) {
                             return a.object == b.object && a.relation == b.relation && a.user == b.user;
                           }),
               tuples.end());
  w.tuples = tuples.size();

  auto model = mcpgate::authz::parse_dsl(kModel);
  if (!model) {
    std::cerr << "model: " << model.error().message << "\n";
    std::abort();
  }
  EngineOptions uncached;
  uncached.decision_cache_slots = 0;
  w.engine = std::move(Engine::create(*model, uncached)).value();
  if (auto s = w.engine->load(tuples, 1); !s) {
    std::cerr << "load: " << s.error().message << "\n";
    std::abort();
  }
  w.cached_engine = std::move(Engine::create(*model)).value();
  (void)w.cached_engine->load(tuples, 1);

  // Requests, built once: a check itself does not copy or allocate them.
  const nlohmann::json args = {{"arg_calendar_id", "primary"}};
  for (int i = 0; i < 100'000; ++i) {
    CheckRequest r;
    r.relation = "can_invoke";
    if (i % 2 == 0) {
      // An allowed pair: a user, one of its groups, a server that group can use, a tool there.
      int u = 0;
      int g = 0;
      do {
        u = static_cast<int>(rng() % kUsers);
        g = groups_of_user[u].empty() ? 0 : groups_of_user[u][rng() % groups_of_user[u].size()];
      } while (servers_of_group[g].empty());
      const int s = servers_of_group[g][rng() % servers_of_group[g].size()];
      r.object = tool_name(s, static_cast<int>(rng() % kToolsPerServer));
      r.user = user_name(u);
    } else {
      r.object = tool_name(static_cast<int>(rng() % kServers), static_cast<int>(rng() % kToolsPerServer));
      r.user = user_name(static_cast<int>(rng() % kUsers));
    }
    r.context = args;
    w.user_checks.push_back(std::move(r));

    CheckRequest a;
    a.relation = "can_be_used_by_agent";
    if (i % 2 == 0) {
      const Grant& g = grants[rng() % grants.size()];
      a.object = tool_name(g.server, g.tool);
      a.user = client_name(g.client);
    } else {
      a.object = tool_name(static_cast<int>(rng() % kServers), static_cast<int>(rng() % kToolsPerServer));
      a.user = client_name(static_cast<int>(rng() % kClients));
    }
    a.context = args;
    w.agent_checks.push_back(std::move(a));
  }
  for (const CheckRequest& r : w.user_checks) {
    w.user_prepared.push_back(w.engine->prepare(r));
  }
  for (const CheckRequest& r : w.agent_checks) {
    w.agent_prepared.push_back(w.engine->prepare(r));
  }
  return w;
}

World& world() {
  static World w = build_world();
  return w;
}

template <class Request>
void run_checks(benchmark::State& state, const Engine& engine, const std::vector<Request>& reqs) {
  std::size_t i = 0;
  std::int64_t allowed = 0;
  std::int64_t errors = 0;
  for (auto _ : state) {
    const CheckResult r = engine.check(reqs[i]);
    allowed += r.allowed ? 1 : 0;
    errors += r.error.ok() ? 0 : 1;
    benchmark::DoNotOptimize(r);
    if (++i == reqs.size()) {
      i = 0;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allowed%"] = 100.0 * static_cast<double>(allowed) / static_cast<double>(state.iterations());
  state.counters["errors"] = static_cast<double>(errors);
  state.counters["tuples"] = static_cast<double>(world().tuples);
}

void BM_CheckUserUncached(benchmark::State& state) { run_checks(state, *world().engine, world().user_checks); }
BENCHMARK(BM_CheckUserUncached);

void BM_CheckAgentUncached(benchmark::State& state) { run_checks(state, *world().engine, world().agent_checks); }
BENCHMARK(BM_CheckAgentUncached);

// The same checks through prepared requests: no string parsing or object-table lookups.
void BM_CheckUserPrepared(benchmark::State& state) { run_checks(state, *world().engine, world().user_prepared); }
BENCHMARK(BM_CheckUserPrepared);

void BM_CheckAgentPrepared(benchmark::State& state) { run_checks(state, *world().engine, world().agent_prepared); }
BENCHMARK(BM_CheckAgentPrepared);

// Decision-cache hits: 4,096 distinct requests cycling (the cache has 65,536 slots).
void BM_CheckUserCached(benchmark::State& state) {
  static const std::vector<CheckRequest> hot(world().user_checks.begin(), world().user_checks.begin() + 4096);
  run_checks(state, *world().cached_engine, hot);
}
BENCHMARK(BM_CheckUserCached);

// Every check timed individually (user and agent checks alternating, uncached); reports
// p50/p99/p99.9 in nanoseconds. Arg 0: string requests, 1: prepared requests, 2: no check at
// all (the two clock reads alone, in the same loop: the floor and the tail that the machine
// itself adds — preemption, interrupts, page faults — to every timed sample).
template <class Request>
const Request& pick(const std::vector<Request>& user, const std::vector<Request>& agent, std::size_t i) {
  return (i & 1) != 0 ? agent[(i >> 1) % agent.size()] : user[(i >> 1) % user.size()];
}

void BM_CheckLatencyHistogram(benchmark::State& state) {
  const World& w = world();
  const auto mode = state.range(0);
  std::vector<std::uint32_t> ns;
  ns.reserve(4'000'000);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (mode == 0) {
      const CheckResult r = w.engine->check(pick(w.user_checks, w.agent_checks, i));
      benchmark::DoNotOptimize(r);
    } else if (mode == 1) {
      const CheckResult r = w.engine->check(pick(w.user_prepared, w.agent_prepared, i));
      benchmark::DoNotOptimize(r);
    } else {
      benchmark::DoNotOptimize(i);
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity()) {
      ns.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    }
    ++i;
  }
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) {
    return ns.empty() ? 0.0 : static_cast<double>(ns[std::min(ns.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ns.size())))]);
  };
  state.SetItemsProcessed(state.iterations());
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p99.9_ns"] = pct(0.999);
  state.counters["max_ns"] = ns.empty() ? 0.0 : static_cast<double>(ns.back());
  // Samples above 5 us, per million: how often the tail is hit at all.
  const auto over = static_cast<double>(ns.end() - std::upper_bound(ns.begin(), ns.end(), 5'000U));
  state.counters["over5us_ppm"] = ns.empty() ? 0.0 : 1e6 * over / static_cast<double>(ns.size());
}
BENCHMARK(BM_CheckLatencyHistogram)->Arg(0)->Arg(1)->Arg(2)->Iterations(2'000'000);

}  // namespace

BENCHMARK_MAIN();
