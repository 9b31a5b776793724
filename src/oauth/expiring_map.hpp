#pragma once
// ExpiringMap: a bounded, thread-safe in-memory map whose entries carry an expiry time (unix
// seconds). Used for browser sessions, pending authorization requests, client-assertion jtis
// and fetched client key sets.
//
// Expired entries are invisible and are dropped as new ones arrive. When the map is full the
// entry closest to expiry goes first, so a flood of new entries (unauthenticated GET
// /authorize) costs bounded memory; under such a flood old entries are lost, never the process.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace mcpgate::oauth {

template <class V>
class ExpiringMap {
 public:
  explicit ExpiringMap(std::size_t max_entries) : max_(max_entries == 0 ? 1 : max_entries) {}

  // Inserts or replaces.
  void put(const std::string& key, V value, std::int64_t expires_at, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    erase_locked(key);
    insert_locked(key, std::move(value), expires_at, now);
  }

  // Inserts only when no live entry has the key; false when one does.
  bool insert_if_absent(const std::string& key, V value, std::int64_t expires_at, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end() && it->second.expires_at > now) {
      return false;
    }
    erase_locked(key);
    insert_locked(key, std::move(value), expires_at, now);
    return true;
  }

  std::optional<V> get(const std::string& key, std::int64_t now) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end() || it->second.expires_at <= now) {
      return std::nullopt;
    }
    return it->second.value;
  }

  // Removes and returns the live entry.
  std::optional<V> take(const std::string& key, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) {
      return std::nullopt;
    }
    std::optional<V> out;
    if (it->second.expires_at > now) {
      out = std::move(it->second.value);
    }
    erase_locked(key);
    return out;
  }

  // Runs fn(V&) -> Action on the live entry under the lock. Returns false when there is none.
  enum class Action { kKeep, kErase };
  template <class F>
  bool modify(const std::string& key, std::int64_t now, F&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end() || it->second.expires_at <= now) {
      return false;
    }
    if (fn(it->second.value) == Action::kErase) {
      erase_locked(key);
    }
    return true;
  }

  bool erase(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return erase_locked(key);
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.size();
  }

  // Erases every entry whose value satisfies pred(const V&); returns how many. A full scan under
  // the lock: for rare events (a deprovisioned user), not for request paths.
  template <class Pred>
  std::size_t erase_if(Pred&& pred) {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t erased = 0;
    for (auto it = map_.begin(); it != map_.end();) {
      if (pred(static_cast<const V&>(it->second.value))) {
        by_expiry_.erase(ExpiryKey{it->second.expires_at, it->second.seq});
        it = map_.erase(it);
        ++erased;
      } else {
        ++it;
      }
    }
    return erased;
  }

  // Drops expired entries now (they are also dropped lazily on insertion).
  void purge(std::int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    drop_expired_locked(now);
  }

 private:
  struct Entry {
    V value;
    std::int64_t expires_at;
    std::uint64_t seq;
  };
  using ExpiryKey = std::pair<std::int64_t, std::uint64_t>;

  bool erase_locked(const std::string& key) {
    auto it = map_.find(key);
    if (it == map_.end()) {
      return false;
    }
    by_expiry_.erase(ExpiryKey{it->second.expires_at, it->second.seq});
    map_.erase(it);
    return true;
  }

  void drop_expired_locked(std::int64_t now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first.first <= now) {
      map_.erase(by_expiry_.begin()->second);
      by_expiry_.erase(by_expiry_.begin());
    }
  }

  void insert_locked(const std::string& key, V value, std::int64_t expires_at, std::int64_t now) {
    drop_expired_locked(now);
    while (map_.size() >= max_ && !by_expiry_.empty()) {
      map_.erase(by_expiry_.begin()->second);
      by_expiry_.erase(by_expiry_.begin());
    }
    const std::uint64_t seq = next_seq_++;
    map_.emplace(key, Entry{std::move(value), expires_at, seq});
    by_expiry_.emplace(ExpiryKey{expires_at, seq}, key);
  }

  const std::size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> map_;
  std::map<ExpiryKey, std::string> by_expiry_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace mcpgate::oauth
