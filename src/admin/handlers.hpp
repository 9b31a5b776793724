#pragma once
// What each admin operation does, bound by operation id (issue 9). The table (operations.hpp)
// says what an operation is; a handler is the code behind it, registered at start-up by the
// part of the gate that owns the data (users and grants: admin_service.cpp; other areas: their
// own files). The runner (runner.hpp) calls a handler only after the caller's scope, permission
// and arguments were checked, so a handler trusts `args` to match the operation's parameters
// and acts in `caller.org_id` only.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/operations.hpp"
#include "core/result.hpp"
#include "mcp/access.hpp"

namespace mcpgate::admin {

// One page of a keyset-paged list: `after` is the decoded cursor ("" = from the start).
struct Page {
  std::string after;
  std::size_t limit = 0;
};

struct PageRules {
  std::size_t max_page_size = 100;
  std::size_t default_page_size = 50;
};

// How the runner decides (runner.hpp).
struct RunnerOptions {
  PageRules pages;
  // The organization whose administrators run the gate itself: the only one whose callers may
  // call gate-wide operations (Operation::gate_wide).
  std::string operator_org = "default";
};

// limit and cursor from checked arguments. kInvalidArgument for a cursor that is not one of
// ours (base64url of a non-empty id).
Result<Page> page_of(const Json& args, const PageRules& rules);
// The cursor a page's last row gives.
std::string cursor_after(std::string_view last_id);

// One checked call, as a handler sees it.
struct AdminCall {
  const mcp::Caller& caller;
  const Operation& op;
  const Json& args;   // checked against op.params
  Page page;          // paged operations only
  std::string_view channel;  // "api", "mcp" or "console": for the record, not for decisions

  // A string argument, or "" when absent.
  std::string arg(std::string_view name) const;
  const std::string& org() const { return caller.org_id; }
};

using OperationHandler = std::function<Result<Json>(const AdminCall&)>;

class OperationHandlers {
 public:
  // Throws std::logic_error for an id the table does not have or one bound twice: a start-up
  // wiring mistake, never a runtime condition.
  void add(std::string_view operation_id, OperationHandler handler);
  const OperationHandler* find(std::string_view operation_id) const;
  // The table's operations that have no handler (start-up refuses to serve with any).
  std::vector<std::string> missing() const;

 private:
  std::map<std::string, OperationHandler, std::less<>> handlers_;
};

}  // namespace mcpgate::admin
