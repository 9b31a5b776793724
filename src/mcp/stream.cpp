#include "mcp/stream.hpp"

#include <algorithm>
#include <charconv>

namespace mcpgate::mcp {

Notifier::Notifier(asio::any_io_executor executor) : executor_(executor), timer_(executor) {}

void Notifier::notify() {
  pending_.store(true);
  // Only a waiter needs the timer cancelled. If none is seen here, the next wait() sees
  // `pending_` (both are sequentially consistent: wait() announces itself before it reads it).
  if (waiting_.load()) {
    asio::post(executor_, [self = shared_from_this()] { self->timer_.cancel(); });
  }
}

asio::awaitable<void> Notifier::wait(std::chrono::steady_clock::duration timeout) {
  waiting_.store(true);
  if (pending_.exchange(false)) {
    waiting_.store(false);
    co_return;
  }
  timer_.expires_after(timeout);
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  waiting_.store(false);
  // A wake-up consumed here leaves `pending_` set; the caller re-reads the state anyway and the
  // next wait() returns at once, which is a harmless spurious wake-up. A cancel posted for a
  // wait that already returned cancels nothing, or wakes a later wait early: also harmless.
}

EventStream::EventStream(std::string id, size_t max_events)
    : id_(std::move(id)), max_events_(max_events == 0 ? 1 : max_events) {}

bool EventStream::push(std::string data) {
  std::lock_guard lock(mu_);
  if (complete_ || killed_) {
    return false;
  }
  if (events_.size() >= max_events_) {
    dropped_upto_ = events_.front().seq;
    events_.pop_front();
  }
  events_.push_back({next_seq_++, std::move(data)});
  wake_locked();
  return true;
}

void EventStream::complete(std::optional<std::string> final_data) {
  std::lock_guard lock(mu_);
  if (complete_ || killed_) {
    return;
  }
  if (final_data) {
    if (events_.size() >= max_events_) {
      dropped_upto_ = events_.front().seq;
      events_.pop_front();
    }
    events_.push_back({next_seq_++, std::move(*final_data)});
  }
  complete_ = true;
  wake_locked();
}

void EventStream::request_close() {
  std::lock_guard lock(mu_);
  close_requested_ = true;
  close_after_ = next_seq_ - 1;  // later events wait for the next reader
  wake_locked();
}

void EventStream::kill() {
  std::lock_guard lock(mu_);
  killed_ = true;
  wake_locked();
}

bool EventStream::attach(std::shared_ptr<Notifier> reader) {
  std::lock_guard lock(mu_);
  if (reader_ || killed_) {
    return false;
  }
  reader_ = std::move(reader);
  close_requested_ = false;
  return true;
}

void EventStream::detach(const std::shared_ptr<Notifier>& reader, uint64_t cursor) {
  std::lock_guard lock(mu_);
  if (reader_ == reader) {
    reader_.reset();
    reader_cursor_ = std::max(reader_cursor_, cursor);
  }
}

uint64_t EventStream::reader_cursor() const {
  std::lock_guard lock(mu_);
  return reader_cursor_;
}

EventStream::Snapshot EventStream::read(uint64_t after, bool consume_close) {
  std::lock_guard lock(mu_);
  Snapshot snap;
  for (const auto& e : events_) {
    if (e.seq > after && (!close_requested_ || e.seq <= close_after_)) {
      snap.events.push_back(e);
    }
  }
  snap.lost_events = dropped_upto_ > after;
  snap.complete = complete_ && !close_requested_;
  snap.killed = killed_;
  snap.close_requested = close_requested_;
  if (consume_close) {
    close_requested_ = false;
  }
  return snap;
}

bool EventStream::has_events_or_complete() const {
  std::lock_guard lock(mu_);
  return !events_.empty() || complete_ || killed_ || close_requested_;
}

bool EventStream::is_complete() const {
  std::lock_guard lock(mu_);
  return complete_;
}

void EventStream::wake_locked() {
  if (reader_) {
    reader_->notify();
  }
}

std::optional<std::pair<std::string, uint64_t>> parse_event_id(const std::string& event_id) {
  const size_t dash = event_id.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 >= event_id.size()) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  const char* first = event_id.data() + dash + 1;
  const char* last = event_id.data() + event_id.size();
  auto [ptr, ec] = std::from_chars(first, last, seq);
  if (ec != std::errc() || ptr != last) {
    return std::nullopt;
  }
  return std::make_pair(event_id.substr(0, dash), seq);
}

}  // namespace mcpgate::mcp
