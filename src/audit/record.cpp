#include "audit/record.hpp"

#include <charconv>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace mcpgate::audit {

std::string canonical_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string args_digest(const nlohmann::json& arguments) {
  if (arguments.is_object() && arguments.empty()) {
    // The usual tool call without arguments: the digest of "{}", computed once.
    static const std::string empty_object = crypto::hex_encode(crypto::sha256("{}"));
    return empty_object;
  }
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

namespace {

// A string that nlohmann's dump() copies verbatim between quotes: printable ASCII without '"'
// or '\\'. Everything else (escapes, UTF-8, invalid bytes) is left to nlohmann itself, so the
// text stays byte for byte what the DOM's dump gave (record_test.cpp compares the two).
bool record_plain_string(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

void append_record_string(std::string& out, std::string_view s) {
  if (record_plain_string(s)) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += canonical_json(nlohmann::json(std::string(s)));
  }
}

// Appends `"key":` (keys are fixed ASCII names) preceded by a comma unless it opens the object.
void append_record_key(std::string& out, std::string_view key) {
  if (out.size() > 1) {
    out += ',';
  }
  out += '"';
  out += key;
  out += "\":";
}

void append_record_member(std::string& out, std::string_view key, std::string_view value) {
  append_record_key(out, key);
  append_record_string(out, value);
}

void append_record_member(std::string& out, std::string_view key, std::int64_t value) {
  append_record_key(out, key);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_record_json(std::string& out, std::string_view key, const nlohmann::json& value) {
  append_record_key(out, key);
  out += canonical_json(value);
}

// A column as the store would read it back from the record text (audit_index_of): the string
// itself, or for one with escapes or invalid UTF-8 what parsing its canonical form gives.
std::string record_column(const std::string& s) {
  if (record_plain_string(s)) {
    return s;
  }
  return nlohmann::json::parse(canonical_json(nlohmann::json(s))).get<std::string>();
}

}  // namespace

// The canonical text written member by member, in nlohmann's (std::map's) sorted key order,
// without building a DOM: this runs once per audited call on the writer thread, and the DOM
// (a map node and a string per member, then a dump) cost several times the writing.
std::string record_text(const AuditEvent& event, std::int64_t seq, std::string_view prev) {
  std::string out;
  out.reserve(384 + event.request_id.size() + event.user.size() + event.client_id.size()
              + event.upstream.size() + event.tool.size() + event.decision_id.size());
  out += '{';
  // Sorted byte-wise: admin < args_digest < arguments < client_id < decision < decision_id <
  // latency_us < org < prev < reason < request_id < result_bytes < seq < time_ms < tool <
  // upstream < upstream_status < user < v.
  if (event.admin) {
    append_record_json(out, "admin", *event.admin);
  }
  append_record_member(out, "args_digest", event.args_digest);
  if (event.arguments) {
    append_record_json(out, "arguments", *event.arguments);
  }
  append_record_member(out, "client_id", event.client_id);
  append_record_member(out, "decision", event.decision);
  append_record_member(out, "decision_id", event.decision_id);
  append_record_member(out, "latency_us", event.latency_us);
  if (event.org) {
    append_record_member(out, "org", *event.org);
  }
  append_record_member(out, "prev", prev);
  if (event.reason) {
    append_record_member(out, "reason", *event.reason);
  }
  append_record_member(out, "request_id", event.request_id);
  append_record_member(out, "result_bytes", event.result_bytes);
  append_record_member(out, "seq", seq);
  append_record_member(out, "time_ms", event.time_ms);
  append_record_member(out, "tool", event.tool);
  append_record_member(out, "upstream", event.upstream);
  append_record_member(out, "upstream_status", event.upstream_status);
  append_record_member(out, "user", event.user);
  append_record_member(out, "v", std::int64_t{kRecordVersion});
  out += '}';
  return out;
}

store::AuditColumns record_columns(const AuditEvent& event) {
  store::AuditColumns out;
  if (event.org) {
    out.org_id = record_column(*event.org);
  }
  out.user_id = record_column(event.user);
  out.client_id = record_column(event.client_id);
  out.tool = record_column(event.tool);
  out.decision = record_column(event.decision);
  out.time_ms = event.time_ms;
  return out;
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
