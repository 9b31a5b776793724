#include "quota/quota.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace mcpgate::quota {
namespace detail {
namespace {

constexpr std::size_t kShards = 16;
constexpr std::size_t kMinSweepSize = 64;
constexpr std::int64_t kNanosPerMinute = 60'000'000'000;
constexpr std::int64_t kFullTableResweepNs = 1'000'000'000;
constexpr std::chrono::milliseconds kBusyHint{1000};

// A key with its hash computed once: it picks the shard and serves the shard's table.
struct HashedKey {
  std::string text;
  std::size_t hash = 0;

  bool operator==(const HashedKey& other) const { return text == other.text; }
};

struct KeyHash {
  std::size_t operator()(const HashedKey& k) const { return k.hash; }
};

// Length-prefixed parts, so ("ab", "c") and ("a", "bc") never share a key.
void append_part(std::string& out, std::string_view part) {
  const auto n = static_cast<std::uint32_t>(part.size());
  for (int shift = 0; shift < 32; shift += 8) {
    out += static_cast<char>((n >> shift) & 0xff);
  }
  out.append(part);
}

}  // namespace

struct Entry {
  std::int64_t tat_ns = 0;  // the bucket is full again at this time (GCRA)
  std::uint32_t in_flight = 0;
};

using Table = std::unordered_map<HashedKey, Entry, KeyHash>;
using Node = Table::value_type;  // nodes keep their address until erased

struct Shard {
  mutable std::mutex mu;
  Table table;
  std::size_t sweep_at = kMinSweepSize;
  std::int64_t no_sweep_before_ns = 0;  // after a sweep of a full table that freed nothing
};

struct RuleState {
  explicit RuleState(QuotaRule r) : rule(std::move(r)) {
    if (rule.max_keys == 0) {
      rule.max_keys = QuotaRule{}.max_keys;
    }
    if (rule.calls_per_minute > 0) {
      interval_ns = kNanosPerMinute / rule.calls_per_minute;
      burst_ns = interval_ns * rule.calls_per_minute;
    }
    shard_cap = std::max<std::size_t>(1, (rule.max_keys + kShards - 1) / kShards);
  }

  bool idle(const Entry& e, std::int64_t now) const { return e.in_flight == 0 && e.tat_ns <= now; }

  // Forgets idle keys; returns whether the table has room for one more.
  bool make_room(Shard& shard, std::int64_t now) const {
    if (shard.table.size() < shard.sweep_at && shard.table.size() < shard_cap) {
      return true;
    }
    if (shard.table.size() >= shard_cap && now < shard.no_sweep_before_ns) {
      return false;
    }
    std::erase_if(shard.table, [&](const Node& n) { return idle(n.second, now); });
    shard.sweep_at = std::clamp(2 * shard.table.size(), kMinSweepSize, shard_cap);
    if (shard.table.size() >= shard_cap) {
      shard.no_sweep_before_ns = now + kFullTableResweepNs;
      return false;
    }
    return true;
  }

  QuotaRule rule;
  std::int64_t interval_ns = 0;  // time for one token to come back
  std::int64_t burst_ns = 0;     // interval_ns * capacity: how far ahead tat may run
  std::size_t shard_cap = 0;
  std::array<Shard, kShards> shards;
};

struct LimiterState {
  std::vector<std::unique_ptr<RuleState>> rules;
  std::vector<QuotaRule> configured;
  QuotaLimiter::Clock clock;

  std::int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock().time_since_epoch()).count();
  }
};

struct Slot {
  const RuleState* rule = nullptr;
  Shard* shard = nullptr;
  Node* node = nullptr;  // pinned: a node with in_flight > 0 is never erased
};

}  // namespace detail

using detail::Entry;
using detail::Node;
using detail::RuleState;
using detail::Shard;

bool QuotaRule::applies_to(std::string_view tool) const {
  if (match_tool.empty()) {
    return true;
  }
  if (match_tool.back() == '*') {
    const std::string_view prefix(match_tool.data(), match_tool.size() - 1);
    return tool.substr(0, prefix.size()) == prefix;
  }
  return tool == match_tool;
}

QuotaLease::QuotaLease() = default;

QuotaLease::QuotaLease(QuotaLease&& other) noexcept
    : state_(std::move(other.state_)), slots_(std::move(other.slots_)) {
  other.slots_.clear();
}

QuotaLease& QuotaLease::operator=(QuotaLease&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    slots_ = std::move(other.slots_);
    other.slots_.clear();
  }
  return *this;
}

QuotaLease::~QuotaLease() {
  release();
}

void QuotaLease::release() {
  if (!state_) {
    return;
  }
  const std::int64_t now = state_->now_ns();
  for (const auto& slot : slots_) {
    const std::lock_guard lock(slot.shard->mu);
    Entry& e = slot.node->second;
    --e.in_flight;
    if (slot.rule->idle(e, now)) {
      slot.shard->table.erase(slot.shard->table.find(slot.node->first));
    }
  }
  slots_.clear();
  state_.reset();
}

QuotaLimiter::QuotaLimiter(std::vector<QuotaRule> rules, Clock clock)
    : state_(std::make_shared<detail::LimiterState>()) {
  state_->configured = rules;
  for (auto& r : rules) {
    state_->rules.push_back(std::make_unique<RuleState>(std::move(r)));
  }
  state_->clock = clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); });
}

QuotaLimiter::~QuotaLimiter() = default;

const std::vector<QuotaRule>& QuotaLimiter::rules() const {
  return state_->configured;
}

std::size_t QuotaLimiter::tracked_keys(std::size_t index) const {
  std::size_t n = 0;
  for (const auto& shard : state_->rules.at(index)->shards) {
    const std::lock_guard lock(shard.mu);
    n += shard.table.size();
  }
  return n;
}

std::variant<QuotaLease, QuotaDecision> QuotaLimiter::acquire(const QuotaKey& key) {
  struct Pending {
    RuleState* rule;
    Shard* shard;
    detail::HashedKey key;
    Node* node;  // null: a new key
    std::unique_lock<std::mutex> lock;
  };

  const std::int64_t now = state_->now_ns();
  std::vector<Pending> pending;
  pending.reserve(state_->rules.size());

  auto refuse = [](const RuleState& rs, QuotaLimit limit, std::chrono::milliseconds retry) {
    return QuotaDecision{
        .allowed = false, .rule = rs.rule.name, .retry_after = retry, .limit = limit};
  };

  // Phase 1: lock and check every matching rule, in order (one shard per rule, always in rule
  // order, so two acquire() calls cannot deadlock). Nothing changes until all rules agree.
  for (const auto& rs_ptr : state_->rules) {
    RuleState& rs = *rs_ptr;
    if ((rs.rule.calls_per_minute == 0 && rs.rule.max_concurrent == 0)
        || !rs.rule.applies_to(key.tool)) {
      continue;
    }
    detail::HashedKey hk;
    if (rs.rule.per_user) {
      detail::append_part(hk.text, key.user);
    }
    if (rs.rule.per_client) {
      detail::append_part(hk.text, key.client);
    }
    if (rs.rule.per_tool) {
      detail::append_part(hk.text, key.tool);
    }
    hk.hash = std::hash<std::string_view>{}(hk.text);
    Shard& shard = rs.shards[hk.hash % rs.shards.size()];
    std::unique_lock lock(shard.mu);  // held (in `pending`) until the call is admitted or refused

    Node* node = nullptr;
    if (auto it = shard.table.find(hk); it != shard.table.end()) {
      node = &*it;
      const Entry& e = it->second;
      if (rs.rule.calls_per_minute > 0) {
        const std::int64_t next_tat = std::max(e.tat_ns, now) + rs.interval_ns;
        if (next_tat - now > rs.burst_ns) {
          const std::int64_t wait_ns = next_tat - now - rs.burst_ns;
          const auto wait_ms = std::max<std::int64_t>(1, (wait_ns + 999'999) / 1'000'000);
          return refuse(rs, QuotaLimit::kRate, std::chrono::milliseconds(wait_ms));
        }
      }
      if (rs.rule.max_concurrent > 0 && e.in_flight >= rs.rule.max_concurrent) {
        return refuse(rs, QuotaLimit::kConcurrency, detail::kBusyHint);
      }
    } else if (!rs.make_room(shard, now)) {
      // A new key with a full bucket always passes both limits; only room can refuse it.
      return refuse(rs, QuotaLimit::kKeyCapacity, detail::kBusyHint);
    }
    pending.push_back(Pending{&rs, &shard, std::move(hk), node, std::move(lock)});
  }

  // Phase 2: take a token and a slot from each (the locks are still held).
  QuotaLease lease;
  for (auto& p : pending) {
    if (p.node == nullptr) {
      p.node = &*p.shard->table.emplace(std::move(p.key), Entry{now, 0}).first;
    }
    Entry& e = p.node->second;
    if (p.rule->rule.calls_per_minute > 0) {
      e.tat_ns = std::max(e.tat_ns, now) + p.rule->interval_ns;
    }
    if (p.rule->rule.max_concurrent > 0) {
      ++e.in_flight;
      lease.slots_.push_back(detail::Slot{p.rule, p.shard, p.node});
    }
  }
  if (!lease.slots_.empty()) {
    lease.state_ = state_;
  }
  return lease;
}

}  // namespace mcpgate::quota
