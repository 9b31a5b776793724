#include "policy/decision_log.hpp"

#include "core/log.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace mcpgate::policy {

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllow:
      return "allow";
    case Outcome::kDeny:
      return "deny";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

DecisionLog::DecisionLog(Options options) : options_(options) {
  prefix_ = "d-" + crypto::hex_encode(crypto::random_bytes(6)) + "-";
}

std::string DecisionLog::next_id() {
  return prefix_ + std::to_string(counter_.fetch_add(1, std::memory_order_relaxed) + 1);
}

namespace {
log::Level level_of(Outcome outcome) { return outcome == Outcome::kError ? log::Level::kWarn : log::Level::kInfo; }
}  // namespace

bool DecisionLog::writes(Outcome outcome) const { return options_.enabled && log::enabled(level_of(outcome)); }

void DecisionLog::record(const Decision& d, const nlohmann::json* arguments) {
  switch (d.outcome) {
    case Outcome::kAllow:
      allowed_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Outcome::kDeny:
      denied_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Outcome::kError:
      errors_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  if (!writes(d.outcome)) {
    return;  // counted above; no line to build
  }
  nlohmann::json fields{{"decision_id", d.id},
                        {"user", d.user},
                        {"client_id", d.client_id},
                        {"org_id", d.org_id},
                        {"tool", d.tool},
                        {"decision", outcome_name(d.outcome)},
                        {"model_id", d.model_id},
                        {"revision", d.revision},
                        {"latency_us", d.latency_us}};
  if (!d.principal.empty()) {
    fields["principal"] = d.principal;
  }
  if (!d.reason.empty()) {
    fields["reason"] = d.reason;
  }
  if (arguments != nullptr) {
    if (options_.arguments == ArgumentLogging::kDigest) {
      fields["arguments_sha256"] = crypto::hex_encode(crypto::sha256(arguments->dump()));
    } else if (options_.arguments == ArgumentLogging::kFull) {
      fields["arguments"] = *arguments;
    }
  }
  log::write(level_of(d.outcome), "authz_decision", std::move(fields));
}

}  // namespace mcpgate::policy
