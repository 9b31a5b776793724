// JSON-RPC method handlers shared by both protocol eras.

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "mcp/crypto.hpp"
#include "mcp/endpoint_impl.hpp"
#include "mcp/schema.hpp"

namespace mcpgate::mcp {

namespace {

constexpr size_t kMaxCompletionValues = 100;
constexpr std::string_view kStatePrefix = "s1.";

const std::string* string_param(const Json& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end() || !it->is_string()) {
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

Reply invalid_params(std::string message, Json data = nullptr) {
  return Reply::fail(rpc::kInvalidParams, std::move(message), std::move(data));
}

// Pagination cursors are opaque to clients: base64url("o:<offset>").
std::optional<size_t> parse_cursor(const Json& params) {
  auto it = params.find("cursor");
  if (it == params.end() || it->is_null()) {
    return 0;
  }
  if (!it->is_string()) {
    return std::nullopt;
  }
  auto raw = base64url_decode(it->get<std::string>());
  if (!raw || raw->size() < 3 || raw->rfind("o:", 0) != 0) {
    return std::nullopt;
  }
  size_t offset = 0;
  for (size_t i = 2; i < raw->size(); ++i) {
    const char c = (*raw)[i];
    if (c < '0' || c > '9' || offset > 1'000'000'000) {
      return std::nullopt;
    }
    offset = offset * 10 + static_cast<size_t>(c - '0');
  }
  return offset;
}

Reply paged(std::vector<Json> items, const Json& params, size_t page_size, const char* key) {
  auto offset = parse_cursor(params);
  if (!offset || *offset > items.size()) {
    return invalid_params("Invalid params: invalid cursor");
  }
  const size_t end = std::min(items.size(), *offset + std::max<size_t>(page_size, 1));
  Json page = Json::array();
  for (size_t i = *offset; i < end; ++i) {
    page.push_back(std::move(items[i]));
  }
  Json result{{key, std::move(page)}};
  if (end < items.size()) {
    result["nextCursor"] = base64url_encode("o:" + std::to_string(end));
  }
  return Reply::ok(std::move(result));
}

// Which client capability a server→client request needs.
const char* capability_for(std::string_view method) {
  if (method == "sampling/createMessage") {
    return "sampling";
  }
  if (method == "elicitation/create") {
    return "elicitation";
  }
  if (method == "roots/list") {
    return "roots";
  }
  return nullptr;
}

}  // namespace

int log_level_rank(std::string_view level) {
  static constexpr std::string_view kLevels[] = {
      "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
  for (size_t i = 0; i < std::size(kLevels); ++i) {
    if (kLevels[i] == level) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool client_takes_url_elicitation(const RequestScope& scope) {
  if (scope.era != Era::kSession || !scope.client_capabilities.is_object()) {
    return false;
  }
  const auto elicitation = scope.client_capabilities.find("elicitation");
  if (elicitation == scope.client_capabilities.end() || !elicitation->is_object()) {
    return false;
  }
  const auto url = elicitation->find("url");
  return url != elicitation->end() && url->is_object();
}

namespace {

// data of a URLElicitationRequiredError: {"elicitations": [{mode, elicitationId, url, message}]}.
Json url_elicitation_data(const UrlElicitationRequired& required) {
  Json items = Json::array();
  for (const auto& e : required.elicitations) {
    Json item = Json::object();
    item["mode"] = "url";
    item["elicitationId"] = e.elicitation_id;
    item["url"] = e.url;
    item["message"] = e.message;
    items.push_back(std::move(item));
  }
  Json data = Json::object();
  data["elicitations"] = std::move(items);
  return data;
}

}  // namespace

RpcError rpc_error_from(const Error& error, const RequestScope& scope) {
  if (const UrlElicitationRequired* required = url_elicitation_of(error);
      required != nullptr && !required->elicitations.empty()
      && client_takes_url_elicitation(scope)) {
    return RpcError{rpc::kUrlElicitationRequired, error.message, url_elicitation_data(*required),
                    http::StatusCode::ok};
  }
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kFailedPrecondition:
      return RpcError{rpc::kInvalidParams, error.message, nullptr, http::StatusCode::ok};
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kUnauthenticated:
      return RpcError{rpc::kInvalidRequest, error.message, nullptr, http::StatusCode::ok};
    default:
      spdlog::warn("mcp: handler failed: {} ({})", error.message, error_code_name(error.code));
      return RpcError{rpc::kInternalError, "Internal error", nullptr, http::StatusCode::ok};
  }
}

Json Endpoint::Impl::server_capabilities(Era era) const {
  Json caps{{"tools", {{"listChanged", true}}},
            {"resources", {{"subscribe", true}, {"listChanged", true}}},
            {"prompts", {{"listChanged", true}}},
            {"completions", Json::object()},
            {"logging", Json::object()}};
  (void)era;
  return caps;
}

Json Endpoint::Impl::server_info() const {
  return Json{{"name", options.server_name},
              {"version", options.server_version.empty() ? "0.0.0" : options.server_version}};
}

std::string Endpoint::Impl::seal_state(const RequestScope& scope,
                                       const std::string& name,
                                       const std::string& state) const {
  const std::string context = scope.method + "\n" + name + "\n" + scope.subject + "\n" + state;
  return std::string(kStatePrefix) + base64url_encode(state) + "."
         + base64url_encode(hmac_sha256(state_key, context));
}

std::optional<std::string> Endpoint::Impl::open_state(const RequestScope& scope,
                                                      const std::string& name,
                                                      const std::string& sealed) const {
  if (sealed.rfind(kStatePrefix, 0) != 0) {
    return std::nullopt;
  }
  const std::string_view rest = std::string_view(sealed).substr(kStatePrefix.size());
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  auto state = base64url_decode(rest.substr(0, dot));
  auto mac = base64url_decode(rest.substr(dot + 1));
  if (!state || !mac) {
    return std::nullopt;
  }
  const std::string context = scope.method + "\n" + name + "\n" + scope.subject + "\n" + *state;
  if (!constant_time_equal(*mac, hmac_sha256(state_key, context))) {
    return std::nullopt;
  }
  return state;
}

namespace {

// Stateless-era MRTR input checks shared by tools/call, prompts/get and resources/read.
// Fills the context; returns an error reply when the inputs are malformed or tampered with.
std::optional<Reply> take_mrtr_inputs(Endpoint::Impl& impl,
                                      RequestScope& scope,
                                      const std::string& name,
                                      CallContext& ctx) {
  if (scope.era != Era::kStateless) {
    return std::nullopt;
  }
  Json responses = nullptr;
  if (auto it = scope.params.find("inputResponses"); it != scope.params.end()) {
    if (!it->is_object()) {
      return invalid_params("Invalid params: inputResponses must be an object");
    }
    for (const auto& [key, value] : it->items()) {
      if (!value.is_object()) {
        return invalid_params("Invalid params: inputResponses['" + key + "'] must be an object");
      }
    }
    responses = *it;
  }
  std::optional<std::string> state;
  if (auto it = scope.params.find("requestState"); it != scope.params.end() && !it->is_null()) {
    if (!it->is_string()) {
      return invalid_params("Invalid params: requestState must be a string");
    }
    state = impl.open_state(scope, name, it->get<std::string>());
    if (!state) {
      return invalid_params("Invalid params: requestState integrity check failed");
    }
  }
  ctx.set_mrtr(std::move(responses), std::move(state));
  return std::nullopt;
}

// A raw result object (no resultType member) with `"resultType":"complete"` as its first member.
std::string with_complete_result_type(std::string_view raw) {
  constexpr std::string_view kMember = "\"resultType\":\"complete\"";
  std::size_t body = raw.find_first_not_of(" \t\n\r", 1);
  const bool empty = body == std::string_view::npos || raw[body] == '}';
  std::string out;
  out.reserve(raw.size() + kMember.size() + 2);
  out += '{';
  out += kMember;
  if (empty) {
    out += '}';
    return out;
  }
  out += ',';
  out += raw.substr(1);
  return out;
}

// Post-processes a handler's result: seals requestState of an InputRequiredResult (stateless
// era) or turns one into a tool error (session era, where MRTR does not exist).
Reply finish_result(
    Endpoint::Impl& impl, RequestScope& scope, const std::string& name, Json result, bool is_tool) {
  if (!result.is_object()) {
    spdlog::warn("mcp: handler for '{}' returned a non-object result", name);
    return Reply::fail(rpc::kInternalError, "Internal error");
  }
  const bool input_required = result.value("resultType", "") == "input_required";
  if (input_required && scope.era == Era::kSession) {
    if (is_tool) {
      return Reply::ok(
          tool_error("This tool needs client input that this protocol version cannot carry"));
    }
    return Reply::fail(rpc::kInternalError,
                       "Request needs client input not supported by this protocol version");
  }
  if (input_required) {
    if (auto it = result.find("requestState"); it != result.end() && it->is_string()) {
      *it = impl.seal_state(scope, name, it->get<std::string>());
    }
  }
  return Reply::ok(std::move(result));
}

asio::awaitable<Reply> call_tool(Endpoint::Impl& impl, RequestScope& scope) {
  const std::string* name = string_param(scope.params, "name");
  if (name == nullptr) {
    co_return invalid_params("Invalid params: 'name' must be a string");
  }
  auto tool = impl.registry->get_tool(*name);
  // The endpoint already answered 403 for this; kept so no other path can reach a refused tool.
  const bool refused = scope.caller && impl.options.access
                       && !impl.options.access->may_call(*scope.caller, *name);
  if (!tool || refused || (tool->stateless_only && scope.era != Era::kStateless)) {
    co_return invalid_params("Unknown tool: " + *name);
  }
  Json args = Json::object();
  if (auto it = scope.params.find("arguments"); it != scope.params.end() && !it->is_null()) {
    if (!it->is_object()) {
      co_return invalid_params("Invalid params: 'arguments' must be an object");
    }
    args = std::move(*it);  // scope.params is not read for the arguments again
  }
  const auto schema = tool->descriptor.find("inputSchema");
  const Json* input_schema = schema == tool->descriptor.end() ? nullptr : &*schema;
  if (input_schema != nullptr && !(tool->input_accepts_any_object && args.is_object())) {
    apply_schema_defaults(*input_schema, args);
    if (auto valid = validate_json_schema(*input_schema, args); !valid) {
      co_return invalid_params("Invalid arguments for tool " + *name + ": "
                               + valid.error().message);
    }
  }
  // Fine-grained authorization sees exactly the arguments the tool will get, and only arguments
  // that passed the schema.
  const auto started = std::chrono::steady_clock::now();
  const CallAudit* audit = impl.options.audit.get();
  CallRecord record;
  if (audit != nullptr) {
    record.caller = scope.caller.get();
    record.tool = &*tool;
    record.request_id = scope.request_id;
    record.started_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  }
  std::string decision_id;
  if (impl.options.authorizer) {
    ToolCall call{scope.caller.get(), &*tool, &args, scope.source_ip};
    ToolDecision decision = impl.options.authorizer->authorize_call(call);
    if (audit != nullptr) {
      decision_id = decision.decision_id;
    }
    if (!decision.allowed && audit != nullptr) {
      record.arguments = &args;
      record.decision = "deny";
      record.decision_id = decision.decision_id;
      record.reason = decision.message;
      record.outcome = "not_called";
      record.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      audit->record(record);
    }
    if (!decision.allowed) {
      co_return Reply::fail(rpc::kToolCallForbidden,
                            decision.message.empty() ? "tool " + *name + " is not permitted"
                                                     : decision.message,
                            Json{{"tool", *name}, {"decisionId", decision.decision_id}});
    }
  }
  std::shared_ptr<void> quota_slot;  // held until the tool returns
  if (impl.options.limiter) {
    ToolCall call{scope.caller.get(), &*tool, &args, scope.source_ip};
    auto admitted = impl.options.limiter->admit(call);
    if (auto* over = std::get_if<CallLimiter::Refusal>(&admitted)) {
      if (audit != nullptr) {
        record.arguments = &args;
        record.decision = "deny";
        record.decision_id = decision_id;
        const std::string why = "quota " + over->rule;
        record.reason = why;
        record.outcome = "not_called";
        audit->record(record);
      }
      co_return Reply::fail(rpc::kQuotaExceeded,
                            "quota exceeded for tool " + *name + "; retry in "
                                + std::to_string(over->retry_after.count()) + " ms",
                            Json{{"tool", *name},
                                 {"limit", over->rule},
                                 {"retryAfterMs", over->retry_after.count()}});
    }
    quota_slot = std::move(std::get<std::shared_ptr<void>>(admitted));
  }
  if (scope.era == Era::kStateless && tool->required_client_capabilities.is_object()) {
    Json missing = Json::object();
    for (const auto& [cap, value] : tool->required_client_capabilities.items()) {
      if (!scope.client_capabilities.contains(cap)) {
        missing[cap] = value.is_object() ? value : Json::object();
      }
    }
    if (!missing.empty()) {
      co_return Reply::fail(rpc::kMissingClientCapability,
                            "Missing required client capability: " + missing.begin().key(),
                            Json{{"requiredCapabilities", missing}},
                            http::StatusCode::bad_request);
    }
  }
  CallContext ctx(impl, scope);
  if (auto bad = take_mrtr_inputs(impl, scope, *name, ctx)) {
    co_return std::move(*bad);
  }
  Json audited_args;
  if (audit != nullptr) {
    audited_args = args;  // the handler takes the arguments
  }
  Result<ToolOutput> result = ToolOutput{};
  if (tool->raw_handler) {
    result = co_await tool->raw_handler(std::move(args), ctx);
  } else {
    auto json = co_await tool->handler(std::move(args), ctx);
    if (json) {
      result = ToolOutput{std::move(json).value(), {}, false};
    } else {
      result = json.error();
    }
  }
  if (!result && url_elicitation_of(result.error()) != nullptr
      && !client_takes_url_elicitation(scope)) {
    // A client that cannot take -32042 still learns what to do: a tool error whose text names
    // the URL (url_elicitation_required()'s contract).
    result = ToolOutput{tool_error(result.error().message), {}, false};
  }
  const bool raw = result && !result->raw.empty();
  if (audit != nullptr) {
    record.arguments = &audited_args;
    record.decision = "allow";
    record.decision_id = decision_id;
    if (!result) {
      record.outcome = "error";
      record.reason = result.error().message;
    } else if (raw) {
      record.outcome = result->raw_is_error ? "tool_error" : "ok";
      record.result_bytes = static_cast<std::int64_t>(result->raw.size());
    } else {
      auto is_error = result->result.find("isError");
      record.outcome = (is_error != result->result.end() && *is_error == true) ? "tool_error" : "ok";
      record.result_bytes = static_cast<std::int64_t>(
          result->result.dump(-1, ' ', false, Json::error_handler_t::replace).size());
    }
    record.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    audit->record(record);
  }
  if (!result) {
    co_return Reply::fail(rpc_error_from(result.error(), scope));
  }
  if (raw) {
    // Already checked by the handler (ToolOutput::raw): only the stateless era's resultType
    // is added, as dispatch() adds it to every JSON result.
    Reply reply;
    reply.raw_result = scope.era == Era::kStateless ? with_complete_result_type(result->raw)
                                                   : std::move(result->raw);
    co_return reply;
  }
  co_return finish_result(impl, scope, *name, std::move(result->result), true);
}

asio::awaitable<Reply> read_resource(Endpoint::Impl& impl, RequestScope& scope) {
  const std::string* uri = string_param(scope.params, "uri");
  if (uri == nullptr) {
    co_return invalid_params("Invalid params: 'uri' must be a string");
  }
  const int not_found_code =
      scope.era == Era::kStateless ? rpc::kInvalidParams : rpc::kResourceNotFound;
  auto resolved = impl.registry->resolve_resource(*uri);
  if (!resolved || !resolved->reader) {
    co_return Reply::fail(not_found_code, "Resource not found: " + *uri, Json{{"uri", *uri}});
  }
  CallContext ctx(impl, scope);
  if (auto bad = take_mrtr_inputs(impl, scope, *uri, ctx)) {
    co_return std::move(*bad);
  }
  auto result = co_await resolved->reader(*uri, resolved->vars, ctx);
  if (!result) {
    if (result.error().code == ErrorCode::kNotFound) {
      co_return Reply::fail(not_found_code, "Resource not found: " + *uri, Json{{"uri", *uri}});
    }
    co_return Reply::fail(rpc_error_from(result.error(), scope));
  }
  co_return finish_result(impl, scope, *uri, std::move(result).value(), false);
}

asio::awaitable<Reply> get_prompt(Endpoint::Impl& impl, RequestScope& scope) {
  const std::string* name = string_param(scope.params, "name");
  if (name == nullptr) {
    co_return invalid_params("Invalid params: 'name' must be a string");
  }
  auto prompt = impl.registry->get_prompt(*name);
  if (!prompt || (prompt->stateless_only && scope.era != Era::kStateless)) {
    co_return invalid_params("Unknown prompt: " + *name);
  }
  Json args = Json::object();
  if (auto it = scope.params.find("arguments"); it != scope.params.end() && !it->is_null()) {
    if (!it->is_object()) {
      co_return invalid_params("Invalid params: 'arguments' must be an object");
    }
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        co_return invalid_params("Invalid params: prompt argument '" + key + "' must be a string");
      }
    }
    args = *it;
  }
  if (auto declared = prompt->descriptor.find("arguments");
      declared != prompt->descriptor.end() && declared->is_array()) {
    for (const auto& arg : *declared) {
      if (arg.value("required", false) && !args.contains(arg.value("name", ""))) {
        co_return invalid_params("Missing required argument '" + arg.value("name", "")
                                 + "' for prompt " + *name);
      }
    }
  }
  CallContext ctx(impl, scope);
  if (auto bad = take_mrtr_inputs(impl, scope, *name, ctx)) {
    co_return std::move(*bad);
  }
  auto result = co_await prompt->handler(std::move(args), ctx);
  if (!result) {
    co_return Reply::fail(rpc_error_from(result.error(), scope));
  }
  co_return finish_result(impl, scope, *name, std::move(result).value(), false);
}

// complete()'s marker for "ask the remote completer" (never sent: complete_remote() answers).
constexpr int kRemoteCompletion = 1;

Reply complete(Endpoint::Impl& impl, RequestScope& scope) {
  auto ref = scope.params.find("ref");
  auto argument = scope.params.find("argument");
  if (ref == scope.params.end() || !ref->is_object() || argument == scope.params.end()
      || !argument->is_object()) {
    return invalid_params("Invalid params: 'ref' and 'argument' objects are required");
  }
  const std::string* arg_name = string_param(*argument, "name");
  const std::string* arg_value = string_param(*argument, "value");
  if (arg_name == nullptr || arg_value == nullptr) {
    return invalid_params("Invalid params: argument.name and argument.value must be strings");
  }
  Json context = Json::object();
  if (auto c = scope.params.find("context"); c != scope.params.end() && c->is_object()) {
    if (auto a = c->find("arguments"); a != c->end() && a->is_object()) {
      context = *a;
    }
  }
  const std::string type = ref->value("type", "");
  Completer completer;
  RemoteCompleter remote;
  if (type == "ref/prompt") {
    const std::string* name = string_param(*ref, "name");
    auto prompt = name != nullptr ? impl.registry->get_prompt(*name) : nullptr;
    if (!prompt) {
      return invalid_params("Unknown prompt: " + (name ? *name : std::string("(missing)")));
    }
    completer = prompt->completer;
    remote = prompt->remote_completer;
  } else if (type == "ref/resource") {
    const std::string* uri = string_param(*ref, "uri");
    if (uri == nullptr) {
      return invalid_params("Invalid params: ref.uri must be a string");
    }
    completer = impl.registry->template_completer(*uri);
    remote = impl.registry->template_remote_completer(*uri);
  } else {
    return invalid_params("Invalid params: unknown ref type '" + type + "'");
  }
  if (remote) {
    // Answered by the primitive's owner (a gateway upstream); see complete_remote().
    return Reply::fail(kRemoteCompletion, "");
  }
  std::vector<std::string> values;
  if (completer) {
    values = completer(*arg_name, *arg_value, context);
  }
  const size_t total = values.size();
  if (values.size() > kMaxCompletionValues) {
    values.resize(kMaxCompletionValues);
  }
  return Reply::ok(
      Json{{"completion",
            {{"values", values}, {"total", total}, {"hasMore", total > kMaxCompletionValues}}}});
}

// completion/complete for a prompt or template whose owner answers (already validated by
// complete()). The owner's CompleteResult is passed on, capped like local results.
asio::awaitable<Reply> complete_remote(Endpoint::Impl& impl, RequestScope& scope) {
  const Json& ref = scope.params["ref"];
  RemoteCompleter remote;
  if (ref.value("type", "") == "ref/prompt") {
    if (auto prompt = impl.registry->get_prompt(ref.value("name", ""))) {
      remote = prompt->remote_completer;
    }
  } else {
    remote = impl.registry->template_remote_completer(ref.value("uri", ""));
  }
  if (!remote) {
    co_return invalid_params("Unknown reference");
  }
  Json context = scope.params.contains("context") ? scope.params["context"] : Json();
  auto result = co_await remote(scope.params["argument"], std::move(context));
  if (!result) {
    co_return Reply::fail(rpc_error_from(result.error(), scope));
  }
  Json& completion = (*result)["completion"];
  if (!completion.is_object() || !completion.contains("values")
      || !completion["values"].is_array()) {
    co_return Reply::fail(rpc::kInternalError, "malformed completion result");
  }
  if (completion["values"].size() > kMaxCompletionValues) {
    completion["values"].get_ref<Json::array_t&>().resize(kMaxCompletionValues);
    completion["hasMore"] = true;
  }
  co_return Reply::ok(Json{{"completion", completion}});
}

bool cacheable(std::string_view method) {
  return method == "server/discover" || method == "tools/list" || method == "prompts/list"
         || method == "resources/list" || method == "resources/templates/list"
         || method == "resources/read";
}

}  // namespace

asio::awaitable<Reply> Endpoint::Impl::dispatch(RequestScope& scope) {
  const std::string& m = scope.method;
  const bool session = scope.era == Era::kSession;
  Reply reply;
  try {
    if (m == "tools/list") {
      std::vector<Json> items;
      const std::vector<Tool> tools = registry->tools();
      const std::vector<bool> listed = options.authorizer
                                           ? options.authorizer->may_list(scope.caller.get(), tools)
                                           : std::vector<bool>(tools.size(), true);
      for (std::size_t i = 0; i < tools.size(); ++i) {
        const Tool& t = tools[i];
        if (scope.caller && options.access
            && !options.access->may_call(*scope.caller, t.descriptor.value("name", ""))) {
          continue;  // tools the caller may not call are not shown
        }
        if (i >= listed.size() || !listed[i]) {
          continue;  // nor those the tool-level policy refuses (a short answer refuses the rest)
        }
        if (!t.stateless_only || !session) {
          items.push_back(t.descriptor);
        }
      }
      reply = paged(std::move(items), scope.params, options.page_size, "tools");
    } else if (m == "tools/call") {
      reply = co_await call_tool(*this, scope);
    } else if (m == "resources/list") {
      std::vector<Json> items;
      for (const auto& r : registry->resources()) {
        items.push_back(r.descriptor);
      }
      reply = paged(std::move(items), scope.params, options.page_size, "resources");
    } else if (m == "resources/templates/list") {
      std::vector<Json> items;
      for (const auto& t : registry->resource_templates()) {
        items.push_back(t.descriptor);
      }
      reply = paged(std::move(items), scope.params, options.page_size, "resourceTemplates");
    } else if (m == "resources/read") {
      reply = co_await read_resource(*this, scope);
    } else if (m == "prompts/list") {
      std::vector<Json> items;
      for (const auto& p : registry->prompts()) {
        if (!p.stateless_only || !session) {
          items.push_back(p.descriptor);
        }
      }
      reply = paged(std::move(items), scope.params, options.page_size, "prompts");
    } else if (m == "prompts/get") {
      reply = co_await get_prompt(*this, scope);
    } else if (m == "completion/complete") {
      reply = complete(*this, scope);
      if (reply.error && reply.error->code == kRemoteCompletion) {
        reply = co_await complete_remote(*this, scope);
      }
    } else if (session && m == "ping") {
      reply = Reply::ok(Json::object());
    } else if (session && m == "logging/setLevel") {
      const std::string* level = string_param(scope.params, "level");
      if (level == nullptr || log_level_rank(*level) < 0) {
        reply = invalid_params("Invalid params: unknown log level");
      } else {
        scope.session->set_log_level(*level);
        reply = Reply::ok(Json::object());
      }
    } else if (session && (m == "resources/subscribe" || m == "resources/unsubscribe")) {
      const std::string* uri = string_param(scope.params, "uri");
      if (uri == nullptr) {
        reply = invalid_params("Invalid params: 'uri' must be a string");
      } else {
        if (m == "resources/subscribe") {
          scope.session->subscribe(*uri);
        } else {
          scope.session->unsubscribe(*uri);
        }
        reply = Reply::ok(Json::object());
      }
    } else if (!session && m == "server/discover") {
      Json result{{"supportedVersions", Json::array({kStatelessVersion})},
                  {"capabilities", server_capabilities(Era::kStateless)},
                  {"_meta", {{"io.modelcontextprotocol/serverInfo", server_info()}}}};
      if (!options.instructions.empty()) {
        result["instructions"] = options.instructions;
      }
      reply = Reply::ok(std::move(result));
    } else {
      reply = Reply::fail(rpc::kMethodNotFound,
                          "Method not found: " + m,
                          nullptr,
                          session ? http::StatusCode::ok : http::StatusCode::not_found);
    }
  } catch (const std::exception& e) {
    spdlog::error("mcp: {} failed with an exception: {}", m, e.what());
    reply = Reply::fail(rpc::kInternalError, "Internal error");
  }
  if (!session && reply.result && reply.result->is_object()) {
    Json& r = *reply.result;
    if (!r.contains("resultType")) {
      r["resultType"] = "complete";
    }
    if (cacheable(m) && r["resultType"] == "complete") {
      if (!r.contains("ttlMs")) {
        r["ttlMs"] = m == "resources/read" ? 0 : options.list_ttl_ms;
      }
      if (!r.contains("cacheScope")) {
        r["cacheScope"] = (scope.subject.empty() && m != "resources/read") ? "public" : "private";
      }
    }
  }
  co_return reply;
}

// --- CallContext ---

void CallContext::send(const Json& message) {
  const std::string data = dump_json(message);
  if (scope_.can_stream && scope_.stream) {
    scope_.stream->push(data);
  } else if (scope_.session) {
    scope_.session->standalone()->push(data);
  }
}

asio::awaitable<void> CallContext::progress(double progress,
                                            std::optional<double> total,
                                            std::string message) {
  if (!scope_.progress_token || cancelled()) {
    co_return;
  }
  Json params{{"progressToken", *scope_.progress_token}, {"progress", progress}};
  if (total) {
    params["total"] = *total;
  }
  if (!message.empty()) {
    params["message"] = std::move(message);
  }
  send(Json{
      {"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", std::move(params)}});
}

asio::awaitable<void> CallContext::log(std::string level, Json data) {
  if (cancelled()) {
    co_return;
  }
  std::string threshold;
  if (scope_.era == Era::kStateless) {
    if (!scope_.log_level) {
      co_return;  // the client did not opt in to log messages for this request
    }
    threshold = *scope_.log_level;
  } else {
    threshold = scope_.session ? scope_.session->log_level() : "debug";
  }
  const int rank = log_level_rank(level);
  if (rank < 0 || rank < log_level_rank(threshold)) {
    co_return;
  }
  send(
      Json{{"jsonrpc", "2.0"},
           {"method", "notifications/message"},
           {"params",
            {{"level", level}, {"logger", impl_.options.server_name}, {"data", std::move(data)}}}});
}

asio::awaitable<Result<Json>> CallContext::request_client(std::string method, Json params) {
  if (scope_.era != Era::kSession || !scope_.session) {
    co_return make_error(ErrorCode::kFailedPrecondition,
                         "Server-to-client requests are not available in protocol version "
                             + scope_.protocol_version + "; return an InputRequiredResult instead");
  }
  if (const char* cap = capability_for(method);
      cap == nullptr || !scope_.client_capabilities.contains(cap)) {
    co_return make_error(ErrorCode::kFailedPrecondition,
                         "Client does not support " + (cap ? std::string(cap) : method));
  }
  auto notifier = std::make_shared<Notifier>(co_await asio::this_coro::executor);
  auto [id, pending] = scope_.session->begin_client_request(notifier);
  Json request{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) {
    request["params"] = std::move(params);
  }
  send(request);
  const auto deadline = std::chrono::steady_clock::now() + impl_.options.client_request_timeout;
  std::optional<Json> response;
  for (;;) {
    {
      std::lock_guard lock(pending->mu);
      response = pending->response;
    }
    if (response || cancelled() || scope_.session->closed()
        || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    co_await notifier->wait(deadline - std::chrono::steady_clock::now());
  }
  scope_.session->end_client_request(id);
  if (!response) {
    co_return make_error(ErrorCode::kDeadlineExceeded,
                         cancelled() ? "Request cancelled" : "Client did not answer " + method);
  }
  if (auto err = response->find("error"); err != response->end()) {
    std::string text = err->is_object() ? err->value("message", "error") : "error";
    co_return make_error(ErrorCode::kUnavailable,
                         "Client returned an error for " + method + ": " + text);
  }
  co_return response->value("result", Json::object());
}

void CallContext::close_stream() {
  if (scope_.era == Era::kSession && scope_.stream) {
    scope_.stream->request_close();
  }
}

}  // namespace mcpgate::mcp
