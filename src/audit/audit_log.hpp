#pragma once
// AuditLog: the gateway's writer of the tamper-evident audit log (record.hpp).
//
// record() is called on the request path and never waits for I/O: it moves the event into a
// bounded in-memory queue and returns. A background thread of the log's own takes the queue in
// batches, chains each batch onto the stored tail (seq, prev) and appends it in one store
// transaction. Several writers (threads, processes, replicas on one PostgreSQL) may append to
// the same log: when another writer took the next seq first the store answers kAlreadyExists,
// and the batch is re-chained onto the new tail and tried again. The chain stays one line.
//
// Losing audit records is never silent:
//  * queue full (the store is slower than the traffic, or down): the event is dropped, counted
//    in dropped(), and an "audit_dropped" error is logged (at most once a second, with the
//    running total);
//  * store unavailable: the batch is kept and retried with backoff, up to 5 s apart; events
//    arriving meanwhile queue up, then drop as above;
//  * a batch the store refuses outright (a bug, not an outage): counted in failed() and logged;
//  * at shutdown, what cannot be written within the shutdown attempts is counted in failed().
//
// Thread-safe. The Store must outlive the AuditLog.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/record.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace mcpgate::audit {

struct AuditLogOptions {
  std::size_t queue_capacity = 10000;  // events waiting to be written; beyond: dropped
  std::size_t batch_size = 256;        // events per store transaction
  // How long a lone event may wait for company before it is written anyway.
  std::chrono::milliseconds flush_interval{200};
  std::chrono::milliseconds retry_min{50};    // backoff after a failed write...
  std::chrono::milliseconds retry_max{5000};  // ...doubling up to this
  int shutdown_attempts = 3;  // write attempts for what is left when the log is destroyed
};

class AuditLog {
 public:
  explicit AuditLog(store::Store& store, AuditLogOptions options = {});
  ~AuditLog();  // writes what is queued (shutdown_attempts), then stops the thread
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Writes what is queued (as the destructor does) and stops the writer; later events are
  // dropped. For owners whose store goes away before the last reference to the log does (the
  // server's shutdown). Idempotent.
  void close();

  // Queues one event. Never blocks on I/O; drops (and counts) when the queue is full.
  void record(AuditEvent event);

  // Waits until every event recorded before this call is stored, or until a write attempt made
  // after this call fails (that error is returned; the log keeps retrying in the background).
  // For shutdown and tests.
  Status flush();

  std::uint64_t written() const { return written_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t failed() const { return failed_.load(); }

 private:
  void run();
  // Chains and appends `batch`; re-chains on a lost race. Errors other than the race return.
  Status write_batch(const std::vector<AuditEvent>& batch);
  void note_drop();

  store::Store& store_;
  AuditLogOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;      // the flusher: work, a flush request, or stop
  std::condition_variable progress_;  // flush(): a batch was written or failed
  std::deque<AuditEvent> queue_;
  std::uint64_t queued_total_ = 0;  // events accepted into the queue, ever
  std::uint64_t settled_total_ = 0;  // of those, written or given up on
  std::uint64_t attempts_failed_ = 0;
  std::optional<Error> last_error_;
  bool flush_requested_ = false;
  bool stop_ = false;

  // The tail the next batch chains onto; known only to the flusher thread.
  std::optional<store::AuditRecord> tail_;

  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::int64_t> last_drop_log_ms_{0};
  std::thread thread_;
};

struct ExportSummary {
  std::size_t records = 0;
  std::int64_t last_seq = 0;  // 0 when nothing was exported
  std::string last_hash;
};

// Writes the records with seq > after_seq to `out` as JSON lines (each line a record's stored
// text: the format verify_stream reads), reading the store in pages.
Result<ExportSummary> export_jsonl(store::Store& store, std::ostream& out, std::int64_t after_seq = 0);

}  // namespace mcpgate::audit
