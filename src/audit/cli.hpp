#pragma once
// The operator's audit and tool-pin commands:
//
//   mcpgate audit verify [--partial] [--config C] FILE|-
//        checks an exported log (verify.hpp); with --config also compares its last record with
//        the store, which catches an edited last record or a file whose tail was cut
//   mcpgate audit export --config C [--after SEQ]
//        the stored log as JSON lines on stdout (the format verify reads); a summary on stderr
//   mcpgate tools pins --config C [UPSTREAM]
//        pinned tool definitions, with any changed definition waiting for approval
//   mcpgate tools approve --config C UPSTREAM TOOL
//        makes the pending definition the approved one; prints which top-level fields changed
//
// Exit codes: 0 success, 1 the command ran and found a problem (a broken chain, nothing to
// approve, an unknown tool), 2 usage or I/O errors (unreadable file, store unreachable).

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "audit/verify.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace CLI {
class App;
}

namespace mcpgate::audit {

// `store` may be null (no --config): the file alone is checked.
int run_audit_verify(std::istream& in, const VerifyOptions& options, store::Store* store,
                     std::ostream& out, std::ostream& err);
int run_audit_export(store::Store& store, std::int64_t after_seq, std::ostream& out,
                     std::ostream& err);
int run_tool_pins(store::Store& store, std::string_view upstream, std::ostream& out,
                  std::ostream& err);
int run_tool_approve(store::Store& store, std::string_view upstream, std::string_view tool,
                     store::Timestamp now, std::ostream& out, std::ostream& err);

// Top-level members of two JSON object texts that differ (added, removed or changed), sorted.
// {"(definition)"} when either is not a JSON object.
std::vector<std::string> changed_fields(std::string_view before, std::string_view after);

// ---- wiring into the `mcpgate` command line ------------------------------------------------

// How a command names its store; the app owns the configuration format and opens it.
struct StoreArgs {
  std::string config;    // YAML configuration file
  std::string data_dir;  // --data override ("" = none)
  std::string store_url;  // --store override ("" = none)
};
using StoreOpener = std::function<Result<std::unique_ptr<store::Store>>(const StoreArgs&)>;

class AuditCommands {
 public:
  // Adds `audit verify|export` and `tools pins|approve` to `app`.
  explicit AuditCommands(CLI::App& app);
  ~AuditCommands();
  AuditCommands(const AuditCommands&) = delete;
  AuditCommands& operator=(const AuditCommands&) = delete;

  bool parsed() const;
  int run(const StoreOpener& open_store, std::istream& in, std::ostream& out,
          std::ostream& err) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mcpgate::audit
