#pragma once
// QuotaLimiter: per user / client / tool limits on MCP calls, checked before a call goes
// upstream.
//
// Each rule keys its counters by a chosen subset of {user, client, tool} (the empty subset is
// one budget shared by every caller) and may apply to some tools only. A rule can limit:
// * calls per minute: a token bucket per key holding up to calls_per_minute tokens and
//   refilling calls_per_minute / 60 per second, so a caller may burst a full minute's budget,
//   then continues at the steady rate. It is kept as a GCRA "theoretical arrival time" (one
//   time stamp per key, integer nanoseconds), which is the same bucket with exact arithmetic.
// * concurrent calls: a count of leases held.
//
// acquire() checks every matching rule, in configuration order, under the locks of all of
// them: either every rule admits the call and each takes its token (and concurrency slot), or
// nothing is taken and the first refusing rule is reported. The returned lease holds the
// concurrency slots until it is destroyed or released.
//
// Memory stays bounded under hostile key churn (a client inventing user or tool names):
// * A key whose bucket is full and that has no call in flight carries no information and is
//   forgotten: at once when its last lease ends, otherwise by a sweep that runs when its
//   table has doubled since the last sweep.
// * Each rule tracks at most max_keys keys. When the table is full of keys that are not idle,
//   a call with a new key is refused (fails closed, limit kKeyCapacity) rather than tracked;
//   keys already tracked keep working. A full table is swept again at most once per second,
//   so the refusal costs no scan; a rate-limited key becomes idle within a minute.
//
// Thread-safe. Each rule's table is split into 16 shards with a mutex each; the hot path is one
// hash of the key and one lookup per matching rule.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mcpgate::quota {

struct QuotaRule {
  // Names the rule in refusals (QuotaDecision::rule) and logs. parse_quota_rules() fills it
  // from `name:` or from the position ("quotas[2] (user+tool)").
  std::string name{};

  // Key parts: the counters are per distinct combination of the chosen parts.
  bool per_user = false;
  bool per_client = false;
  bool per_tool = false;

  // Tools the rule applies to: "" every tool, "name" that tool, "prefix*" tools starting with
  // prefix. A '*' anywhere but at the end is not a wildcard (parse_quota_rules refuses it).
  std::string match_tool{};

  std::uint32_t calls_per_minute = 0;  // 0 = no rate limit
  std::uint32_t max_concurrent = 0;    // 0 = no concurrency limit
  std::size_t max_keys = 100000;       // keys tracked at once (see above); 0 = this default

  bool applies_to(std::string_view tool) const;

  // A configuration reload keeps the running limiter (and its counters) when the rules are equal.
  bool operator==(const QuotaRule&) const = default;
};

// The caller of one tool call. Views: only used during acquire().
struct QuotaKey {
  std::string_view user{};
  std::string_view client{};
  std::string_view tool{};
};

enum class QuotaLimit {
  kRate,         // calls_per_minute used up; retry_after = when the next token arrives
  kConcurrency,  // max_concurrent calls in flight; retry_after = a 1 s hint
  kKeyCapacity,  // the rule tracks max_keys active keys already; retry_after = a 1 s hint
};

struct QuotaDecision {
  bool allowed = false;
  std::string rule{};  // the name of the refusing rule
  std::chrono::milliseconds retry_after{0};
  QuotaLimit limit = QuotaLimit::kRate;
};

namespace detail {
struct LimiterState;
struct Slot;
}  // namespace detail

// The concurrency slots of one admitted call; released on destruction (or release()). Movable,
// not copyable. May outlive its QuotaLimiter. A default-constructed lease holds nothing.
class QuotaLease {
 public:
  QuotaLease();
  QuotaLease(QuotaLease&& other) noexcept;
  QuotaLease& operator=(QuotaLease&& other) noexcept;
  QuotaLease(const QuotaLease&) = delete;
  QuotaLease& operator=(const QuotaLease&) = delete;
  ~QuotaLease();

  // Gives the slots back now; idempotent.
  void release();

 private:
  friend class QuotaLimiter;

  std::shared_ptr<detail::LimiterState> state_;  // null when no slot is held
  std::vector<detail::Slot> slots_;
};

class QuotaLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // Rules are used as given (parse_quota_rules validates config); a rule with neither limit
  // never refuses. An empty clock means std::chrono::steady_clock::now.
  explicit QuotaLimiter(std::vector<QuotaRule> rules, Clock clock = {});

  QuotaLimiter(const QuotaLimiter&) = delete;
  QuotaLimiter& operator=(const QuotaLimiter&) = delete;
  ~QuotaLimiter();

  // Admits the call (a lease) or refuses it (a decision naming the first refusing rule).
  std::variant<QuotaLease, QuotaDecision> acquire(const QuotaKey& key);

  const std::vector<QuotaRule>& rules() const;

  // Keys rule `index` tracks now (metrics, tests).
  std::size_t tracked_keys(std::size_t index) const;

 private:
  std::shared_ptr<detail::LimiterState> state_;
};

}  // namespace mcpgate::quota
