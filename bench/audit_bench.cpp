// What one audited tool call costs the audit log, old way against new, in-process: CPU time per
// iteration hardly moves with other processes, unlike bench/gateway.sh's throughput on a shared
// machine (docs/BENCHMARKS.md, "Gateway").
//
//   Sha256*        one SHA-256 of a token-sized input: EVP_Digest with EVP_sha256() (fetched
//                  again by OpenSSL 3 on every call) against crypto::sha256 (fetched once, a
//                  context per thread)
//   ArgsDigest*    the serving thread's digest of `{}` (the benchmark's tool call)
//   Record*        the writer thread's work per record before the store: the text through a
//                  JSON DOM, hashed, then parsed again for the search columns (what the store
//                  did) against the text written directly, hashed, columns from the event
//   Batch*         the same for a batch of 256 records, appended to a SQLite file store in one
//                  transaction (the store parsing the texts, or taking the columns): per-record
//                  time = the iteration's time / 256
//
// The *Old loops restate the replaced code with the same library calls.

#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "audit/record.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/master_key.hpp"
#include "crypto/random.hpp"
#include "store/audit_pin_queries.hpp"
#include "store/sqlite_store.hpp"

namespace {

using mcpgate::audit::AuditEvent;
namespace audit = mcpgate::audit;
namespace crypto = mcpgate::crypto;
namespace store = mcpgate::store;

std::string legacy_sha256(std::string_view data) {
  std::string out(crypto::kSha256Size, '\0');
  unsigned int len = 0;
  EVP_Digest(data.data(),
             data.size(),
             reinterpret_cast<unsigned char*>(out.data()),
             &len,
             EVP_sha256(),
             nullptr);
  return out;
}

// A call as bench/gateway.sh makes it: a bearer-token caller, the gateway's tool, no arguments.
AuditEvent bench_event(int i) {
  AuditEvent e;
  e.time_ms = 1'764'480'000'000 + i;
  e.request_id = "8f0c2a4e-93d1-4c7b-a0b5-" + std::to_string(100000000000 + i);
  e.user = "bench";
  e.client_id = "bench-confidential";
  e.org = "default";
  e.upstream = "echo";
  e.tool = "test_simple_text";
  e.args_digest = audit::args_digest(nlohmann::json::object());
  e.decision = "allow";
  e.decision_id = "d-3b9a6c1e0f7d4e21";
  e.upstream_status = "ok";
  e.latency_us = 812;
  e.result_bytes = 86;
  return e;
}

std::string record_text_old(const AuditEvent& e, std::int64_t seq, std::string_view prev) {
  nlohmann::json record = audit::event_json(e);
  record["v"] = audit::kRecordVersion;
  record["seq"] = seq;
  record["prev"] = std::string(prev);
  return audit::canonical_json(record);
}

void BM_Sha256Old(benchmark::State& state) {
  const std::string token(43, 'k');
  for (auto _ : state) {
    benchmark::DoNotOptimize(legacy_sha256(token));
  }
}

BENCHMARK(BM_Sha256Old);

void BM_Sha256(benchmark::State& state) {
  const std::string token(43, 'k');
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::sha256(token));
  }
}

BENCHMARK(BM_Sha256);

void BM_ArgsDigestOld(benchmark::State& state) {
  const nlohmann::json args = nlohmann::json::object();
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::hex_encode(legacy_sha256(audit::canonical_json(args))));
  }
}

BENCHMARK(BM_ArgsDigestOld);

void BM_ArgsDigest(benchmark::State& state) {
  const nlohmann::json args = nlohmann::json::object();
  for (auto _ : state) {
    benchmark::DoNotOptimize(audit::args_digest(args));
  }
}

BENCHMARK(BM_ArgsDigest);

void BM_RecordOld(benchmark::State& state) {
  const AuditEvent e = bench_event(1);
  const std::string prev(audit::kGenesisPrev);
  for (auto _ : state) {
    std::string text = record_text_old(e, 42, prev);
    std::string hash = crypto::hex_encode(legacy_sha256(text));
    benchmark::DoNotOptimize(store::queries::audit_index_of(text));
    benchmark::DoNotOptimize(hash);
  }
}

BENCHMARK(BM_RecordOld);

void BM_Record(benchmark::State& state) {
  const AuditEvent e = bench_event(1);
  const std::string prev(audit::kGenesisPrev);
  for (auto _ : state) {
    std::string text = audit::record_text(e, 42, prev);
    std::string hash = audit::record_hash(text);
    benchmark::DoNotOptimize(audit::record_columns(e));
    benchmark::DoNotOptimize(hash);
  }
}

BENCHMARK(BM_Record);

class BenchDb {
 public:
  BenchDb()
      : dir_(std::filesystem::temp_directory_path()
             / ("mcpgate_audit_bench_" + crypto::random_id())) {
    std::filesystem::create_directories(dir_);
    auto key = crypto::MasterKey::from_bytes(std::string(32, 'k'));
    auto s =
        store::open_sqlite_store(store::SqliteOptions{(dir_ / "audit.db").string(), 1, 5000}, *key);
    store_ = std::move(s).value();
  }

  ~BenchDb() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  store::Store& store() { return *store_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

constexpr int kBatch = 256;

template <bool kNew>
void run_batches(benchmark::State& state) {
  BenchDb db;
  std::vector<AuditEvent> events;
  for (int i = 0; i < kBatch; ++i) {
    events.push_back(bench_event(i));
  }
  std::int64_t seq = 0;
  std::string prev(audit::kGenesisPrev);
  for (auto _ : state) {
    std::vector<store::AuditRecord> records;
    std::vector<store::AuditColumns> columns;
    records.reserve(kBatch);
    for (const AuditEvent& e : events) {
      store::AuditRecord r;
      r.seq = ++seq;
      if constexpr (kNew) {
        r.record = audit::record_text(e, r.seq, prev);
        r.hash = audit::record_hash(r.record);
        columns.push_back(audit::record_columns(e));
      } else {
        r.record = record_text_old(e, r.seq, prev);
        r.hash = crypto::hex_encode(legacy_sha256(r.record));
      }
      prev = r.hash;
      records.push_back(std::move(r));
    }
    const auto st = kNew ? db.store().append_audit_records(records, columns)
                         : db.store().append_audit_records(records);
    if (!st) {
      state.SkipWithError(st.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_BatchOld(benchmark::State& state) {
  run_batches<false>(state);
}

BENCHMARK(BM_BatchOld)->Unit(benchmark::kMicrosecond);

void BM_Batch(benchmark::State& state) {
  run_batches<true>(state);
}

BENCHMARK(BM_Batch)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
