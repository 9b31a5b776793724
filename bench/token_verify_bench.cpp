// bench_token_verify: Google Benchmark micro-benchmarks of the resource-server guard
// (src/oauth/bearer_guard.hpp), the per-request cost of OAuth on the MCP endpoint.
//
//   build/release/bench/bench_token_verify [--benchmark_filter=...]
//
//  * BM_AuthenticateCached: the steady state, one token presented again and again (SHA-256 of
//    the token, a shard lookup, the exp and revocation checks, a Caller copy). Also run on
//    several threads to show lock contention.
//  * BM_AuthenticateUncached: a guard with cache_capacity 0, so every call does the full
//    verification (header parse, ES256 signature check, claims). Same token each time: with
//    the cache off that is the same work as a fresh token.
//  * BM_MayCall: one may_call() for each of the 8 demo tools plus an unlisted one, per
//    iteration (what tools/list costs per caller).
//
// Keys and tokens are made here (no store, no authorization server), with the contract's
// example scopes.

#include <memory>
#include <string>
#include <variant>

#include <benchmark/benchmark.h>

#include "crypto/jwk.hpp"
#include "crypto/jwt.hpp"
#include "http/asio.hpp"  // first: <utility> before any Asio header (g++ 12 + Boost 1.74)
#include "oauth/bearer_guard.hpp"
#include "oauth/options.hpp"
#include "oauth/scopes.hpp"

namespace {

using mcpgate::oauth::BearerGuard;
using mcpgate::oauth::BearerGuardOptions;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kIssuer = "https://gate.example.com";
constexpr const char* kResource = "https://gate.example.com/mcp";

mcpgate::oauth::AuthOptions bench_auth_options() {
  mcpgate::oauth::AuthOptions o;
  o.scopes = {{"calendar:read", {"list_events", "get_availability"}},
              {"calendar:write", {"create_event", "delete_event"}},
              {"mail:read", {"search_messages", "read_message"}},
              {"mail:write", {"send_message", "delete_message"}}};
  o.scope_implies = {{"calendar:write", {"calendar:read"}}, {"mail:write", {"mail:read"}}};
  return o;
}

struct Fixture {
  Fixture() : key(*mcpgate::crypto::SigningKey::generate()), scopes(bench_auth_options()) {
    auto set = std::make_shared<mcpgate::crypto::JwkSet>();
    set->add(key.public_key());
    keys = set;
    const nlohmann::json claims = {{"iss", kIssuer},
                                   {"sub", "user-0123456789"},
                                   {"aud", kResource},
                                   {"client_id", "public-app"},
                                   {"scope", "calendar:write mail:read"},
                                   {"iat", kNow},
                                   {"nbf", kNow},
                                   {"exp", kNow + 900},
                                   {"jti", "bench-jti-0123456789abcdef"},
                                   {"org_id", "default"}};
    token = *mcpgate::crypto::sign_jwt(key, claims, "at+jwt");
    request.set(mcpgate::http::Field::host, "gate.example.com");
    request.set(mcpgate::http::Field::authorization, "Bearer " + token);
  }

  std::unique_ptr<BearerGuard> guard(std::size_t capacity) const {
    BearerGuardOptions o;
    o.issuer = kIssuer;
    o.resource = kResource;
    o.resource_metadata_url = "https://gate.example.com/.well-known/oauth-protected-resource/mcp";
    o.cache_capacity = capacity;
    auto k = keys;
    return std::make_unique<BearerGuard>(
        o, [k] { return k; }, scopes, [] { return kNow; });
  }

  mcpgate::crypto::SigningKey key;
  std::shared_ptr<const mcpgate::crypto::JwkSet> keys;
  mcpgate::oauth::ScopeSet scopes;
  std::string token;
  mcpgate::http::Request request{mcpgate::http::bhttp::verb::post, "/mcp", 11};
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_AuthenticateCached(benchmark::State& state) {
  static std::unique_ptr<BearerGuard> guard;
  if (state.thread_index() == 0) {
    guard = fixture().guard(65536);
    if (!std::holds_alternative<mcpgate::mcp::Caller>(guard->authenticate(fixture().request))) {
      state.SkipWithError("token refused");
    }
  }
  for (auto _ : state) {
    auto r = guard->authenticate(fixture().request);
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK(BM_AuthenticateCached)->ThreadRange(1, 4)->UseRealTime();

void BM_AuthenticateUncached(benchmark::State& state) {
  const auto guard = fixture().guard(0);
  if (!std::holds_alternative<mcpgate::mcp::Caller>(guard->authenticate(fixture().request))) {
    state.SkipWithError("token refused");
  }
  for (auto _ : state) {
    auto r = guard->authenticate(fixture().request);
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK(BM_AuthenticateUncached);

void BM_MayCall(benchmark::State& state) {
  const auto guard = fixture().guard(16);
  const mcpgate::mcp::Caller caller{"user", "public-app", {"calendar:write", "mail:read"}, "default"};
  static constexpr const char* kTools[] = {"list_events",
                                           "get_availability",
                                           "create_event",
                                           "delete_event",
                                           "search_messages",
                                           "read_message",
                                           "send_message",
                                           "delete_message",
                                           "echo"};
  for (auto _ : state) {
    int allowed = 0;
    for (const char* tool : kTools) {
      allowed += guard->may_call(caller, tool) ? 1 : 0;
    }
    benchmark::DoNotOptimize(allowed);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(std::size(kTools)));
}

BENCHMARK(BM_MayCall);

}  // namespace

BENCHMARK_MAIN();
