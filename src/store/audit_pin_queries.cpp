#include "store/audit_pin_queries.hpp"

#include <nlohmann/json.hpp>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace mcpgate::store::queries {

Status check_audit_batch(const std::vector<AuditRecord>& records) {
  for (std::size_t i = 0; i < records.size(); ++i) {
    const AuditRecord& r = records[i];
    if (r.seq < 1 || r.seq != records.front().seq + static_cast<std::int64_t>(i)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "store: audit records must have contiguous seqs from 1 up");
    }
    if (r.record.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "store: empty audit record");
    }
    // The store refuses a hash that does not match its text, so the stored chain can only be
    // wrong if someone edits the table directly (which the chain then exposes).
    if (r.hash != crypto::hex_encode(crypto::sha256(r.record))) {
      return make_error(ErrorCode::kInvalidArgument,
                        "store: audit record " + std::to_string(r.seq)
                            + " does not hash to its stated hash");
    }
  }
  return {};
}

AuditIndex audit_index_of(const std::string& record) {
  AuditIndex out;
  const auto j = nlohmann::json::parse(record, nullptr, false);
  if (!j.is_object()) {
    return out;
  }
  const auto text = [&](const char* name) {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  out.org_id = text("org");
  out.user_id = text("user");
  out.client_id = text("client_id");
  out.tool = text("tool");
  out.decision = text("decision");
  if (const auto it = j.find("time_ms"); it != j.end() && it->is_number_integer()) {
    out.time_ms = it->get<std::int64_t>();
  }
  return out;
}

Status check_new_pin(const ToolPin& pin) {
  if (pin.upstream.empty() || pin.tool.empty() || pin.hash.empty() || pin.definition.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a tool pin needs upstream, tool, hash and definition");
  }
  return {};
}

}  // namespace mcpgate::store::queries
