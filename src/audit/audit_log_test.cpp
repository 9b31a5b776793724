// AuditLog against real stores: batching, the bounded queue, and several writers on one log
// (threads of one process and separate store handles, as replicas have) forming one chain.

#include "audit/audit_log.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>
#include <vector>

#include "audit/test_support.hpp"
#include "audit/verify.hpp"
#include "crypto/random.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::audit {
namespace {

namespace fs = std::filesystem;
using testing::sample_event;

class TempDb {
 public:
  TempDb() : dir_(fs::temp_directory_path() / ("mcpgate_audit_test_" + crypto::random_id())) {
    fs::create_directories(dir_);
  }
  ~TempDb() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string path() const { return (dir_ / "audit.db").string(); }

 private:
  fs::path dir_;
};

crypto::MasterKey test_key() {
  return crypto::MasterKey::from_bytes(std::string(32, 'k')).value();
}

std::unique_ptr<store::Store> open_sqlite(const std::string& path) {
  auto s = store::open_sqlite_store(store::SqliteOptions{path, 2, 5000}, test_key());
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

VerifyReport verify_store(store::Store& s) {
  std::stringstream out;
  const auto exported = export_jsonl(s, out);
  EXPECT_TRUE(exported.ok());
  return verify_stream(out);
}

// Writers each record `per_writer` events from their own thread, then flush.
void write_concurrently(std::vector<AuditLog*> logs, int per_writer) {
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < logs.size(); ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_writer; ++i) {
        logs[w]->record(sample_event(static_cast<int>(w) * 100000 + i));
        if (i % 7 == 0) {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (auto* log : logs) {
    ASSERT_TRUE(log->flush().ok());
  }
}

TEST(AuditLogTest, RecordsAreChainedAndWrittenInBatches) {
  auto s = open_sqlite(":memory:");
  ASSERT_NE(s, nullptr);
  AuditLogOptions options;
  options.batch_size = 4;
  AuditLog log(*s, options);
  for (int i = 1; i <= 10; ++i) {
    log.record(sample_event(i));
  }
  ASSERT_TRUE(log.flush().ok());
  EXPECT_EQ(log.written(), 10U);
  EXPECT_EQ(log.dropped(), 0U);
  const auto report = verify_store(*s);
  ASSERT_TRUE(report.ok()) << report.reason;
  EXPECT_EQ(report.records, 10U);
  EXPECT_EQ(report.last_hash, s->last_audit_record()->hash);
  // A flush with nothing queued returns at once.
  EXPECT_TRUE(log.flush().ok());
}

TEST(AuditLogTest, TheStoredRecordsAreSearchableByTheirColumns) {
  auto s = open_sqlite(":memory:");
  ASSERT_NE(s, nullptr);
  AuditLog log(*s);
  for (int i = 1; i <= 6; ++i) {
    AuditEvent e = sample_event(i);
    e.org = "acme";
    e.user = i % 2 == 0 ? "bob" : "alice\xFF";  // an invalid byte is searched as U+FFFD
    log.record(e);
  }
  ASSERT_TRUE(log.flush().ok());
  store::AuditQuery q;
  q.org_id = "acme";
  q.user = "alice\xEF\xBF\xBD";
  q.decision = "allow";  // seq 1 and 5 (3 is a deny)
  q.from_ms = sample_event(1).time_ms;
  auto found = s->search_audit(q);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 2U);
  EXPECT_EQ((*found)[0].seq, 5);
  EXPECT_EQ((*found)[1].seq, 1);
  q.user = "bob";
  q.tool = "send";
  q.decision = "";
  EXPECT_EQ(s->search_audit(q)->size(), 3U);
}

TEST(AuditLogTest, AFullQueueDropsAndCounts) {
  auto s = open_sqlite(":memory:");
  AuditLogOptions options;
  options.queue_capacity = 2;
  options.batch_size = 100;
  options.flush_interval = std::chrono::milliseconds(60000);  // nothing leaves the queue early
  AuditLog log(*s, options);
  for (int i = 1; i <= 5; ++i) {
    log.record(sample_event(i));
  }
  EXPECT_EQ(log.dropped(), 3U);
  ASSERT_TRUE(log.flush().ok());
  EXPECT_EQ(log.written(), 2U);
  EXPECT_EQ(s->read_audit_records(0, 10)->size(), 2U);
}

TEST(AuditLogTest, DestructionWritesWhatIsQueued) {
  auto s = open_sqlite(":memory:");
  {
    AuditLogOptions options;
    options.flush_interval = std::chrono::milliseconds(60000);
    AuditLog log(*s, options);
    log.record(sample_event(1));
    log.record(sample_event(2));
  }
  EXPECT_EQ(s->read_audit_records(0, 10)->size(), 2U);
}

TEST(AuditLogTest, ContinuesAnExistingChain) {
  auto s = open_sqlite(":memory:");
  {
    AuditLog first(*s);
    first.record(sample_event(1));
    ASSERT_TRUE(first.flush().ok());
  }
  AuditLog second(*s);
  second.record(sample_event(2));
  ASSERT_TRUE(second.flush().ok());
  const auto report = verify_store(*s);
  ASSERT_TRUE(report.ok()) << report.reason;
  EXPECT_EQ(report.records, 2U);
}

TEST(AuditLogTest, TwoWritersOnOneSqliteStoreFormOneChain) {
  TempDb db;
  auto s = open_sqlite(db.path());
  ASSERT_NE(s, nullptr);
  AuditLogOptions options;
  options.batch_size = 8;
  options.flush_interval = std::chrono::milliseconds(1);
  AuditLog a(*s, options);
  AuditLog b(*s, options);
  write_concurrently({&a, &b}, 300);
  EXPECT_EQ(a.written() + b.written(), 600U);
  const auto report = verify_store(*s);
  ASSERT_TRUE(report.ok()) << report.reason << " at line " << report.line;
  EXPECT_EQ(report.records, 600U);
}

TEST(AuditLogTest, WritersOnSeparateHandlesOfOneSqliteFileFormOneChain) {
  TempDb db;
  auto s1 = open_sqlite(db.path());
  auto s2 = open_sqlite(db.path());
  ASSERT_NE(s1, nullptr);
  ASSERT_NE(s2, nullptr);
  AuditLogOptions options;
  options.batch_size = 5;
  options.flush_interval = std::chrono::milliseconds(1);
  AuditLog a(*s1, options);
  AuditLog b(*s2, options);
  write_concurrently({&a, &b}, 200);
  const auto report = verify_store(*s1);
  ASSERT_TRUE(report.ok()) << report.reason << " at line " << report.line;
  EXPECT_EQ(report.records, 400U);
}

TEST(AuditLogTest, WritersOnTwoPostgresReplicasFormOneChain) {
  const char* url = std::getenv("MCPGATE_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    GTEST_SKIP() << "MCPGATE_TEST_PG_URL is unset (scripts/pg-test-cluster start)";
  }
  store::PostgresOptions options;
  options.url = url;
  options.schema = "t_audit_" + [] {
    std::string id;
    for (const char c : crypto::random_id()) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        id += c;
      }
    }
    return id;
  }();
  options.pool_size = 4;
  auto r1 = store::open_postgres_store(options, test_key());
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  auto r2 = store::open_postgres_store(options, test_key());
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  AuditLogOptions log_options;
  log_options.batch_size = 6;
  log_options.flush_interval = std::chrono::milliseconds(1);
  {
    AuditLog a(**r1, log_options);
    AuditLog b(**r2, log_options);
    AuditLog c(**r2, log_options);
    write_concurrently({&a, &b, &c}, 150);
  }
  const auto report = verify_store(**r1);
  ASSERT_TRUE(report.ok()) << report.reason << " at line " << report.line;
  EXPECT_EQ(report.records, 450U);
}

TEST(AuditExportTest, ExportsAfterASeq) {
  auto s = open_sqlite(":memory:");
  {
    AuditLog log(*s);
    for (int i = 1; i <= 5; ++i) {
      log.record(sample_event(i));
    }
    ASSERT_TRUE(log.flush().ok());
  }
  std::stringstream out;
  const auto summary = export_jsonl(*s, out, 3);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->records, 2U);
  EXPECT_EQ(summary->last_seq, 5);
  EXPECT_EQ(summary->last_hash, s->last_audit_record()->hash);
  const auto report = verify_stream(out, VerifyOptions{1 << 20, false});
  ASSERT_TRUE(report.ok()) << report.reason;
  EXPECT_EQ(report.first_seq, 4);
  std::stringstream none;
  EXPECT_EQ(export_jsonl(*s, none, 5)->records, 0U);
  EXPECT_TRUE(none.str().empty());
}

}  // namespace
}  // namespace mcpgate::audit
