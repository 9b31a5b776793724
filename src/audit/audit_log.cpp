#include "audit/audit_log.hpp"

#include <algorithm>
#include <ostream>

#include "core/log.hpp"

namespace mcpgate::audit {
namespace {

// Re-chaining after a lost race is immediate; this many losses in a row (heavy contention
// among many writers) ends the attempt, and the batch is retried after a backoff like any
// other failure.
constexpr int kMaxRechains = 50;
constexpr std::size_t kExportPage = 1000;

bool permanent(const Error& error) {
  // The store refused the batch itself: retrying cannot help.
  return error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kFailedPrecondition;
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AuditLog::AuditLog(store::Store& store, AuditLogOptions options)
    : store_(store), options_(options) {
  options_.batch_size = std::max<std::size_t>(options_.batch_size, 1);
  thread_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  close();
}

void AuditLog::close() {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && !thread_.joinable()) {
      return;
    }
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void AuditLog::record(AuditEvent event) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < options_.queue_capacity && !stop_) {
      queue_.push_back(std::move(event));
      ++queued_total_;
      if (queue_.size() >= options_.batch_size) {
        wake_.notify_one();
      }
      return;
    }
  }
  note_drop();
}

void AuditLog::note_drop() {
  const std::uint64_t total = ++dropped_;
  // At most one line a second: a flood of drops must not become a flood of log lines.
  const std::int64_t now = steady_ms();
  std::int64_t last = last_drop_log_ms_.load();
  if ((last == 0 || now - last >= 1000) && last_drop_log_ms_.compare_exchange_strong(last, now)) {
    log::error("audit_dropped",
               {{"dropped_total", total},
                {"queue_capacity", options_.queue_capacity},
                {"why", "audit queue full: the store is slow or unavailable"}});
  }
}

Status AuditLog::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = queued_total_;
  const std::uint64_t failures_before = attempts_failed_;
  const std::uint64_t given_up_before = failed_.load();
  flush_requested_ = true;
  wake_.notify_all();
  progress_.wait(lock, [&] {
    return settled_total_ >= target || attempts_failed_ != failures_before;
  });
  if (settled_total_ >= target && failed_.load() == given_up_before) {
    return {};
  }
  return last_error_.value_or(make_error(ErrorCode::kInternal, "audit: records were not written"));
}

void AuditLog::run() {
  std::unique_lock lock(mutex_);
  std::vector<AuditEvent> batch;  // kept across failed attempts, so nothing is lost to an outage
  std::chrono::milliseconds backoff{0};
  int shutdown_attempts = options_.shutdown_attempts;
  while (true) {
    if (batch.empty()) {
      wake_.wait_for(lock, options_.flush_interval, [&] {
        return stop_ || flush_requested_ || queue_.size() >= options_.batch_size;
      });
      if (queue_.empty()) {
        flush_requested_ = false;
        progress_.notify_all();
        if (stop_) {
          return;
        }
        continue;
      }
      const std::size_t n = std::min(queue_.size(), options_.batch_size);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }

    lock.unlock();
    const Status st = write_batch(batch);
    lock.lock();

    if (st) {
      written_ += batch.size();
      settled_total_ += batch.size();
      batch.clear();
      backoff = std::chrono::milliseconds{0};
      progress_.notify_all();
      continue;
    }
    ++attempts_failed_;
    last_error_ = st.error();
    const bool give_up = permanent(st.error()) || (stop_ && --shutdown_attempts <= 0);
    log::error("audit_write_failed",
               {{"error", st.error().message},
                {"records", batch.size()},
                {"action", give_up ? "given up" : "will retry"}});
    if (give_up) {
      failed_ += batch.size();
      settled_total_ += batch.size();
      batch.clear();
      if (stop_ && shutdown_attempts <= 0) {
        failed_ += queue_.size();
        settled_total_ += queue_.size();
        queue_.clear();
        progress_.notify_all();
        return;
      }
    }
    progress_.notify_all();
    backoff = std::clamp(backoff * 2, options_.retry_min, options_.retry_max);
    wake_.wait_for(lock, backoff, [&] { return stop_; });
  }
}

Status AuditLog::write_batch(const std::vector<AuditEvent>& batch) {
  // The search columns do not depend on the chain: built once, handed to the store with the
  // texts so it does not parse them again.
  std::vector<store::AuditColumns> columns;
  columns.reserve(batch.size());
  for (const AuditEvent& event : batch) {
    columns.push_back(record_columns(event));
  }
  for (int attempt = 0; attempt < kMaxRechains; ++attempt) {
    if (!tail_) {
      auto last = store_.last_audit_record();
      if (last) {
        tail_ = std::move(last).value();
      } else if (last.error().code == ErrorCode::kNotFound) {
        tail_ = store::AuditRecord{0, "", std::string(kGenesisPrev)};
      } else {
        return last.error();
      }
    }
    std::vector<store::AuditRecord> records;
    records.reserve(batch.size());
    std::int64_t seq = tail_->seq;
    std::string prev = tail_->hash;
    for (const AuditEvent& event : batch) {
      records.push_back(chain_record(event, ++seq, prev));
      prev = records.back().hash;
    }
    const Status st = store_.append_audit_records(records, columns);
    if (st) {
      tail_ = std::move(records.back());
      return {};
    }
    // Whatever happened, the tail we knew is no longer to be trusted.
    tail_.reset();
    if (st.error().code != ErrorCode::kAlreadyExists) {
      return st;
    }
  }
  return make_error(ErrorCode::kUnavailable,
                    "audit: other writers took the log's tail " + std::to_string(kMaxRechains)
                        + " times in a row");
}

Result<ExportSummary> export_jsonl(store::Store& store, std::ostream& out, std::int64_t after_seq) {
  ExportSummary summary;
  std::int64_t after = after_seq;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(auto page, store.read_audit_records(after, kExportPage));
    for (const store::AuditRecord& r : page) {
      out << r.record << '\n';
      ++summary.records;
      summary.last_seq = r.seq;
      summary.last_hash = r.hash;
      after = r.seq;
    }
    if (!out) {
      return make_error(ErrorCode::kUnavailable, "audit: export: cannot write the output");
    }
    if (page.size() < kExportPage) {
      return summary;
    }
  }
}

}  // namespace mcpgate::audit
