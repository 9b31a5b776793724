#pragma once
// The operator's policy commands:
//
//   mcpgate policy validate MODEL              a model (.fga DSL or .json): errors with
//                                              FILE:LINE:COLUMN, exit 1 when invalid
//   mcpgate policy test STORE.fga.yaml         the OpenFGA CLI's store test file (`fga model
//                                              test` format): per-test PASS/FAIL, exit 1 on any
//                                              failure
//   mcpgate policy explain --config C --user U --client C
//                                              which tools this user + agent pair may call,
//                                              from the configured policy (allowed, conditional
//                                              on arguments/request facts, or denied)
//   mcpgate tuples write|delete|read ...       relationship tuples of the RUNNING gate, through
//                                              its OpenFGA-compatible API (openfga_api.hpp), in
//                                              one organization's store (--org, default
//                                              "default")
//
// Why tuples go through the API rather than the database: the running gate holds the store in
// memory and validates every write against its current model; going through it means one
// validation path, one audit trail (the gate's log), an immediate effect on the next call, and
// the same command works against a remote or replicated deployment. It is also exactly what the
// OpenFGA CLI does (`fga tuple write --api-url ...`), so both tools can be used side by side.
//
// Exit codes: 0 success, 1 the command ran and found a failure (invalid model, failing test,
// rejected write), 2 usage or I/O errors (unreadable file, unreachable server).

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authz/engine.hpp"
#include "core/result.hpp"
#include "policy/options.hpp"

namespace CLI {
class App;
}

namespace mcpgate::policy {

// ---- policy validate -----------------------------------------------------------------------

int run_validate(const std::string& path, std::ostream& out, std::ostream& err);

// ---- policy test ---------------------------------------------------------------------------

struct StoreTestOptions {
  bool verbose = false;  // print passing assertions too
  // Like the OpenFGA CLI, files a store file names must stay inside its directory (no absolute
  // paths, no `..`, no symlinks out) unless the operator allows otherwise.
  bool allow_external_files = false;
};

struct StoreTestReport {
  int tests = 0;
  int failed_tests = 0;
  int assertions = 0;
  int failed_assertions = 0;
};

// Runs every test of the store file, printing results to `out`. An Error is a file that could
// not be read or understood (not a failing test).
Result<StoreTestReport> run_store_tests(const std::string& path, const StoreTestOptions& options,
                                        std::ostream& out);

// ---- policy explain ------------------------------------------------------------------------

struct ToolRef {
  std::string server;  // empty: the authorizer's default_server
  std::string name;
};

enum class Verdict { kAllowed, kConditional, kDenied, kError };
const char* verdict_name(Verdict v);

struct ExplainEntry {
  std::string object;  // the tool's policy object ("tool:calendar/list_events")
  Verdict user = Verdict::kDenied;
  Verdict client = Verdict::kDenied;
  Verdict combined = Verdict::kDenied;
  std::string detail;  // the missing parameters of a conditional grant, or the error
};

// Both checks of a tools/call (ToolAuthorizerOptions' templates) for every candidate tool: the
// given tools plus every object of the templates' object type that has tuples in the store.
// No arguments and no request facts are known here, so a grant that needs them is
// "conditional"; any other error counts as denied (fail closed), shown as "error".
std::vector<ExplainEntry> explain_pair(const authz::Engine& engine, const ToolAuthorizerOptions& authorizer,
                                       std::string_view user, std::string_view client,
                                       const std::vector<ToolRef>& tools);
void print_explain(const std::vector<ExplainEntry>& entries, std::string_view user, std::string_view client,
                   std::ostream& out);

// ---- tuples (through a running gate's API) -------------------------------------------------

struct ApiTarget {
  std::string url;       // base URL of the gate ("http://127.0.0.1:8080")
  std::string token;     // the admin token
  std::string store_id;  // empty: the store of `org` (GET /stores)
  std::string org = "default";  // whose store, when store_id is empty
};

struct TupleArgs {
  std::string user;
  std::string relation;
  std::string object;
  std::string condition;     // write only: condition name
  std::string context_json;  // write only: the condition's context (a JSON object)
  std::string file;          // write/delete: tuples from a YAML/JSON/CSV file instead
  bool json = false;         // read: print OpenFGA's JSON instead of one tuple per line
};

// verb: "write" | "delete" | "read".
int run_tuples(const std::string& verb, const ApiTarget& target, const TupleArgs& args, std::ostream& out,
               std::ostream& err);

// ---- wiring into the `mcpgate` command line ------------------------------------------------

// What the commands need from a configuration file (loaded by the app, which owns the format).
struct PolicyCliConfig {
  PolicyOptions policy;         // store_file / model_file relative to config_dir
  std::string config_dir;
  std::string base_url;         // where the running gate listens (public_url)
  std::vector<ToolRef> tools;   // the tools the configuration serves
};
using ConfigLoader = std::function<Result<PolicyCliConfig>(const std::string& path)>;

class PolicyCommands {
 public:
  // Adds `policy validate|test|explain` and `tuples write|delete|read` to `app`.
  explicit PolicyCommands(CLI::App& app);
  ~PolicyCommands();
  PolicyCommands(const PolicyCommands&) = delete;
  PolicyCommands& operator=(const PolicyCommands&) = delete;

  // True when the parsed command line selected one of these commands.
  bool parsed() const;
  // Runs it; the exit code.
  int run(const ConfigLoader& load_config, std::ostream& out, std::ostream& err) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mcpgate::policy
