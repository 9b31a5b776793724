#include "admin/audit_service.hpp"

#include <charconv>
#include <deque>
#include <utility>

#include "audit/record.hpp"
#include "audit/verify.hpp"

namespace mcpgate::admin {
namespace {

// The audit cursor is the seq of the page's last (oldest) record.
Result<std::int64_t> audit_cursor_seq(const std::string& after) {
  if (after.empty()) {
    return std::int64_t{0};
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(after.data(), after.data() + after.size(), n);
  if (ec != std::errc() || end != after.data() + after.size() || n < 1) {
    return make_error(ErrorCode::kInvalidArgument, "cursor is not one of ours");
  }
  return n;
}

std::int64_t audit_integer_arg(const Json& args, const char* name) {
  const auto it = args.find(name);
  return it != args.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

AuditService::AuditService(store::Store& store, std::size_t verify_batch)
    : store_(store), verify_batch_(verify_batch == 0 ? 1000 : verify_batch) {}

Result<Json> AuditService::search(std::string_view org, const AdminCall& call) {
  store::AuditQuery q;
  q.org_id = std::string(org);
  q.user = call.arg("user_id");
  q.client_id = call.arg("client_id");
  q.tool = call.arg("tool");
  q.decision = call.arg("decision");
  q.from_ms = audit_integer_arg(call.args, "from_ms");
  q.to_ms = audit_integer_arg(call.args, "to_ms");
  MCPGATE_ASSIGN_OR_RETURN(q.before_seq, audit_cursor_seq(call.page.after));
  q.limit = call.page.limit + 1;
  MCPGATE_ASSIGN_OR_RETURN(auto rows, store_.search_audit(q));
  const bool more = rows.size() > call.page.limit;
  if (more) {
    rows.resize(call.page.limit);
  }
  Json items = Json::array();
  for (const auto& r : rows) {
    // The record as stored (its members are the event; see audit/record.hpp), with its hash so
    // a reader can check it against an export.
    auto record = Json::parse(r.record, nullptr, false);
    items.push_back(Json{{"seq", r.seq},
                         {"hash", r.hash},
                         {"record", record.is_object() ? std::move(record) : Json(nullptr)}});
  }
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (more && !rows.empty()) {
    out["next_cursor"] = cursor_after(std::to_string(rows.back().seq));
  }
  return out;
}

Result<Json> AuditService::status() {
  audit::ChainVerifier verifier;  // from genesis: a removed head is a problem too
  // line number -> seq of the last few lines: the verifier names a problem by line, at most
  // one line after it was fed.
  std::deque<std::pair<std::size_t, std::int64_t>> recent;
  std::size_t line = 0;
  std::int64_t after = 0;
  bool going = true;
  // The stored hash column of each record must be its text's hash: this also covers the last
  // record, which no later "prev" vouches for (an edit of it alone shows here).
  std::int64_t hash_mismatch = 0;
  while (going) {
    MCPGATE_ASSIGN_OR_RETURN(const auto batch, store_.read_audit_records(after, verify_batch_));
    if (batch.empty()) {
      break;
    }
    for (const auto& r : batch) {
      ++line;
      recent.emplace_back(line, r.seq);
      if (recent.size() > 4) {
        recent.pop_front();
      }
      after = r.seq;
      if (hash_mismatch == 0 && audit::record_hash(r.record) != r.hash) {
        hash_mismatch = r.seq;
      }
      if (!verifier.add_line(r.record)) {
        going = false;
        break;
      }
    }
  }
  const audit::VerifyReport report = verifier.finish();
  Json out = {{"ok", report.ok() || report.problem == audit::Problem::kEmpty},
              {"records", report.records},
              {"last_seq", report.last_seq},
              {"last_hash", report.last_hash},
              {"problem", nullptr},
              {"first_bad_seq", nullptr}};
  if (!report.ok() && report.problem != audit::Problem::kEmpty) {
    out["problem"] = Json{{"kind", audit::problem_name(report.problem)}, {"reason", report.reason}};
    for (const auto& [l, seq] : recent) {
      if (l == report.line) {
        out["first_bad_seq"] = seq;
      }
    }
  }
  if (hash_mismatch != 0 && (out["first_bad_seq"].is_null() ||
                             hash_mismatch < out["first_bad_seq"].get<std::int64_t>())) {
    out["ok"] = false;
    out["problem"] = Json{{"kind", "hash_mismatch"},
                          {"reason", "the stored hash is not the hash of the record's text"}};
    out["first_bad_seq"] = hash_mismatch;
  }
  return out;
}

void bind_audit_operations(OperationHandlers& handlers, std::shared_ptr<AuditService> service) {
  AuditService* s = service.get();
  handlers.add("searchAudit", [service, s](const AdminCall& c) { return s->search(c.org(), c); });
  handlers.add("getAuditStatus", [service, s](const AdminCall&) { return s->status(); });
}

}  // namespace mcpgate::admin
