#include "policy/prepared_checks.hpp"

#include <functional>

namespace mcpgate::policy {

std::size_t PairKey::hash() const {
  // Each field hashed on its own, so moving a character from one field to the next changes
  // the hash (the match compares every field anyway).
  std::size_t h = 0;
  for (const std::string_view part : {org, server, tool, sub, client}) {
    h = (h ^ std::hash<std::string_view>{}(part)) * 0x9e3779b97f4a7c15ULL;
  }
  return h ^ (h >> 29);
}

bool PairKey::matches(const PreparedPair& pair) const {
  return pair.sub == sub && pair.client == client && pair.tool == tool && pair.server == server &&
         pair.org == org;
}

PreparedCheckCache::PreparedCheckCache(std::size_t slots) {
  if (slots == 0) {
    return;
  }
  std::size_t n = 1;
  while (n < slots) {
    n <<= 1;
  }
  slots_.resize(n);
  mask_ = n - 1;
}

std::shared_ptr<const PreparedPair> PreparedCheckCache::find(const PairKey& key, std::size_t hash,
                                                             const authz::Engine* engine) const {
  if (slots_.empty()) {
    return nullptr;
  }
  const std::size_t slot = hash & mask_;
  std::lock_guard lock(stripe(slot));
  const std::shared_ptr<const PreparedPair>& held = slots_[slot];
  if (held == nullptr || held->engine != engine || !key.matches(*held)) {
    return nullptr;
  }
  return held;
}

void PreparedCheckCache::put(std::size_t hash, std::shared_ptr<const PreparedPair> pair) {
  if (slots_.empty()) {
    return;
  }
  const std::size_t slot = hash & mask_;
  {
    std::lock_guard lock(stripe(slot));
    slots_[slot].swap(pair);
  }
  // `pair` now holds the replaced entry: freed here, outside the lock.
}

std::size_t PreparedCheckCache::occupied() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    std::lock_guard lock(stripe(i));
    n += slots_[i] != nullptr ? 1 : 0;
  }
  return n;
}

}  // namespace mcpgate::policy
