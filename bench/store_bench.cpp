// Micro-benchmarks of the authorization server's foundation: the SQLite store (reads with and
// without the reader pool, single-use writes) and the crypto it leans on (Argon2id, ES256, JWT).
//
//   build/<dir>/bench/bench_store --benchmark_min_time=1
//
// Store benchmarks share one store per configuration across benchmark threads, the way the
// executor's pool shares one store.

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "crypto/jwt.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace mcpgate;         // NOLINT(google-build-using-namespace)
using namespace mcpgate::store;  // NOLINT(google-build-using-namespace)

constexpr Timestamp kNow = 1'700'000'000;
constexpr int kClients = 1000;

std::filesystem::path scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("mcpgate_bench_" + crypto::random_id());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

struct Fixture {
  std::unique_ptr<Store> store;
  std::vector<std::string> client_ids;
  User user;
};

// One populated store per reader count (0 = everything through the writer connection).
Fixture& fixture(std::size_t readers) {
  static std::mutex mutex;
  static std::map<std::size_t, std::unique_ptr<Fixture>> fixtures;
  std::lock_guard lock(mutex);
  auto& slot = fixtures[readers];
  if (!slot) {
    slot = std::make_unique<Fixture>();
    SqliteOptions options;
    options.path = (scratch() / ("r" + std::to_string(readers) + ".db")).string();
    options.readers = readers;
    slot->store = std::move(
        open_sqlite_store(
            options, std::move(crypto::MasterKey::from_bytes(crypto::random_bytes(32))).value())
            .value());
    slot->user = User{"u1", "alice", "", false, kNow};
    (void)slot->store->create_user(slot->user);
    for (int i = 0; i < kClients; ++i) {
      Client c;
      c.client_id = "client-" + std::to_string(i);
      c.metadata = {{"client_name", "bench"}, {"redirect_uris", {"https://app.example/cb"}}};
      c.secret_hash = hash_secret("secret-" + std::to_string(i));
      (void)slot->store->create_client(c);
      slot->client_ids.push_back(c.client_id);
    }
  }
  return *slot;
}

void BM_FindClient(benchmark::State& state) {
  Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    auto c = f.store->find_client(f.client_ids[i++ % f.client_ids.size()]);
    benchmark::DoNotOptimize(c);
  }
}

BENCHMARK(BM_FindClient)->ArgName("readers")->Arg(0)->Arg(4)->Threads(1)->Threads(4)->UseRealTime();

void BM_VerifyClientSecret(benchmark::State& state) {
  Fixture& f = fixture(4);
  const std::string hash = hash_secret("secret-7");
  for (auto _ : state) {
    auto s = f.store->verify_client_secret("client-7", hash, kNow);
    benchmark::DoNotOptimize(s);
  }
}

BENCHMARK(BM_VerifyClientSecret)->Threads(1)->Threads(4)->UseRealTime();

// Create + consume one authorization code: two write transactions.
void BM_IssueAndConsumeCode(benchmark::State& state) {
  Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    Grant g{crypto::random_id(), f.user.id, "client-1", "s", "r", kNow, std::nullopt};
    AuthorizationCode code;
    code.code_hash = hash_secret(crypto::random_token());
    code.grant_id = g.id;
    code.client_id = g.client_id;
    code.user_id = g.user_id;
    code.expires_at = kNow + 600;
    (void)f.store->create_authorization_code(g, code);
    auto r = f.store->consume_authorization_code(code.code_hash, kNow + 1);
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK(BM_IssueAndConsumeCode)
    ->ArgName("readers")
    ->Arg(0)
    ->Arg(4)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();

void BM_RotateRefreshToken(benchmark::State& state) {
  Fixture& f = fixture(4);
  Grant g{crypto::random_id(), f.user.id, "client-2", "s", "r", kNow, std::nullopt};
  AuthorizationCode code;
  code.code_hash = hash_secret(crypto::random_token());
  code.grant_id = g.id;
  code.client_id = g.client_id;
  code.user_id = g.user_id;
  code.expires_at = kNow + 600;
  (void)f.store->create_authorization_code(g, code);
  std::string current = crypto::random_token();
  RefreshToken first;
  first.token_hash = hash_secret(current);
  first.grant_id = g.id;
  first.client_id = g.client_id;
  first.expires_at = kNow + 1'000'000;
  first.family_expires_at = kNow + 1'000'000;
  (void)f.store->create_refresh_token(first);
  for (auto _ : state) {
    const std::string next = crypto::random_token();
    RotateRequest req;
    req.old_hash = hash_secret(current);
    req.client_id = g.client_id;
    req.new_hash = hash_secret(next);
    req.new_expires_at = kNow + 1'000'000;
    req.now = kNow + 1;
    auto r = f.store->rotate_refresh_token(req);
    benchmark::DoNotOptimize(r);
    current = next;
  }
}

BENCHMARK(BM_RotateRefreshToken)->UseRealTime();

void BM_Argon2idDefault(benchmark::State& state) {
  for (auto _ : state) {
    auto h = crypto::hash_password("correct horse battery staple");
    benchmark::DoNotOptimize(h);
  }
}

BENCHMARK(BM_Argon2idDefault)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SignAccessToken(benchmark::State& state) {
  const auto key = crypto::SigningKey::generate().value();
  const nlohmann::json claims = {{"iss", "https://as.example"},
                                 {"sub", "u1"},
                                 {"aud", "https://mcp.example/mcp"},
                                 {"client_id", "c1"},
                                 {"exp", kNow + 300},
                                 {"iat", kNow},
                                 {"jti", "j"}};
  for (auto _ : state) {
    auto t = crypto::sign_jwt(key, claims, "at+jwt");
    benchmark::DoNotOptimize(t);
  }
}

BENCHMARK(BM_SignAccessToken);

void BM_VerifyAccessToken(benchmark::State& state) {
  const auto key = crypto::SigningKey::generate().value();
  crypto::JwkSet set;
  set.add(key.public_key());
  const std::string token =
      crypto::sign_jwt(key, {{"sub", "u1"}, {"exp", kNow + 300}}, "at+jwt").value();
  crypto::JwtVerifyOptions options;
  options.allowed_algs = {crypto::JwsAlgorithm::kES256};
  options.typ = "at+jwt";
  for (auto _ : state) {
    auto v = crypto::verify_jwt(token, set, options);
    benchmark::DoNotOptimize(v);
  }
}

BENCHMARK(BM_VerifyAccessToken);

}  // namespace

BENCHMARK_MAIN();
