#pragma once
// Cross-executor plumbing for SSE: a Notifier (a steady_timer used as a condition variable) and an
// EventStream (a bounded, thread-safe log of JSON-RPC messages with one reader at a time).
//
// Producers (tool handlers, other connections' requests, registry listeners) may run on any
// thread: they append under the stream's mutex and wake the reader, whose Notifier posts the
// wake-up to the reader's own executor (the HTTP connection strand), where the timer lives.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/asio.hpp"

namespace mcpgate::mcp {

class Notifier : public std::enable_shared_from_this<Notifier> {
 public:
  explicit Notifier(asio::any_io_executor executor);

  // Thread-safe. Wakes the current or the next wait().
  void notify();
  // Must run on the executor given at construction. Returns when notified or after `timeout`.
  asio::awaitable<void> wait(std::chrono::steady_clock::duration timeout);

 private:
  asio::any_io_executor executor_;
  asio::steady_timer timer_;
  std::atomic<bool> pending_{false};
  std::atomic<bool> waiting_{false};  // a wait() is between its check and its return
};

// One SSE event as stored for delivery and replay.
struct StreamEvent {
  uint64_t seq = 0;
  std::string data;  // serialised JSON-RPC message
};

class EventStream {
 public:
  // `id` is unique within its session; event ids are "<id>-<seq>".
  EventStream(std::string id, size_t max_events);

  const std::string& id() const { return id_; }

  // Appends a message (thread-safe); returns false when the stream is finished or overflowing.
  bool push(std::string data);
  // Appends the final message and marks the stream complete (thread-safe).
  void complete(std::optional<std::string> final_data);
  // Asks the current reader to end its HTTP response without completing the stream: it delivers
  // the events appended so far and stops; a later reader (GET with Last-Event-ID) continues from
  // where it stopped.
  void request_close();
  // Ends the stream for good (session terminated); readers finish.
  void kill();

  // Reader registration: at most one reader at a time.
  bool attach(std::shared_ptr<Notifier> reader);
  void detach(const std::shared_ptr<Notifier>& reader, uint64_t cursor);

  struct Snapshot {
    std::vector<StreamEvent> events;  // with seq > after
    bool complete = false;            // no more events will come
    bool close_requested = false;
    bool killed = false;
    bool lost_events = false;  // some events after `after` were dropped (overflow)
  };

  // Events after `after` plus the state flags; clears close_requested when `consume_close`.
  Snapshot read(uint64_t after, bool consume_close);
  // Whether any event was appended or the stream completed.
  bool has_events_or_complete() const;
  bool is_complete() const;
  // Where the previous reader stopped (a fresh reader without Last-Event-ID resumes there).
  uint64_t reader_cursor() const;

  std::string event_id(uint64_t seq) const { return id_ + "-" + std::to_string(seq); }

 private:
  void wake_locked();

  const std::string id_;
  const size_t max_events_;
  mutable std::mutex mu_;
  std::deque<StreamEvent> events_;
  uint64_t next_seq_ = 1;  // seq 0 is the priming event
  uint64_t dropped_upto_ = 0;
  bool complete_ = false;
  bool close_requested_ = false;
  uint64_t close_after_ = 0;  // last event the closing reader still delivers
  bool killed_ = false;
  std::shared_ptr<Notifier> reader_;
  uint64_t reader_cursor_ = 0;
};

// Splits "<stream>-<seq>" into its parts.
std::optional<std::pair<std::string, uint64_t>> parse_event_id(const std::string& event_id);

}  // namespace mcpgate::mcp
