#include "store/audit_pin_queries.hpp"

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

Status check_new_pin(const ToolPin& pin) {
  if (pin.upstream.empty() || pin.tool.empty() || pin.hash.empty() || pin.definition.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a tool pin needs upstream, tool, hash and definition");
  }
  return {};
}

}  // namespace mcpgate::store::queries
