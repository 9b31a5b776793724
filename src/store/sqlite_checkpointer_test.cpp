#include "store/sqlite_checkpointer.hpp"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "crypto/random.hpp"

namespace mcpgate::store::sqlite {
namespace {

namespace fs = std::filesystem;

// A database in WAL mode with one random-key indexed table, like refresh_tokens.
class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mcpgate_ckpt_test_" + crypto::random_id());
    fs::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    auto writer = Connection::open(ConnectionOptions{path_, false, 5000});
    ASSERT_TRUE(writer.ok()) << writer.error().message;
    writer_ = std::move(writer).value();
    ASSERT_TRUE(writer_->exec("PRAGMA journal_mode = WAL;"
                              "CREATE TABLE t (k BLOB PRIMARY KEY, v TEXT NOT NULL);"
                              "CREATE INDEX t_v ON t (v);")
                    .ok());
  }

  void TearDown() override {
    writer_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // One write transaction, as the store's write() runs it: under the write lock.
  void insert_row() {
    std::lock_guard lock(write_mutex_);
    ASSERT_TRUE(writer_->exec("BEGIN IMMEDIATE").ok());
    auto s = writer_->prepare("INSERT INTO t (k, v) VALUES (randomblob(32), hex(randomblob(16)))");
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s->run().ok());
    ASSERT_TRUE(writer_->exec("COMMIT").ok());
  }

  std::uintmax_t wal_bytes() const {
    std::error_code ec;
    const auto size = fs::file_size(path_ + "-wal", ec);
    return ec ? 0 : size;
  }

  fs::path dir_;
  std::string path_;
  std::mutex write_mutex_;
  std::unique_ptr<Connection> writer_;
};

// The failure this exists for: with commits never pausing and a reader always reading, a
// background checkpoint that never holds up the writer never gets the WAL restarted.
TEST_F(CheckpointerTest, KeepsTheWalBoundedUnderNonStopWritesAndReads) {
  CheckpointOptions options;
  options.soft_frames = 64;
  options.hard_frames = 1024;
  options.tail_frames = 8;
  auto checkpointer = WalCheckpointer::start(path_, *writer_, write_mutex_, options);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.error().message;

  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    auto conn = Connection::open(ConnectionOptions{path_, true, 5000});
    ASSERT_TRUE(conn.ok());
    while (!done.load()) {
      // Short reads, as the gateway's are (a token or a client by its key).
      auto s = (*conn)->prepare("SELECT v FROM t WHERE k = randomblob(32)");
      ASSERT_TRUE(s.ok());
      ASSERT_TRUE(s->step().ok());
      reads.fetch_add(1);
    }
  });
  constexpr int kRows = 6000;  // a few frames each: many times the soft threshold
  for (int i = 0; i < kRows; ++i) {
    insert_row();
  }
  done.store(true);
  reader.join();

  const CheckpointStats stats = (*checkpointer)->stats();
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(stats.cycles, 0U);
  EXPECT_GT(stats.wal_restarts, 0U);
  // Bounded by a few times the hard limit (4 KiB pages, 24-byte frame headers; the file keeps
  // its high-water size, and a preempted reader can defer a restart by a cycle or two). Without
  // restarts it would hold every frame written: ~3 per row, 18 000 in all.
  EXPECT_LT(wal_bytes(), static_cast<std::uintmax_t>(4 * options.hard_frames) * (4096 + 24))
      << stats.cycles << " cycles, " << stats.wal_restarts << " restarts, "
      << stats.inline_checkpoints << " inline";

  auto count = writer_->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(count->step().ok());
  EXPECT_EQ(count->integer(0), kRows);
}

// Below the soft threshold nothing wakes the thread: small write loads keep SQLite's cheap path.
TEST_F(CheckpointerTest, StaysIdleBelowTheSoftThreshold) {
  CheckpointOptions options;
  options.soft_frames = 100000;
  options.hard_frames = 200000;
  auto checkpointer = WalCheckpointer::start(path_, *writer_, write_mutex_, options);
  ASSERT_TRUE(checkpointer.ok());
  for (int i = 0; i < 50; ++i) {
    insert_row();
  }
  const CheckpointStats stats = (*checkpointer)->stats();
  EXPECT_EQ(stats.cycles, 0U);
  EXPECT_EQ(stats.inline_checkpoints, 0U);
}

// When the thread cannot keep up, the commit that reaches the hard limit checkpoints itself.
TEST_F(CheckpointerTest, TheWriterCheckpointsItselfAtTheHardLimit) {
  CheckpointOptions options;
  options.soft_frames = 100000;  // the thread never wakes: it stands for one that fell behind
  options.hard_frames = 32;
  auto checkpointer = WalCheckpointer::start(path_, *writer_, write_mutex_, options);
  ASSERT_TRUE(checkpointer.ok());
  for (int i = 0; i < 400; ++i) {
    insert_row();
  }
  const CheckpointStats stats = (*checkpointer)->stats();
  EXPECT_GT(stats.inline_checkpoints, 0U);
  EXPECT_EQ(stats.cycles, 0U);
  EXPECT_LT(wal_bytes(), static_cast<std::uintmax_t>(options.hard_frames + 64) * (4096 + 24));
}

}  // namespace
}  // namespace mcpgate::store::sqlite
