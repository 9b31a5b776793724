#pragma once
// The audit-log and tool-pin operations, written once for both backends: the SQL is portable
// and sqlite::Connection / pg::Connection (with their Statements) have the same shape, so each
// operation is a template over the connection. The backend supplies the transaction (its
// write()/read() wrapper); nothing here begins or commits.
//
// Concurrency, both backends: append relies on the primary key on seq (two writers that chained
// onto the same tail both try to insert the same seq; the second gets kAlreadyExists, PostgreSQL
// after waiting for the first to commit). pin_tool_if_absent relies on the (upstream, tool) key:
// INSERT ... ON CONFLICT DO NOTHING, then a SELECT that, at READ COMMITTED, sees whichever
// insert won. approve is a single conditional UPDATE, so it cannot approve a pending definition
// that a concurrent set_tool_pin_pending has just replaced with another without approving that
// other one (the row lock orders them).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/types.hpp"

namespace mcpgate::store::queries {

// Shape checks before any SQL runs (kInvalidArgument): contiguous seqs from >= 1, each hash the
// hex SHA-256 of its record text.
Status check_audit_batch(const std::vector<AuditRecord>& records);

// The search columns of a record (migration 11), read from its own members: org, user,
// client_id, tool, decision, time_ms. A member that is absent or not of its type is ""
// (time_ms: nullopt); a record that is not a JSON object gets none.
using AuditIndex = AuditColumns;
AuditIndex audit_index_of(const std::string& record);
Status check_new_pin(const ToolPin& pin);

inline constexpr const char* kPinColumns =
    "upstream, tool, hash, definition, pending_hash, pending_definition, approved_at,"
    " approved_by, pending_since";

template <class Statement>
ToolPin read_pin(const Statement& s) {
  ToolPin p;
  p.upstream = s.text(0);
  p.tool = s.text(1);
  p.hash = s.text(2);
  p.definition = s.text(3);
  p.pending_hash = s.text(4);
  p.pending_definition = s.text(5);
  p.approved_at = s.integer(6);
  p.approved_by = s.text(7);
  p.pending_since = s.integer(8);
  return p;
}

// `columns`: the records' search columns from their writer (same size as `records`), or null to
// read them from the texts.
template <class Connection>
Status append_audit_records(Connection& c,
                            const std::vector<AuditRecord>& records,
                            const std::vector<AuditColumns>* columns = nullptr) {
  if (columns != nullptr && columns->size() != records.size()) {
    return make_error(ErrorCode::kInvalidArgument, "store: audit columns must come one per record");
  }
  std::int64_t last = 0;
  {
    MCPGATE_ASSIGN_OR_RETURN(auto s, c.prepare("SELECT COALESCE(MAX(seq), 0) FROM audit_log"));
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    last = row ? s.integer(0) : 0;
  }
  const std::int64_t first = records.front().seq;
  if (first <= last) {
    return make_error(ErrorCode::kAlreadyExists,
                      "store: audit seq " + std::to_string(first) + " is taken (the log is at "
                          + std::to_string(last) + "): re-chain from the new tail");
  }
  if (first != last + 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: audit seq " + std::to_string(first) + " would leave a gap after "
                          + std::to_string(last));
  }
  // A concurrent writer may still take `first` between the SELECT and here; the primary key
  // turns that into kAlreadyExists (unique violation) and the caller's transaction rolls back.
  std::optional<AuditIndex> parsed;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const AuditRecord& r = records[i];
    const AuditIndex& index =
        columns != nullptr ? (*columns)[i] : parsed.emplace(audit_index_of(r.record));
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("INSERT INTO audit_log (seq, record, hash, org_id, user_id, client_id, tool,"
                  " decision, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(r.seq, r.record, r.hash, index.org_id, index.user_id, index.client_id, index.tool,
           index.decision, index.time_ms);
    MCPGATE_TRY(s.run());
  }
  return {};
}

template <class Connection>
Result<AuditRecord> last_audit_record(Connection& c) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT seq, record, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: the audit log is empty");
  }
  return AuditRecord{s.integer(0), s.text(1), s.text(2)};
}

template <class Connection>
Result<std::vector<AuditRecord>> read_audit_records(Connection& c,
                                                    std::int64_t after_seq,
                                                    std::size_t limit) {
  const auto capped = static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000000));
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("SELECT seq, record, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"));
  s.bind(after_seq, capped);
  std::vector<AuditRecord> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(AuditRecord{s.integer(0), s.text(1), s.text(2)});
  }
}

template <class Connection>
Result<std::vector<ToolPin>> list_tool_pins(Connection& c, std::string_view upstream) {
  const std::string select = std::string("SELECT ") + kPinColumns + " FROM tool_pins";
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare(upstream.empty() ? select + " ORDER BY upstream, tool"
                                 : select + " WHERE upstream = ? ORDER BY upstream, tool"));
  if (!upstream.empty()) {
    s.bind(upstream);
  }
  std::vector<ToolPin> out;
  while (true) {
    MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(read_pin(s));
  }
}

template <class Connection>
Result<ToolPin> pin_tool_if_absent(Connection& c, const ToolPin& pin) {
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare(std::string("INSERT INTO tool_pins (") + kPinColumns
                  + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upstream, tool) DO NOTHING"));
    s.bind(pin.upstream,
           pin.tool,
           pin.hash,
           pin.definition,
           pin.pending_hash,
           pin.pending_definition,
           pin.approved_at,
           pin.approved_by,
           pin.pending_since);
    MCPGATE_TRY(s.run());
  }
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare(std::string("SELECT ") + kPinColumns
                + " FROM tool_pins WHERE upstream = ? AND tool = ?"));
  s.bind(pin.upstream, pin.tool);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kInternal, "store: tool pin vanished after insert");
  }
  return read_pin(s);
}

template <class Connection>
Status set_tool_pin_pending(Connection& c,
                            std::string_view upstream,
                            std::string_view tool,
                            std::string_view pending_hash,
                            std::string_view pending_definition,
                            Timestamp now) {
  if (pending_hash.empty() || pending_definition.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a pending tool definition needs its hash and text");
  }
  // Back to the approved definition: nothing waits any more. Otherwise pending_since keeps the
  // first sighting of this same change.
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("UPDATE tool_pins SET"
                " pending_since = CASE WHEN hash = ? THEN 0"
                " WHEN pending_hash = ? THEN pending_since ELSE ? END,"
                " pending_definition = CASE WHEN hash = ? THEN '' ELSE ? END,"
                " pending_hash = CASE WHEN hash = ? THEN '' ELSE ? END"
                " WHERE upstream = ? AND tool = ?"));
  s.bind(pending_hash,
         pending_hash,
         now,
         pending_hash,
         pending_definition,
         pending_hash,
         pending_hash,
         upstream,
         tool);
  MCPGATE_TRY(s.run());
  if (s.changes() == 0) {
    return make_error(ErrorCode::kNotFound, "store: tool pin not found");
  }
  return {};
}

template <class Connection>
Status approve_tool_pin(Connection& c,
                        std::string_view upstream,
                        std::string_view tool,
                        std::string_view pending_hash,
                        Timestamp now) {
  if (pending_hash.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "store: the pending hash to approve is required");
  }
  {
    MCPGATE_ASSIGN_OR_RETURN(
        auto s,
        c.prepare("UPDATE tool_pins SET hash = pending_hash, definition = pending_definition,"
                  " approved_at = ?, approved_by = 'operator', pending_hash = '',"
                  " pending_definition = '', pending_since = 0"
                  " WHERE upstream = ? AND tool = ? AND pending_hash = ?"));
    s.bind(now, upstream, tool, pending_hash);
    MCPGATE_TRY(s.run());
    if (s.changes() == 1) {
      return {};
    }
  }
  // Nothing updated: tell "not pinned" from "nothing pending" from "something else pending".
  MCPGATE_ASSIGN_OR_RETURN(
      auto s, c.prepare("SELECT pending_hash FROM tool_pins WHERE upstream = ? AND tool = ?"));
  s.bind(upstream, tool);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) {
    return make_error(ErrorCode::kNotFound, "store: tool pin not found");
  }
  const std::string pending(s.text(0));
  if (pending.empty()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "store: no changed definition is pending for this tool");
  }
  return make_error(ErrorCode::kFailedPrecondition,
                    "store: another changed definition is pending now (" +
                        pending + "); review and approve that one");
}

}  // namespace mcpgate::store::queries
