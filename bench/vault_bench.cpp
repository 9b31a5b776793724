// Token vault hot path: what a connector tool call pays to get its upstream credential.
// The target: vault lookup + decrypt + header injection <= 5 us per call.
//
//   BM_HeaderFromPlaintext          baseline: "Bearer " + a token already in hand
//   BM_VaultCachedLookupHeader      Vault::get_connection on the hot cache + the header
//   BM_VaultDecryptHeader           Vault::open_row on a stored row (two AES-256-GCM opens with
//                                   the cached data key: a cache miss minus the store read)
//   BM_VaultStoreReadDecryptHeader  a miss end to end: SQLite read (file, WAL) + open + header
//
// build/<dir>/bench/bench_vault --benchmark_repetitions=5 --benchmark_report_aggregates_only
// (docs/BENCHMARKS.md "Vault").

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "crypto/master_key.hpp"
#include "crypto/random.hpp"
#include "store/sqlite_store.hpp"
#include "vault/vault.hpp"

namespace {

using namespace mcpgate;

constexpr store::Timestamp kNow = 1'700'000'000;
constexpr int kUsers = 1000;

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<vault::Vault> vault;
  store::VaultConnection row;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("mcpgate_vault_bench_" + crypto::random_id());
    std::filesystem::create_directories(dir);
    auto opened = store::open_sqlite_store(
        store::SqliteOptions{(dir / "bench.db").string(), 4, 5000},
        crypto::MasterKey::from_bytes(crypto::random_bytes(32)).value());
    store = std::move(opened).value();
    vault::MasterKeyring ring;
    (void)ring.add(1, crypto::MasterKey::from_bytes(crypto::random_bytes(32)).value());
    vault = std::make_unique<vault::Vault>(*store, std::move(ring));
    // Realistic sizes: a Google access token is ~200 bytes, refresh tokens ~100.
    for (int i = 0; i < kUsers; ++i) {
      const vault::TokenSet t{"ya29." + crypto::random_token(147), "1//" + crypto::random_token(72),
                              kNow + 3600, "https://www.googleapis.com/auth/calendar", ""};
      (void)vault->put_connection("acme", "user-" + std::to_string(i), "google-calendar", t, kNow);
    }
    row = store->find_vault_connection("acme", "user-500", "google-calendar").value();
  }

  ~Fixture() {
    vault.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string bearer(const std::string& token) {
  std::string header;
  header.reserve(7 + token.size());
  header.append("Bearer ").append(token);
  return header;
}

void BM_HeaderFromPlaintext(benchmark::State& state) {
  const std::string token = "ya29." + crypto::random_token(147);
  for (auto _ : state) {
    std::string header = bearer(token);
    benchmark::DoNotOptimize(header);
  }
}
BENCHMARK(BM_HeaderFromPlaintext);

void BM_VaultCachedLookupHeader(benchmark::State& state) {
  Fixture& f = fixture();
  (void)f.vault->get_connection("acme", "user-500", "google-calendar");
  for (auto _ : state) {
    auto secrets = f.vault->get_connection("acme", "user-500", "google-calendar");
    std::string header = bearer((*secrets)->access_token);
    benchmark::DoNotOptimize(header);
  }
}
BENCHMARK(BM_VaultCachedLookupHeader);
BENCHMARK(BM_VaultCachedLookupHeader)->Threads(2);

void BM_VaultDecryptHeader(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto secrets = f.vault->open_row(f.row);
    std::string header = bearer((*secrets)->access_token);
    benchmark::DoNotOptimize(header);
  }
}
BENCHMARK(BM_VaultDecryptHeader);

void BM_VaultStoreReadDecryptHeader(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto row = f.store->find_vault_connection("acme", "user-500", "google-calendar");
    auto secrets = f.vault->open_row(*row);
    std::string header = bearer((*secrets)->access_token);
    benchmark::DoNotOptimize(header);
  }
}
BENCHMARK(BM_VaultStoreReadDecryptHeader);

}  // namespace

BENCHMARK_MAIN();
