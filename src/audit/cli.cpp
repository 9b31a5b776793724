#include "audit/cli.hpp"

#include <CLI/CLI.hpp>

#include <ctime>
#include <fstream>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "audit/audit_log.hpp"

namespace mcpgate::audit {
namespace {

std::string utc_time(store::Timestamp t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string short_hash(const std::string& hash) { return hash.substr(0, 12); }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

}  // namespace

int run_audit_verify(std::istream& in, const VerifyOptions& options, store::Store* store,
                     std::ostream& out, std::ostream& err) {
  const VerifyReport report = verify_stream(in, options);
  if (in.bad()) {
    err << "audit verify: cannot read the input\n";
    return 2;
  }
  if (!report.ok()) {
    out << "audit: BROKEN at line " << report.line << " (" << problem_name(report.problem)
        << "): " << report.reason << "\n";
    if (report.records > 0) {
      out << "audit: " << report.records << " records intact before it, last seq "
          << report.last_seq << " hash " << report.last_hash << "\n";
    }
    return 1;
  }
  out << "audit: " << report.records << " records intact";
  if (report.first_seq != 1) {
    out << " (from seq " << report.first_seq << ")";
  }
  out << ", last seq " << report.last_seq << " hash " << report.last_hash << "\n";
  if (store == nullptr) {
    out << "note: a removed tail or an edited last record cannot be seen in the file alone; "
           "compare seq "
        << report.last_seq << " and its hash with the store (audit verify --config)\n";
    return 0;
  }
  auto stored = store->read_audit_records(report.last_seq - 1, 1);
  if (!stored) {
    err << "audit verify: store: " << stored.error().message << "\n";
    return 2;
  }
  if (stored->empty() || stored->front().seq != report.last_seq) {
    out << "audit: BROKEN: the store has no record " << report.last_seq << "\n";
    return 1;
  }
  if (stored->front().hash != report.last_hash) {
    out << "audit: BROKEN: the store's record " << report.last_seq
        << " has another hash: the file's last record was modified\n";
    return 1;
  }
  auto last = store->last_audit_record();
  if (!last) {
    err << "audit verify: store: " << last.error().message << "\n";
    return 2;
  }
  out << "audit: seq " << report.last_seq << " matches the store";
  if (last->seq > report.last_seq) {
    out << "; the store goes on to seq " << last->seq
        << " (the file is older, or its tail was removed)";
  }
  out << "\n";
  return 0;
}

int run_audit_export(store::Store& store, std::int64_t after_seq, std::ostream& out,
                     std::ostream& err) {
  const auto summary = export_jsonl(store, out, after_seq);
  out.flush();
  if (!summary) {
    err << "audit export: " << summary.error().message << "\n";
    return 2;
  }
  err << "audit: exported " << summary->records << " records";
  if (summary->records > 0) {
    err << ", last seq " << summary->last_seq << " hash " << summary->last_hash;
  }
  err << "\n";
  return 0;
}

int run_tool_pins(store::Store& store, std::string_view upstream, std::ostream& out,
                  std::ostream& err) {
  const auto pins = store.list_tool_pins(upstream);
  if (!pins) {
    err << "tools pins: " << pins.error().message << "\n";
    return 2;
  }
  if (pins->empty()) {
    out << "no pinned tools\n";
    return 0;
  }
  for (const auto& pin : *pins) {
    out << pin.upstream << "/" << pin.tool << "  " << short_hash(pin.hash) << "  approved "
        << utc_time(pin.approved_at) << " by " << pin.approved_by << "\n";
    if (!pin.pending_hash.empty()) {
      out << "  PENDING " << short_hash(pin.pending_hash) << " since "
          << utc_time(pin.pending_since) << ", changed: "
          << join(changed_fields(pin.definition, pin.pending_definition))
          << "  (mcpgate tools approve " << pin.upstream << " " << pin.tool << ")\n";
    }
  }
  return 0;
}

int run_tool_approve(store::Store& store, std::string_view upstream, std::string_view tool,
                     store::Timestamp now, std::ostream& out, std::ostream& err) {
  const std::string name = std::string(upstream) + "/" + std::string(tool);
  const auto pins = store.list_tool_pins(upstream);
  if (!pins) {
    err << "tools approve: " << pins.error().message << "\n";
    return 2;
  }
  const store::ToolPin* pin = nullptr;
  for (const auto& p : *pins) {
    if (p.tool == tool) {
      pin = &p;
    }
  }
  if (pin == nullptr) {
    err << "tools approve: " << name << " is not pinned (see mcpgate tools pins)\n";
    return 1;
  }
  if (pin->pending_hash.empty()) {
    err << "tools approve: " << name << " has no changed definition waiting for approval\n";
    return 1;
  }
  // Exactly the definition shown below: one that changed again since is not approved blind.
  const auto st = store.approve_tool_pin(upstream, tool, pin->pending_hash, now);
  if (!st) {
    err << "tools approve: " << name << ": " << st.error().message << "\n";
    return st.error().code == ErrorCode::kNotFound
                   || st.error().code == ErrorCode::kFailedPrecondition
               ? 1
               : 2;
  }
  out << "approved " << name << ": " << short_hash(pin->hash) << " -> "
      << short_hash(pin->pending_hash) << ", changed: "
      << join(changed_fields(pin->definition, pin->pending_definition)) << "\n";
  return 0;
}

std::vector<std::string> changed_fields(std::string_view before, std::string_view after) {
  const auto a = nlohmann::json::parse(before, nullptr, false);
  const auto b = nlohmann::json::parse(after, nullptr, false);
  if (!a.is_object() || !b.is_object()) {
    return {"(definition)"};
  }
  std::set<std::string> keys;
  for (const auto& [key, value] : a.items()) {
    const auto other = b.find(key);
    if (other == b.end() || *other != value) {
      keys.insert(key);
    }
  }
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key)) {
      keys.insert(key);
    }
  }
  return {keys.begin(), keys.end()};
}

// ---- command line ----------------------------------------------------------------------------

struct AuditCommands::State {
  CLI::App* verify = nullptr;
  CLI::App* exporter = nullptr;
  CLI::App* pins = nullptr;
  CLI::App* approve = nullptr;
  StoreArgs store_args;
  std::string file;
  bool partial = false;
  std::int64_t after = 0;
  std::string upstream;
  std::string tool;
};

AuditCommands::AuditCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  auto store_options = [&s](CLI::App* sub, bool required) {
    auto* config = sub->add_option("--config,-c", s.store_args.config,
                                   "YAML configuration file (for data_dir and store:)");
    if (required) {
      config->required();
    }
    sub->add_option("--data", s.store_args.data_dir,
                    "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");
    sub->add_option("--store", s.store_args.store_url,
                    "Store URL: sqlite:PATH or postgresql://... (overrides store:)");
  };
  auto* audit = app.add_subcommand("audit", "Export and verify the tamper-evident audit log");
  audit->require_subcommand(1);
  s.verify = audit->add_subcommand(
      "verify", "Check an exported log (FILE, or - for stdin): exit 0 intact, 1 broken");
  s.verify->add_option("file", s.file, "JSON-lines file from `audit export`, or -")->required();
  s.verify->add_flag("--partial", s.partial,
                     "The file is an export made with --after (it need not start at seq 1)");
  store_options(s.verify, false);
  s.exporter = audit->add_subcommand("export", "Write the stored log to stdout as JSON lines");
  s.exporter->add_option("--after", s.after, "Only records with seq > SEQ");
  store_options(s.exporter, true);

  auto* tools = app.add_subcommand("tools", "Pinned upstream tool definitions");
  tools->require_subcommand(1);
  s.pins = tools->add_subcommand("pins", "List pinned tools and changes waiting for approval");
  s.pins->add_option("upstream", s.upstream, "Only this upstream");
  store_options(s.pins, true);
  s.approve = tools->add_subcommand("approve", "Approve a tool's changed definition");
  s.approve->add_option("upstream", s.upstream, "Upstream name")->required();
  s.approve->add_option("tool", s.tool, "The upstream's tool name")->required();
  store_options(s.approve, true);
}

AuditCommands::~AuditCommands() = default;

bool AuditCommands::parsed() const {
  const State& s = *state_;
  return s.verify->parsed() || s.exporter->parsed() || s.pins->parsed() || s.approve->parsed();
}

int AuditCommands::run(const StoreOpener& open_store, std::istream& in, std::ostream& out,
                       std::ostream& err) const {
  const State& s = *state_;
  std::unique_ptr<store::Store> store;
  if (!s.store_args.config.empty()) {
    auto opened = open_store(s.store_args);
    if (!opened) {
      err << "mcpgate: " << opened.error().message << "\n";
      return 2;
    }
    store = std::move(opened).value();
  }
  if (s.verify->parsed()) {
    VerifyOptions options;
    options.from_genesis = !s.partial;
    if (s.file == "-") {
      return run_audit_verify(in, options, store.get(), out, err);
    }
    std::ifstream file(s.file, std::ios::binary);
    if (!file) {
      err << "audit verify: cannot open " << s.file << "\n";
      return 2;
    }
    return run_audit_verify(file, options, store.get(), out, err);
  }
  if (s.exporter->parsed()) {
    return run_audit_export(*store, s.after, out, err);
  }
  if (s.pins->parsed()) {
    return run_tool_pins(*store, s.upstream, out, err);
  }
  return run_tool_approve(*store, s.upstream, s.tool, static_cast<store::Timestamp>(std::time(nullptr)),
                          out, err);
}

}  // namespace mcpgate::audit
