#pragma once
// Keeps the SQLite WAL bounded without making the committing writer copy it back.
//
// SQLite's automatic checkpoint runs inside the COMMIT that crosses wal_autocheckpoint pages: the
// writer copies the WAL into the database and fdatasyncs both files while every other writer
// waits (1-7 ms every ~27 token refreshes, docs/BENCHMARKS.md "OAuth"). A background PASSIVE
// checkpoint alone does not fix that: with writes never pausing, the writer keeps appending
// while the checkpoint copies, the WAL is never fully copied, and SQLite only restarts a WAL
// from its start when it is. It grew to 1.1 GB in 30 s.
//
// So a cycle here has two steps, on a connection of its own on a background thread:
//   1. PASSIVE checkpoints without the store's write lock, until what is left to copy is small:
//      the bulk of the copying and both fdatasyncs happen while the writer keeps committing;
//   2. one RESTART checkpoint under the write lock, which copies the short tail and waits (at
//      most `restart_wait`, yielding the CPU) for readers still on an older snapshot to finish;
//      the next write transaction then starts the WAL over. A reader that takes longer (a large
//      admin listing, or one the scheduler preempted) only defers that to the next cycle: the
//      copy itself is done. Once the WAL holds half of `hard_frames`, step 2 waits longer
//      (`urgent_restart_wait`): a stall of the writers is then the lesser evil.
// A cycle starts when a commit leaves `soft_frames` or more in the WAL. If the thread falls
// behind and a commit leaves `hard_frames`, that commit checkpoints itself, as SQLite would.
//
// Durability is SQLite's synchronous=NORMAL either way: commits are not fsynced, checkpoints
// are (this connection is opened with synchronous=NORMAL, which makes a checkpoint fdatasync the
// WAL before copying it and the database before the WAL may restart).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "core/result.hpp"
#include "store/sqlite_db.hpp"

namespace mcpgate::store::sqlite {

struct CheckpointOptions {
  int soft_frames = 1000;   // a commit leaving this many WAL frames wakes the checkpointer
  int hard_frames = 16000;  // ... this many: the commit checkpoints itself (the thread fell behind)
  int tail_frames = 256;    // step 2 starts once at most this many frames are left to copy
  std::chrono::microseconds restart_wait{2000};  // step 2's longest wait for readers, and
  std::chrono::microseconds urgent_restart_wait{50000};  // ... once half of hard_frames is used
};

// What the checkpointer has done, for tests and diagnostics.
struct CheckpointStats {
  std::uint64_t cycles = 0;          // completed cycles (step 2 ran)
  std::uint64_t wal_restarts = 0;    // cycles that left the WAL copied and unused: it restarts
  std::uint64_t inline_checkpoints = 0;  // hard_frames reached: the writer checkpointed itself
};

class WalCheckpointer {
 public:
  // Opens the checkpoint connection on `path`, installs the commit hook on `writer` (replacing
  // SQLite's automatic checkpoint) and starts the thread. `write_mutex` is the lock every write
  // transaction on `writer` holds; both must outlive the checkpointer.
  static Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path,
                                                        Connection& writer,
                                                        std::mutex& write_mutex,
                                                        CheckpointOptions options);
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  // Stops the thread and gives the writer SQLite's automatic checkpoint back.
  ~WalCheckpointer();

  CheckpointStats stats() const;

 private:
  WalCheckpointer(std::unique_ptr<Connection> own,
                  Connection& writer,
                  std::mutex& write_mutex,
                  CheckpointOptions options);
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  static int on_busy(void* self, int attempts);
  void run();
  void cycle();

  std::unique_ptr<Connection> own_;
  Connection& writer_;
  std::mutex& write_mutex_;
  const CheckpointOptions options_;

  std::chrono::steady_clock::time_point restart_deadline_;  // step 2's; the thread's own
  std::atomic<int> wal_frames_{0};  // WAL size after the last commit (the commit hook's count)
  std::atomic<std::uint64_t> cycles_{0};
  std::atomic<std::uint64_t> wal_restarts_{0};
  std::atomic<std::uint64_t> inline_checkpoints_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  std::thread thread_;
};

}  // namespace mcpgate::store::sqlite
