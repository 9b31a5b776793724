#include "audit/record.hpp"

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace mcpgate::audit {

std::string canonical_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string args_digest(const nlohmann::json& arguments) {
  return crypto::hex_encode(crypto::sha256(canonical_json(arguments)));
}

nlohmann::json event_json(const AuditEvent& event) {
  nlohmann::json out = {
      {"time_ms", event.time_ms},
      {"request_id", event.request_id},
      {"user", event.user},
      {"client_id", event.client_id},
      {"upstream", event.upstream},
      {"tool", event.tool},
      {"args_digest", event.args_digest},
      {"decision", event.decision},
      {"decision_id", event.decision_id},
      {"upstream_status", event.upstream_status},
      {"latency_us", event.latency_us},
      {"result_bytes", event.result_bytes},
  };
  if (event.arguments) {
    out["arguments"] = *event.arguments;
  }
  if (event.reason) {
    out["reason"] = *event.reason;
  }
  if (event.org) {
    out["org"] = *event.org;
  }
  if (event.admin) {
    out["admin"] = *event.admin;
  }
  return out;
}

std::string record_text(const AuditEvent& event, std::int64_t seq, std::string_view prev) {
  nlohmann::json record = event_json(event);
  record["v"] = kRecordVersion;
  record["seq"] = seq;
  record["prev"] = std::string(prev);
  return canonical_json(record);
}

std::string record_hash(std::string_view text) {
  return crypto::hex_encode(crypto::sha256(text));
}

store::AuditRecord chain_record(const AuditEvent& event, std::int64_t seq, std::string_view prev) {
  store::AuditRecord out;
  out.seq = seq;
  out.record = record_text(event, seq, prev);
  out.hash = record_hash(out.record);
  return out;
}

}  // namespace mcpgate::audit
