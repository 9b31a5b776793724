#pragma once
// One audit record of a gateway tool call, and the hash chain that makes the log
// tamper-evident.
//
// A stored record is one line of canonical JSON: the event's fields plus "v" (format version),
// "seq" (1, 2, 3, ... without gaps) and "prev" (the hash of record seq-1; 64 zeros for seq 1).
// Its hash is the lowercase hex SHA-256 of exactly that text. Editing a record changes its
// hash, which no longer matches the next record's "prev"; deleting or reordering records
// breaks the seq sequence. (The last record is covered only by the hash the store, or an
// operator, keeps of it: see verify.hpp.)
//
// Canonical JSON here is nlohmann's dump() of the value: object members in sorted key order
// (its object type is a std::map), no whitespace, strings as UTF-8 with only the mandatory
// escapes, integers in decimal, doubles in their shortest round-trip form. That is
// deterministic for a given value, which is all the chain needs: hashes are taken over the
// stored text and never recomputed from a re-serialisation. (It is not RFC 8785 JCS, whose
// number format differs.)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "store/types.hpp"

namespace mcpgate::audit {

inline constexpr int kRecordVersion = 1;
// "prev" of the first record.
inline constexpr std::string_view kGenesisPrev =
    "0000000000000000000000000000000000000000000000000000000000000000";

// What happened in one tools/call, as the gateway saw it. Never secrets: the user is the
// token's subject, the client its client_id; arguments are recorded only as a digest unless
// the configuration asks for them in full.
struct AuditEvent {
  std::int64_t time_ms = 0;   // unix milliseconds when the call arrived
  std::string request_id;     // the HTTP request id (ties the record to the access log)
  std::string user;           // token subject ("" with authentication off)
  std::string client_id;      // OAuth client ("" with authentication off)
  // The caller's organization; absent with authentication off. Records written before
  // organizations existed have no "org" member; their stored text (and so the chain) is
  // unchanged, so they still verify.
  std::optional<std::string> org;
  std::string upstream;       // upstream name from the configuration
  std::string tool;           // the upstream's own tool name
  std::string args_digest;    // args_digest(arguments)
  std::optional<nlohmann::json> arguments;  // only when configured to record them
  std::string decision;       // "allow" | "deny" | "error"
  std::string decision_id;    // the authorizer's decision id ("" when none)
  std::optional<std::string> reason;  // why a deny or an error
  // "ok" | "tool_error" | "timeout" | "unavailable" | "not_called" (denied before the upstream)
  std::string upstream_status;
  std::int64_t latency_us = 0;    // from arrival to the answer
  std::int64_t result_bytes = 0;  // size of the upstream's result as forwarded
  // An admin-plane call (upstream "admin", tool = the operationId): {"channel": "api" | "mcp" |
  // "console", "target": the ids it named, "status": the HTTP status of its outcome}. Absent on
  // tool calls, so their stored text is unchanged.
  std::optional<nlohmann::json> admin;
};

// Canonical JSON text of a JSON value (see above). Invalid UTF-8 in strings is replaced by
// U+FFFD rather than failing: an audit line is always written.
std::string canonical_json(const nlohmann::json& value);

// Lowercase hex SHA-256 of canonical_json(arguments).
std::string args_digest(const nlohmann::json& arguments);

// The event as a JSON object (without v/seq/prev).
nlohmann::json event_json(const AuditEvent& event);

// The stored text of record `seq` chained onto `prev` (kGenesisPrev for seq 1): the canonical
// JSON of event_json(event) plus v, seq and prev, written without building that value.
std::string record_text(const AuditEvent& event, std::int64_t seq, std::string_view prev);

// Lowercase hex SHA-256 of a record's text: the chain's link value.
std::string record_hash(std::string_view text);

// record_text + record_hash, ready for Store::append_audit_records.
store::AuditRecord chain_record(const AuditEvent& event, std::int64_t seq, std::string_view prev);

// The search columns of the event's record, exactly as the store would read them from its text
// (so the writer can hand them over instead of the store parsing every record again).
store::AuditColumns record_columns(const AuditEvent& event);

}  // namespace mcpgate::audit
