#include "mcp/session.hpp"

#include "mcp/crypto.hpp"

namespace mcpgate::mcp {

namespace {
constexpr size_t kMaxRememberedStreams = 32;
}  // namespace

Session::Session(std::string id,
                 std::string protocol_version,
                 Json client_capabilities,
                 Json client_info,
                 std::string subject,
                 size_t max_stream_events,
                 Json attachments)
    : id_(std::move(id)),
      protocol_version_(std::move(protocol_version)),
      client_capabilities_(std::move(client_capabilities)),
      client_info_(std::move(client_info)),
      subject_(std::move(subject)),
      max_stream_events_(max_stream_events),
      attachments_(std::move(attachments)),
      standalone_(std::make_shared<EventStream>("0", max_stream_events)) {}

void Session::set_log_level(std::string level) {
  std::lock_guard lock(mu_);
  log_level_ = std::move(level);
}

std::string Session::log_level() const {
  std::lock_guard lock(mu_);
  return log_level_;
}

void Session::subscribe(const std::string& uri) {
  std::lock_guard lock(mu_);
  subscriptions_.insert(uri);
}

void Session::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mu_);
  subscriptions_.erase(uri);
}

bool Session::subscribed(const std::string& uri) const {
  std::lock_guard lock(mu_);
  return subscriptions_.count(uri) > 0;
}

std::shared_ptr<EventStream> Session::new_stream() {
  std::lock_guard lock(mu_);
  auto stream = std::make_shared<EventStream>(std::to_string(next_stream_++), max_stream_events_);
  if (streams_.size() >= kMaxRememberedStreams) {
    // Forget the oldest finished stream; if none finished, the oldest one.
    auto victim = streams_.begin();
    for (auto it = streams_.begin(); it != streams_.end(); ++it) {
      if ((*it)->is_complete()) {
        victim = it;
        break;
      }
    }
    streams_.erase(victim);
  }
  streams_.push_back(stream);
  return stream;
}

std::shared_ptr<EventStream> Session::find_stream(const std::string& stream_id) const {
  std::lock_guard lock(mu_);
  if (stream_id == standalone_->id()) {
    return standalone_;
  }
  for (const auto& s : streams_) {
    if (s->id() == stream_id) {
      return s;
    }
  }
  return nullptr;
}

std::shared_ptr<std::atomic<bool>> Session::begin_request(const std::string& request_key) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard lock(mu_);
  in_flight_[request_key] = flag;
  last_active_ = Clock::now();
  return flag;
}

void Session::end_request(const std::string& request_key) {
  std::lock_guard lock(mu_);
  in_flight_.erase(request_key);
  last_active_ = Clock::now();
}

void Session::cancel_request(const std::string& request_key) {
  std::lock_guard lock(mu_);
  if (auto it = in_flight_.find(request_key); it != in_flight_.end()) {
    it->second->store(true);
  }
  // Wake tools blocked on a server→client request so they can observe the cancellation.
  for (const auto& [id, pending] : pending_) {
    pending->notifier->notify();
  }
}

std::pair<int64_t, std::shared_ptr<PendingClientRequest>> Session::begin_client_request(
    std::shared_ptr<Notifier> notifier) {
  auto pending = std::make_shared<PendingClientRequest>(std::move(notifier));
  std::lock_guard lock(mu_);
  const int64_t id = next_client_request_++;
  pending_[id] = pending;
  return {id, pending};
}

void Session::end_client_request(int64_t id) {
  std::lock_guard lock(mu_);
  pending_.erase(id);
}

bool Session::resolve_client_request(const Json& id, Json message) {
  if (!id.is_number_integer() && !id.is_number_unsigned()) {
    return false;
  }
  std::shared_ptr<PendingClientRequest> pending;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(id.get<int64_t>());
    if (it == pending_.end()) {
      return false;
    }
    pending = it->second;
  }
  {
    std::lock_guard lock(pending->mu);
    pending->response = std::move(message);
  }
  pending->notifier->notify();
  return true;
}

void Session::touch() {
  std::lock_guard lock(mu_);
  last_active_ = Clock::now();
}

bool Session::idle_since(Clock::time_point deadline) const {
  std::lock_guard lock(mu_);
  return in_flight_.empty() && pending_.empty() && last_active_ < deadline;
}

void Session::close() {
  closed_ = true;
  std::lock_guard lock(mu_);
  standalone_->kill();
  for (const auto& s : streams_) {
    s->kill();
  }
  for (const auto& [key, flag] : in_flight_) {
    flag->store(true);
  }
  for (const auto& [id, pending] : pending_) {
    pending->notifier->notify();
  }
}

SessionTable::SessionTable(size_t max_sessions, std::chrono::seconds idle_timeout)
    : max_sessions_(max_sessions), idle_timeout_(idle_timeout) {}

std::shared_ptr<Session> SessionTable::create(NewSession fresh) {
  std::string id = fresh.id.empty() ? random_token() : std::move(fresh.id);
  auto session = std::make_shared<Session>(std::move(id),
                                           std::move(fresh.protocol_version),
                                           std::move(fresh.client_capabilities),
                                           std::move(fresh.client_info),
                                           std::move(fresh.subject),
                                           fresh.max_stream_events,
                                           std::move(fresh.attachments));
  std::lock_guard lock(mu_);
  if (auto it = sessions_.find(session->id()); it != sessions_.end()) {
    return it->second;
  }
  if (sessions_.size() >= max_sessions_) {
    return nullptr;
  }
  sessions_.emplace(session->id(), session);
  return session;
}

bool SessionTable::has_room() {
  expire_idle();  // O(sessions), once per new session: keeps the table free of abandoned ones
  std::lock_guard lock(mu_);
  return sessions_.size() < max_sessions_;
}

void SessionTable::mark_terminated(const std::string& id, Session::Clock::time_point until) {
  // Bounded: a client that opens and ends sessions in a loop cannot grow this without limit.
  // Forgetting a tombstone early only lets the same principal resume its own ended session.
  constexpr size_t kMaxTombstones = 100000;
  std::lock_guard lock(mu_);
  if (terminated_.size() >= kMaxTombstones) {
    terminated_.erase(terminated_.begin());
  }
  terminated_[id] = until;
}

bool SessionTable::terminated(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = terminated_.find(id);
  return it != terminated_.end() && it->second > Session::Clock::now();
}

std::shared_ptr<Session> SessionTable::find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

bool SessionTable::remove(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return false;
    }
    session = std::move(it->second);
    sessions_.erase(it);
  }
  session->close();
  return true;
}

std::vector<std::shared_ptr<Session>> SessionTable::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) {
    out.push_back(s);
  }
  return out;
}

size_t SessionTable::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void SessionTable::expire_idle() {
  const auto now = Session::Clock::now();
  const auto deadline = now - idle_timeout_;
  std::vector<std::shared_ptr<Session>> expired;
  {
    std::lock_guard lock(mu_);
    std::erase_if(terminated_, [now](const auto& entry) { return entry.second <= now; });
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second->idle_since(deadline)) {
        expired.push_back(std::move(it->second));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& s : expired) {
    s->close();
  }
}

}  // namespace mcpgate::mcp
