// SCIM list with a filter over 100 000 provisioned users: the store query a
// GET /scim/v2/Users?filter=… runs (scim::compile_filter → Store::list_scim_resources: the COUNT
// and the page, through scim::to_sql), on SQLite and, with MCPGATE_BENCH_PG_URL, PostgreSQL.
// Each iteration is one list call; p50/p99 are reported as counters (microseconds).
//
//   build/bench/bench/bench_scim_list --benchmark_min_time=2
//   MCPGATE_BENCH_PG_URL=postgresql://… build/bench/bench/bench_scim_list
//   MCPGATE_BENCH_SCIM_USERS=10000 …   (a smaller population for a quick run)
//
// Seeding inserts one user per transaction, as SCIM POSTs do (about a minute on SQLite).

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "crypto/master_key.hpp"
#include "crypto/random.hpp"
#include "scim/filter.hpp"
#include "scim/schema.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace mcpgate;  // NOLINT(google-build-using-namespace)

constexpr const char* kOrg = "acme";

int population() {
  const char* n = std::getenv("MCPGATE_BENCH_SCIM_USERS");
  return n != nullptr ? std::max(1000, std::atoi(n)) : 100'000;
}

std::string user_name(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "user%06d@acme.example", i);
  return buf;
}

void seed(store::Store& s, int n) {
  if (auto st = s.upsert_organization(store::Organization{kOrg, "Acme", {}, 1'700'000'000}); !st) {
    std::fprintf(stderr, "seed: %s\n", st.error().message.c_str());
    std::exit(1);
  }
  for (int i = 0; i < n; ++i) {
    store::ScimResource u;
    u.id = "usr_" + crypto::random_id();
    u.org_id = kOrg;
    u.name = user_name(i);
    u.external_id = "ext-" + std::to_string(i);
    u.active = i % 10 != 0;
    u.resource = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}},
                  {"id", u.id},
                  {"userName", u.name},
                  {"externalId", u.external_id},
                  {"active", u.active},
                  {"name", {{"givenName", "Given" + std::to_string(i)}, {"familyName", "Family"}}},
                  {"emails", {{{"value", u.name}, {"type", "work"}, {"primary", true}}}},
                  {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                   {{"department", "dept" + std::to_string(i % 50)}}}};
    u.created_at = 1'700'000'000;
    u.last_modified = u.created_at;
    if (auto st = s.create_scim_user(u, ""); !st) {
      std::fprintf(stderr, "seed: %s\n", st.error().message.c_str());
      std::exit(1);
    }
  }
}

store::Store* backend(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<store::Store>> stores;
  std::lock_guard lock(mutex);
  auto& slot = stores[name];
  if (slot) {
    return slot.get();
  }
  auto key = crypto::MasterKey::from_bytes(crypto::random_bytes(32)).value();
  if (name == "sqlite") {
    const auto dir = std::filesystem::temp_directory_path() / ("mcpgate_bench_scim_" + crypto::random_id());
    std::filesystem::create_directories(dir);
    store::SqliteOptions o;
    o.path = (dir / "scim.db").string();
    o.readers = 4;
    slot = std::move(store::open_sqlite_store(o, key)).value();
  } else {
    const char* url = std::getenv("MCPGATE_BENCH_PG_URL");
    if (url == nullptr) {
      return nullptr;
    }
    store::PostgresOptions o;
    o.url = url;
    o.schema = "bench_scim_" + crypto::random_id().substr(0, 8);
    for (char& c : o.schema) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    auto opened = store::open_postgres_store(o, key);
    if (!opened) {
      std::fprintf(stderr, "postgres: %s\n", opened.error().message.c_str());
      return nullptr;
    }
    slot = std::move(opened).value();
  }
  const auto t0 = std::chrono::steady_clock::now();
  seed(*slot, population());
  std::fprintf(stderr, "%s: seeded %d users in %.1f s\n", name.c_str(), population(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return slot.get();
}

void list(benchmark::State& state, const std::string& backend_name, const std::string& filter_text,
          std::int64_t offset) {
  store::Store* s = backend(backend_name);
  if (s == nullptr) {
    state.SkipWithError("no MCPGATE_BENCH_PG_URL");
    return;
  }
  std::optional<scim::Filter> filter;
  if (!filter_text.empty()) {
    filter = scim::compile_filter(filter_text, scim::user_resource_type()).value();
  }
  std::vector<double> micros;
  std::int64_t total = 0;
  for (auto _ : state) {
    store::ScimListQuery q;
    q.org_id = kOrg;
    q.filter = filter ? &*filter : nullptr;
    q.offset = offset;
    q.limit = 100;
    const auto t0 = std::chrono::steady_clock::now();
    auto page = s->list_scim_resources(q);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    if (!page) {
      state.SkipWithError(page.error().message.c_str());
      return;
    }
    total = page->total;
    benchmark::DoNotOptimize(page->resources.data());
  }
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double p) { return micros[static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1))]; };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["matches"] = static_cast<double>(total);
}

void register_all() {
  const std::vector<std::pair<std::string, std::string>> filters = {
      {"userName_eq", R"(userName eq "user077777@acme.example")"},
      {"externalId_eq", R"(externalId eq "ext-55555")"},
      {"userName_eq_and_active", R"(userName eq "USER012345@acme.example" and active eq true)"},
      {"email_value_filter_eq", R"(emails[type eq "work" and value eq "user012345@acme.example"])"},
      {"userName_sw_100", R"(userName sw "user0999")"},
      {"department_eq_page", R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "dept7")"},
  };
  for (const std::string b : {"sqlite", "postgres"}) {
    for (const auto& [name, text] : filters) {
      benchmark::RegisterBenchmark(("scim_list/" + b + "/" + name).c_str(),
                                   [b, text = text](benchmark::State& st) { list(st, b, text, 0); })
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark(("scim_list/" + b + "/no_filter_page_at_50000").c_str(),
                                 [b](benchmark::State& st) { list(st, b, "", 50'000); })
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
