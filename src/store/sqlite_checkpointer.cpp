#include "store/sqlite_checkpointer.hpp"

#include <sqlite3.h>

namespace mcpgate::store::sqlite {

// SQLite's own default, given back to the writer when the checkpointer stops.
constexpr int kSqliteDefaultAutocheckpoint = 1000;
// Step 1 stops after this many passes even if the writer outpaces it; step 2 then copies more.
constexpr int kMaxUnlockedPasses = 8;

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::string& path,
                                                                Connection& writer,
                                                                std::mutex& write_mutex,
                                                                CheckpointOptions options) {
  // Not read-only: a checkpoint writes the database file. synchronous=NORMAL (Connection::open)
  // is what makes its copies durable before the WAL may restart.
  MCPGATE_ASSIGN_OR_RETURN(auto own, Connection::open(ConnectionOptions{path, false, 5000}));
  std::unique_ptr<WalCheckpointer> checkpointer(
      new WalCheckpointer(std::move(own), writer, write_mutex, options));
  // Only step 2 waits (PASSIVE never does): a bounded, yielding wait instead of SQLite's
  // sleeping busy timeout, whose first sleep alone (1 ms) would hold up every writer.
  sqlite3_busy_handler(checkpointer->own_->handle(), &WalCheckpointer::on_busy, checkpointer.get());
  sqlite3_wal_hook(writer.handle(), &WalCheckpointer::on_commit, checkpointer.get());
  checkpointer->thread_ = std::thread([c = checkpointer.get()] { c->run(); });
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> own,
                                 Connection& writer,
                                 std::mutex& write_mutex,
                                 CheckpointOptions options)
    : own_(std::move(own)), writer_(writer), write_mutex_(write_mutex), options_(options) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
  // Installs SQLite's default hook again (it replaces ours).
  sqlite3_wal_autocheckpoint(writer_.handle(), kSqliteDefaultAutocheckpoint);
}

CheckpointStats WalCheckpointer::stats() const {
  return CheckpointStats{cycles_.load(), wal_restarts_.load(), inline_checkpoints_.load()};
}

// Runs in the writer's COMMIT, with the store's write lock held. Always SQLITE_OK: an error here
// would be reported as the commit's, though the commit has happened.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  auto* c = static_cast<WalCheckpointer*>(self);
  c->wal_frames_.store(frames, std::memory_order_relaxed);
  if (frames >= c->options_.hard_frames) {
    // The thread fell behind: checkpoint here, as SQLite's automatic checkpoint would. BUSY
    // (the thread is copying right now) leaves it to the thread.
    int log = 0;
    int copied = 0;
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    c->inline_checkpoints_.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
  }
  if (frames >= c->options_.soft_frames) {
    {
      std::lock_guard lock(c->mutex_);
      if (c->requested_) {
        return SQLITE_OK;
      }
      c->requested_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

// Step 2 waits for readers: they finish in microseconds, so yield to them first; one that was
// preempted needs its CPU back, so then sleep in short steps, until the deadline.
int WalCheckpointer::on_busy(void* self, int attempts) {
  constexpr int kYields = 64;
  constexpr std::chrono::microseconds kNap{50};
  auto* c = static_cast<WalCheckpointer*>(self);
  if (std::chrono::steady_clock::now() >= c->restart_deadline_) {
    return 0;
  }
  if (attempts < kYields) {
    std::this_thread::yield();
  } else {
    std::this_thread::sleep_for(kNap);
  }
  return 1;
}

void WalCheckpointer::run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || requested_; });
      if (stopping_) {
        return;
      }
    }
    cycle();
    std::lock_guard lock(mutex_);
    requested_ = false;
  }
}

void WalCheckpointer::cycle() {
  sqlite3* db = own_->handle();
  int log = 0;
  int copied = 0;
  // Step 1: copy without holding up the writer. A failed pass (BUSY: the writer is checkpointing
  // itself) goes on to step 2, which then has more to do.
  for (int pass = 0; pass < kMaxUnlockedPasses; ++pass) {
    if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        != SQLITE_OK) {
      break;
    }
    if (wal_frames_.load(std::memory_order_relaxed) - copied <= options_.tail_frames) {
      break;
    }
  }
  // Step 2: the tail, with no commit in between, so the whole WAL is copied; RESTART also waits
  // until no reader uses it, so the next write transaction starts it over. BUSY: a reader
  // outlasted restart_wait; what could be copied was (as PASSIVE), the next cycle retries.
  int rc = SQLITE_OK;
  {
    std::lock_guard lock(write_mutex_);
    const bool urgent = wal_frames_.load(std::memory_order_relaxed) >= options_.hard_frames / 2;
    restart_deadline_ = std::chrono::steady_clock::now()
                        + (urgent ? options_.urgent_restart_wait : options_.restart_wait);
    rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, &log, &copied);
  }
  cycles_.fetch_add(1, std::memory_order_relaxed);
  if (rc == SQLITE_OK) {
    wal_restarts_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace mcpgate::store::sqlite
