#include "admin/admin_mcp.hpp"

#include <utility>

#include "admin/errors.hpp"
#include "core/log.hpp"
#include "mcp/json_io.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::admin {
namespace {

using Json = nlohmann::json;

bool amcp_idempotent(const Operation& op) {
  // RFC 9110 §9.2.2: GET, PUT and DELETE are idempotent; POST is not assumed to be.
  return op.method == http::bhttp::verb::get || op.method == http::bhttp::verb::put ||
         op.method == http::bhttp::verb::delete_;
}

std::string amcp_description(const Operation& op) {
  std::string d(op.summary);
  d += ". Needs the permission ";
  d += op.permission;
  d += " on organization:<your organization> and the ";
  d += op.scope;
  d += " scope.";
  if (op.gate_wide) {
    d += " Acts on the whole gate: only callers of the operator organization may call it.";
  }
  if (op.destructive) {
    d += " Destructive: runs only after a human approves these exact arguments.";
  }
  return d;
}

// Text of one JSON value for the human reading an approval request.
std::string amcp_json_text(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// How a refused or failed call reads in the tool result.
std::string amcp_error_text(const Operation& op, const Error& error) {
  const std::string tool = snake_case(op.operation_id);
  const int status = admin_error_status(error);
  switch (status) {
    case 401:
    case 403:
      return tool + " was refused: " + error.message;
    case 400:
      return tool + ": invalid arguments: " + error.message;
    case 404:
      return tool + ": not found: " + error.message;
    case 409:
      return tool + ": conflict: " + error.message;
    case 503:
      return tool + " could not run: the store is unavailable; retry";
    default:
      break;
  }
  if (status >= 500) {
    log::error("admin_mcp_internal_error",
               {{"operation", std::string(op.operation_id)}, {"error", error.message}});
    return tool + " failed: internal error";
  }
  return tool + " failed: " + error.message;
}

class AdminToolLister final : public mcp::ToolAuthorizer {
 public:
  explicit AdminToolLister(std::shared_ptr<const OperationRunner> runner)
      : runner_(std::move(runner)) {}

  mcp::ToolDecision authorize_call(const mcp::ToolCall&) const override {
    // The runner decides, inside the tool, so that a refusal is a tool result and is recorded.
    mcp::ToolDecision d;
    d.allowed = true;
    return d;
  }

  std::vector<bool> may_list(const mcp::Caller* caller,
                             const std::vector<mcp::Tool>& tools) const override {
    std::vector<bool> out(tools.size(), false);
    if (caller == nullptr) {
      return out;
    }
    for (std::size_t i = 0; i < tools.size(); ++i) {
      const Operation* op = find_operation(tools[i].policy_name);
      out[i] = op != nullptr && runner_->authorize(*caller, *op).ok();
    }
    return out;
  }

 private:
  std::shared_ptr<const OperationRunner> runner_;
};

// Steps 1-3 of the runner without a record: an approval is asked only for a call that would
// run (a caller without the permission is refused by the runner, and recorded, instead).
Status amcp_would_run(const OperationRunner& runner, const mcp::Caller& caller,
                      const Operation& op, const Json& args) {
  MCPGATE_TRY(runner.authorize(caller, op));
  return check_arguments(op, args, runner.page_rules().max_page_size);
}

Json amcp_no_client_approval(const Operation& op) {
  return mcp::tool_error(
      snake_case(op.operation_id) +
      " is destructive and needs a human's approval of these exact arguments, but this client "
      "cannot ask (it did not declare the elicitation capability) and approval links are not "
      "available on this gate. Nothing was done.");
}

std::string amcp_link_message(const Operation& op, const std::string& url) {
  return snake_case(op.operation_id) +
         " is destructive and needs a human's approval of these exact arguments. Nothing was "
         "done yet. Open " + url +
         " signed in as the same user, approve, then repeat this call with the same arguments "
         "(the approval is used once and expires).";
}

// The whole call: approval (destructive operations), then the runner on the store executor.
// Parameters by value (coroutine rules); `ctx` stays valid until this completes.
asio::awaitable<Result<Json>> amcp_call(std::shared_ptr<const AdminTools> tools,
                                        const Operation* op, Json args,
                                        mcp::ToolContext& ctx) {
  const mcp::Caller* who = ctx.caller();
  if (who == nullptr) {
    co_return mcp::tool_error("the admin tools need an authenticated caller");
  }
  const mcp::Caller caller = *who;
  if (op->destructive && amcp_would_run(*tools->runner, caller, *op, args).ok()) {
    if (client_elicits_forms(ctx)) {
      Json params = approval_elicitation(*op, caller, args, ctx.protocol_version());
      std::string method = "elicitation/create";
      const Result<Json> reply = co_await ctx.request_client(std::move(method), std::move(params));
      const ApprovalAnswer answer = read_approval_answer(reply);
      if (!answer.accepted) {
        tools->runner->record_refusal(caller, *op, args, "mcp", answer.why);
        co_return mcp::tool_error(snake_case(op->operation_id) + " was not run: " + answer.why);
      }
    } else if (tools->approvals == nullptr) {
      tools->runner->record_refusal(caller, *op, args, "mcp", "approval needed; client cannot elicit");
      co_return amcp_no_client_approval(*op);
    } else {
      const std::string binding = approval_binding(caller, *op, args);
      const ApprovalBook& book = *tools->approvals;
      auto take = [&] { return book.take(caller, binding); };
      const Result<bool> taken = co_await tools->executor->run(std::move(take));
      if (!taken) {
        co_return admin_tool_result(*op, Result<Json>(taken.error()));
      }
      if (!*taken) {
        auto ask = [&] { return book.request(caller, *op, args, binding); };
        const Result<std::string> id = co_await tools->executor->run(std::move(ask));
        if (!id) {
          co_return admin_tool_result(*op, Result<Json>(id.error()));
        }
        tools->runner->record_refusal(caller, *op, args, "mcp", "waiting for a human's approval");
        const std::string url = book.link(*id);
        mcp::UrlElicitation e;
        e.elicitation_id = *id;
        e.url = url;
        e.message = amcp_link_message(*op, url);
        std::vector<mcp::UrlElicitation> list;
        list.push_back(e);
        co_return mcp::url_elicitation_required(e.message, std::move(list));
      }
    }
  }
  const OperationRunner& runner = *tools->runner;
  auto task = [&] {
    const auto arguments = [&]() -> Result<Json> { return args; };
    return runner.run(caller, *op, arguments, "mcp");
  };
  const Result<Json> outcome = co_await tools->executor->run(std::move(task));
  co_return admin_tool_result(*op, outcome);
}

}  // namespace

Json admin_tool_descriptor(const Operation& op, std::size_t max_page_size) {
  Json annotations = Json::object();
  annotations["readOnlyHint"] = op.read_only();
  annotations["destructiveHint"] = op.destructive;
  if (amcp_idempotent(op)) {
    annotations["idempotentHint"] = true;
  }
  annotations["openWorldHint"] = false;
  Json d = Json::object();
  d["name"] = snake_case(op.operation_id);
  d["description"] = amcp_description(op);
  d["inputSchema"] = arguments_schema(op, max_page_size);
  d["annotations"] = std::move(annotations);
  return d;
}

std::shared_ptr<mcp::Registry> admin_tool_registry(std::shared_ptr<const AdminTools> tools) {
  auto registry = std::make_shared<mcp::Registry>();
  const std::size_t max_page = tools->runner->page_rules().max_page_size;
  for (const auto& op : operations()) {
    mcp::Tool t;
    t.descriptor = admin_tool_descriptor(op, max_page);
    t.server = std::string(kAdminServer);
    t.policy_name = std::string(op.operation_id);
    const Operation* which = &op;
    t.handler = [tools, which](Json args, mcp::ToolContext& ctx) {
      return amcp_call(tools, which, std::move(args), ctx);
    };
    registry->add_tool(std::move(t));
  }
  return registry;
}

std::shared_ptr<const mcp::ToolAuthorizer> admin_tool_lister(
    std::shared_ptr<const OperationRunner> runner) {
  return std::make_shared<AdminToolLister>(std::move(runner));
}

mcp::EndpointOptions admin_mcp_endpoint_options(std::shared_ptr<const mcp::AccessPolicy> access,
                                                std::shared_ptr<const OperationRunner> runner,
                                                const AdminMcpOptions& options) {
  mcp::EndpointOptions o;
  o.server_name = "mcpgate-admin";
  o.server_version = options.server_version;
  o.instructions =
      "Administration of this mcpgate for your organization. Every call is checked against "
      "your role (least privilege) and recorded in the audit log. Destructive tools run only "
      "after a human approves the exact arguments.";
  o.allowed_origins = options.allowed_origins;
  o.max_sessions = options.max_sessions;
  o.session_idle_timeout = options.session_idle_timeout;
  o.client_request_timeout = options.approval_wait;
  o.access = std::move(access);
  o.authorizer = admin_tool_lister(std::move(runner));
  return o;
}

std::shared_ptr<mcp::Endpoint> make_admin_mcp_endpoint(
    std::shared_ptr<const mcp::AccessPolicy> access, std::shared_ptr<const AdminTools> tools,
    const AdminMcpOptions& options) {
  mcp::EndpointOptions o = admin_mcp_endpoint_options(std::move(access), tools->runner, options);
  return std::make_shared<mcp::Endpoint>(std::move(o), admin_tool_registry(std::move(tools)));
}

void mount_admin_mcp(http::Router& router, std::shared_ptr<mcp::Endpoint> endpoint) {
  router.add(std::string(kMcpPath),
             [endpoint](http::Exchange& ex) { return endpoint->handle(ex); });
}

Json admin_tool_result(const Operation& op, const Result<Json>& outcome) {
  if (!outcome) {
    return mcp::tool_error(amcp_error_text(op, outcome.error()));
  }
  Json r = Json::object();
  Json content = Json::array();
  content.push_back(mcp::text_content(mcp::dump_json(*outcome)));
  r["content"] = std::move(content);
  if (outcome->is_object()) {
    r["structuredContent"] = *outcome;
  }
  return r;
}

bool client_elicits_forms(const mcp::ToolContext& ctx) {
  if (ctx.era() != mcp::Era::kSession) {
    return false;
  }
  const Json& caps = ctx.client_capabilities();
  if (!caps.is_object()) {
    return false;
  }
  const auto e = caps.find("elicitation");
  if (e == caps.end() || !e->is_object()) {
    return false;
  }
  // MCP 2025-11-25: an empty object means form mode; otherwise "form" must be declared.
  return e->empty() || (e->contains("form") && (*e)["form"].is_object());
}

Json approval_elicitation(const Operation& op, const mcp::Caller& caller, const Json& args,
                          std::string_view protocol_version) {
  std::string message = "Approve the destructive admin operation " +
                        snake_case(op.operation_id) + " (" + std::string(op.summary) +
                        ") for user " + caller.subject + " of organization " + caller.org_id +
                        " through client " + caller.client_id +
                        " with exactly these arguments: " + amcp_json_text(args) +
                        ". It runs once if you accept with confirm = true; decline or cancel "
                        "and nothing is done.";
  Json confirm = Json::object();
  confirm["type"] = "boolean";
  confirm["title"] = "Run " + snake_case(op.operation_id) + " with these arguments";
  Json properties = Json::object();
  properties["confirm"] = std::move(confirm);
  Json schema = Json::object();
  schema["type"] = "object";
  schema["properties"] = std::move(properties);
  schema["required"] = Json::array({"confirm"});
  Json params = Json::object();
  // The mode member exists from 2025-11-25 on; older clients' schemas do not know it.
  if (protocol_version >= std::string_view("2025-11-25")) {
    params["mode"] = "form";
  }
  params["message"] = std::move(message);
  params["requestedSchema"] = std::move(schema);
  return params;
}

ApprovalAnswer read_approval_answer(const Result<Json>& answer) {
  ApprovalAnswer out;
  if (!answer) {
    out.why = "no approval (" + answer.error().message + ")";
    return out;
  }
  const Json& r = *answer;
  const std::string action = r.is_object() ? r.value("action", "") : std::string();
  if (action == "decline") {
    out.why = "the approval was declined";
    return out;
  }
  if (action == "cancel") {
    out.why = "the approval was cancelled";
    return out;
  }
  if (action != "accept") {
    out.why = "the approval answer is malformed";
    return out;
  }
  const auto content = r.find("content");
  if (content == r.end() || !content->is_object() || !content->contains("confirm") ||
      (*content)["confirm"] != true) {
    out.why = "the approval was accepted without confirm = true";
    return out;
  }
  out.accepted = true;
  return out;
}

}  // namespace mcpgate::admin
