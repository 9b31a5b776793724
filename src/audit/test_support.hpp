#pragma once
// Helpers for the audit tests: sample events and chains of stored records.

#include <cstdint>
#include <string>
#include <vector>

#include "audit/record.hpp"

namespace mcpgate::audit::testing {

inline AuditEvent sample_event(int i) {
  AuditEvent e;
  e.time_ms = 1'700'000'000'000 + i;
  e.request_id = "req-" + std::to_string(i);
  e.user = "alice";
  e.client_id = "client-1";
  e.upstream = "mail";
  e.tool = "send";
  const nlohmann::json args = {{"to", "bob@example.com"}, {"n", i}};
  e.args_digest = args_digest(args);
  e.decision = i % 3 == 0 ? "deny" : "allow";
  e.decision_id = "dec-" + std::to_string(i);
  if (e.decision == "deny") {
    e.reason = "not permitted";
    e.upstream_status = "not_called";
  } else {
    e.upstream_status = "ok";
  }
  e.latency_us = 1000 + i;
  e.result_bytes = 10 * i;
  return e;
}

// `count` chained record texts from seq 1.
inline std::vector<std::string> chain_lines(int count) {
  std::vector<std::string> lines;
  std::string prev(kGenesisPrev);
  for (int i = 1; i <= count; ++i) {
    const auto r = chain_record(sample_event(i), i, prev);
    lines.push_back(r.record);
    prev = r.hash;
  }
  return lines;
}

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace mcpgate::audit::testing
