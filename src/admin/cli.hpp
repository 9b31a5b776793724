#pragma once
// CLI parity for the admin plane (issue 9 item 4): `mcpgate admin <command>` for every
// operation of the table (operations.hpp), generated from it — a new operation is a new
// subcommand with no code here, so the CLI cannot fall behind the API.
//
//   mcpgate admin list-users [--limit N] [--cursor C]
//   mcpgate admin revoke-user-grant --user-id bob --grant-id G [--url U] [--token-file F]
//
// Command names are the operationIds in kebab case; each parameter is an option of the same
// name (user_id -> --user-id), required ones marked required. The arguments are checked with
// the same validator the server uses before anything is sent, then the call goes to the
// running gate's Admin API (never to the database: one authorization path, one audit trail,
// and the same command works against a remote or replicated deployment).
//
// The gate's URL: --url, else MCPGATE_URL, else http://127.0.0.1:8080. The access token (an
// admin-audience token from the gate's authorization server): --token-file, else
// MCPGATE_ADMIN_TOKEN; never an argument (other local users can read arguments).
//
// Output: the answer's JSON, pretty-printed, on stdout. Exit codes: 0 success; 1 the gate
// refused or failed the call (its error and description on stderr); 2 usage errors, no token,
// an unreachable gate or an invalid token (401).

#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace mcpgate::admin {

class AdminCommands {
 public:
  explicit AdminCommands(CLI::App& app);
  ~AdminCommands();
  AdminCommands(const AdminCommands&) = delete;
  AdminCommands& operator=(const AdminCommands&) = delete;

  bool parsed() const;
  int run(std::ostream& out, std::ostream& err) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// "listUserGrants" -> "list-user-grants".
std::string kebab_case(std::string_view operation_id);

}  // namespace mcpgate::admin
