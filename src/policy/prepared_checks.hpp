#pragma once
// The prepared checks of a tools/call (authz::PreparedCheck: the request strings resolved to
// the engine's ids once), kept per organization, tool and user + client pair so a caller's
// repeated calls skip building, parsing and looking up the check strings.
//
// Bounded by construction: a fixed array of slots, each holding at most one pair (of a key of
// at most PairKey::kMaxCachedBytes), chosen by a hash of the key. A new pair replaces whatever held its slot, so callers with many distinct
// subjects or clients (hostile or not) only make each other re-prepare; memory never grows.
// A slot answers only for the exact key it holds (all five strings compared), so a collision
// is a miss, never another caller's checks.
//
// Entries are immutable once published and shared (std::shared_ptr<const ...>): the io threads
// check them concurrently, each with its own call's context (Engine::check(prepared,
// context)). Staleness is the engine's business: a prepared check whose ids no longer apply
// (a new model, a reload) or were never resolved (an object or user not in the store yet) is
// answered through its strings, exactly as a string check, and flagged `unprepared`; the
// authorizer then publishes a fresh pair. Writes never make prepared ids wrong (ids are never
// reused), so a decision always reflects the tuples and model current at the check.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "authz/engine.hpp"

namespace mcpgate::policy {

// The user's and the client's check of one tool for one caller, and what they were prepared on.
struct PreparedPair {
  std::string org;
  std::string server;
  std::string tool;
  std::string sub;
  std::string client;
  const authz::Engine* engine = nullptr;
  std::uint64_t revision = 0;       // the engine's revision just before preparing
  std::uint64_t model_version = 0;  // and its model version
  authz::PreparedCheck user_check;
  authz::PreparedCheck client_check;
};

struct PairKey {
  std::string_view org;
  std::string_view server;
  std::string_view tool;
  std::string_view sub;
  std::string_view client;

  // A pair holds its key and each check's strings: callers with longer identifiers than this
  // (in total) are checked without being cached, so a slot stays a few KB at most.
  static constexpr std::size_t kMaxCachedBytes = 1024;

  std::size_t hash() const;
  bool matches(const PreparedPair& pair) const;
  std::size_t bytes() const { return org.size() + server.size() + tool.size() + sub.size() + client.size(); }
};

class PreparedCheckCache {
 public:
  // `slots` rounded up to a power of two; 0 keeps nothing (every call prepares anew).
  explicit PreparedCheckCache(std::size_t slots);

  // The pair held for `key` on `engine`, or null.
  std::shared_ptr<const PreparedPair> find(const PairKey& key, std::size_t hash,
                                           const authz::Engine* engine) const;
  // Publishes `pair` in its slot (replacing any other).
  void put(std::size_t hash, std::shared_ptr<const PreparedPair> pair);

  std::size_t capacity() const { return slots_.size(); }
  std::size_t occupied() const;  // slots holding a pair (tests, metrics)

 private:
  static constexpr std::size_t kStripes = 16;
  std::mutex& stripe(std::size_t slot) const { return stripes_[slot % kStripes]; }

  std::vector<std::shared_ptr<const PreparedPair>> slots_;  // each guarded by its stripe
  mutable std::array<std::mutex, kStripes> stripes_;
  std::size_t mask_ = 0;
};

}  // namespace mcpgate::policy
