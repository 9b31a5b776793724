#pragma once
// The decision log: one structured line per authorization decision on a tools/call (allow,
// deny or error), so operators can see what agents did and were refused, and correlate a
// client's error (its decisionId) with the reason. Lines go through the process logger
// (src/core/log.hpp: asynchronous JSON lines) as event "authz_decision".
//
// Arguments are agent-controlled and may carry personal data: by default only their SHA-256
// digest is logged; `arguments: full` logs them (still through the logger's secret-field
// redaction), `arguments: none` logs neither.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpgate::policy {

enum class Outcome { kAllow, kDeny, kError };
const char* outcome_name(Outcome outcome);  // "allow" | "deny" | "error"

struct Decision {
  std::string id;
  std::string user;
  std::string client_id;
  std::string org_id;     // the caller's organization: whose store decided
  std::string tool;       // "{server}/{tool}"
  Outcome outcome = Outcome::kError;
  std::string principal;  // which check decided a denial or error: "user" | "client" | ""
  std::string reason;     // relation path / condition that decided, or the error
  std::string model_id;
  std::int64_t revision = 0;
  double latency_us = 0;
};

enum class ArgumentLogging { kDigest, kFull, kNone };

class DecisionLog {
 public:
  struct Options {
    bool enabled = true;
    ArgumentLogging arguments = ArgumentLogging::kDigest;
  };

  explicit DecisionLog(Options options);

  // A fresh decision id: unique within the process and unguessable across restarts
  // ("d-<random>-<counter>"), cheap enough for every call.
  std::string next_id();

  void record(const Decision& decision, const nlohmann::json* arguments);
  // Whether record() would write a line for this outcome (the log is on and the logger's level
  // lets it through): callers skip gathering what only the line needs.
  bool writes(Outcome outcome) const;

  std::uint64_t allowed() const { return allowed_.load(std::memory_order_relaxed); }
  std::uint64_t denied() const { return denied_.load(std::memory_order_relaxed); }
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  Options options_;
  std::string prefix_;
  std::atomic<std::uint64_t> counter_{0};
  std::atomic<std::uint64_t> allowed_{0};
  std::atomic<std::uint64_t> denied_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace mcpgate::policy
