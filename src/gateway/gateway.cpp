#include "gateway/gateway.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "gateway/client_sessions.hpp"
#include "gateway/gateway_internal.hpp"
#include "gateway/http_upstream.hpp"
#include "gateway/json_outline.hpp"
#include "gateway/messages.hpp"
#include "http/resilience.hpp"
#include "gateway/stdio_upstream.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::gateway {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxName = 64;
constexpr std::chrono::milliseconds kListTimeout{15000};
constexpr int kMaxPages = 100;

std::string hex_sha256(std::string_view text) {
  return crypto::hex_encode(crypto::sha256(text));
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool offered(const UpstreamOptions& o, const std::string& name) {
  if (!o.include.empty()
      && std::none_of(o.include.begin(), o.include.end(), [&](const std::string& p) {
           return glob_match(p, name);
         })) {
    return false;
  }
  return std::none_of(o.exclude.begin(), o.exclude.end(), [&](const std::string& p) {
    return glob_match(p, name);
  });
}

// The top-level fields in which two definitions differ (for the change log).
std::string changed_fields(const Json& before, const Json& after) {
  std::set<std::string> keys;
  for (const auto& [k, v] : before.items()) {
    keys.insert(k);
  }
  for (const auto& [k, v] : after.items()) {
    keys.insert(k);
  }
  std::string out;
  for (const auto& k : keys) {
    if (before.value(k, Json()) != after.value(k, Json())) {
      out += (out.empty() ? "" : ", ") + k;
    }
  }
  return out.empty() ? "(none)" : out;
}

// tools/list, prompts/list, ... following nextCursor.
asio::awaitable<Result<std::vector<Json>>> list_all(Upstream& upstream,
                                                    const std::string& method,
                                                    const std::string& key) {
  std::vector<Json> out;
  std::optional<std::string> cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    Json params = Json::object();
    if (cursor) {
      params["cursor"] = *cursor;
    }
    // Named, not a temporary inside the co_await: g++ 12 destroys such a temporary twice, and
    // CallHooks owns a string (ARCHITECTURE.md, coroutine rules).
    CallHooks no_hooks;
    auto r = co_await upstream.request(method, params, std::move(no_hooks), kListTimeout);
    if (!r) {
      co_return r.error();
    }
    const Json& res = (*r)["result"];
    if (!r->contains("result") || !res.is_object() || !res.contains(key) || !res[key].is_array()) {
      co_return make_error(ErrorCode::kInternal,
                           "upstream " + upstream.name() + ": bad " + method + " answer");
    }
    for (const auto& item : res[key]) {
      if (item.is_object()) {
        out.push_back(item);
      }
    }
    auto next = res.find("nextCursor");
    if (next == res.end() || !next->is_string() || next->get<std::string>().empty()) {
      co_return out;
    }
    cursor = next->get<std::string>();
  }
  co_return out;
}

// A progress token for one forwarded call: unique in this process (a random prefix drawn once,
// then a counter). The upstream echoes it on its progress notifications; it grants nothing, so
// no CSPRNG call per tool call (that was 3% of the gateway's CPU per call).
std::string progress_token() {
  static const std::string prefix = "gw-" + crypto::random_token(9) + "-";
  static std::atomic<std::uint64_t> next{1};
  return prefix + std::to_string(next.fetch_add(1, std::memory_order_relaxed));
}

Json error_text(const Json& response) {
  const Json& e = response.value("error", Json::object());
  return e.is_object() ? e.value("message", Json("error")) : Json("error");
}

// OAuth upstreams: the session capabilities declared for a caller without a session of its own.
const Json& oauth_no_capabilities() {
  static const Json caps = Json::object();
  return caps;
}

constexpr const char* kOAuthConnectTool = "connect";

Json oauth_connect_descriptor(const std::string& name, const std::string& upstream) {
  Json d = Json::object();
  d["name"] = name;
  d["title"] = "Connect your " + upstream + " account";
  d["description"] = "The MCP server '" + upstream +
                     "' needs your own account there (OAuth). Returns the link to open in a "
                     "browser to connect it, or says that you are connected. Its other tools work "
                     "once you are connected.";
  d["inputSchema"] = Json{{"type", "object"}, {"properties", Json::object()}};
  d["annotations"] = Json{{"readOnlyHint", true}, {"destructiveHint", false},
                          {"idempotentHint", true}, {"openWorldHint", false}};
  return d;
}

Json oauth_connect_text(const std::string& text) {
  Json item = Json::object();
  item["type"] = "text";
  item["text"] = text;
  Json out = Json::object();
  out["content"] = Json::array({item});
  return out;
}

// The connect tool: a free coroutine holding its state by value (the registry's handler may be
// replaced while a call runs).
asio::awaitable<Result<Json>> oauth_connect_call(std::weak_ptr<Gateway> weak_gw,
                                                 std::string upstream,
                                                 std::shared_ptr<UpstreamCredentials> credentials,
                                                 mcp::ToolContext& ctx) {
  const mcp::Caller* caller = ctx.caller();
  if (caller == nullptr || caller->subject.empty()) {
    co_return mcp::tool_error("upstream " + upstream + " needs a signed-in user");
  }
  const std::string link = credentials->connect_link(upstream);
  auto authorized = co_await credentials->caller_authorization(upstream, caller->subject, false);
  if (!authorized) {
    if (authorized.error().code == ErrorCode::kFailedPrecondition) {
      co_return oauth_connect_text(authorized.error().message);
    }
    co_return mcp::tool_error("upstream " + upstream + ": your connection could not be used now");
  }
  // Connected: read the upstream's lists now (they need a connected user's token).
  if (auto gw = weak_gw.lock()) {
    auto resync = [gw, upstream]() -> asio::awaitable<void> {
      auto st = co_await gw->refresh(upstream);
      if (!st) {
        log::warn("upstream_sync_failed", {{"upstream", upstream}, {"error", st.error().message}});
      }
    };
    const auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, std::move(resync), asio::detached);
  }
  co_return oauth_connect_text("Your " + upstream + " account is connected (manage it at " + link +
                               "). Its tools are listed as soon as they have been read.");
}

// A tool error as a raw handler's output.
mcp::ToolOutput forward_error(std::string text) {
  mcp::ToolOutput out;
  out.result = mcp::tool_error(std::move(text));
  return out;
}

// The upstream's result as the text it sent, when it can be forwarded unparsed: an object with
// unambiguous keys (json_outline.hpp), a `content` array and no `resultType` (which the
// endpoint would have to look into). Anything else (nullopt) takes the parsed path, which also
// refuses a malformed result as before.
std::optional<mcp::ToolOutput> plain_tool_result(RawResponse& response) {
  constexpr std::size_t kMaxResultDepth = 256;
  auto outline = outline_json(response.result_text(), kMaxResultDepth);
  if (!outline || !outline->is_object() || outline->ambiguous_keys()
      || outline->find("resultType") != nullptr) {
    return std::nullopt;
  }
  const JsonMember* content = outline->find("content");
  if (content == nullptr || content->value.front() != '[') {
    return std::nullopt;
  }
  const JsonMember* is_error = outline->find("isError");
  mcp::ToolOutput out;
  out.raw_is_error = is_error != nullptr && is_error->value == "true";
  const std::size_t begin = response.result_begin;
  const std::size_t size = response.result_size;
  out.raw = std::move(response.text);
  out.raw.erase(begin + size);
  out.raw.erase(0, begin);
  return out;
}

// A forwarded tool's JSON handler (mcp::Tool::handler) on top of its raw one.
asio::awaitable<Result<Json>> forwarded_as_json(mcp::RawToolHandler raw,
                                                Json args,
                                                mcp::ToolContext& ctx) {
  auto out = co_await raw(std::move(args), ctx);
  if (!out) {
    co_return out.error();
  }
  if (out->raw.empty()) {
    co_return std::move(out->result);
  }
  co_return Json::parse(out->raw, nullptr, false);  // checked well-formed by plain_tool_result
}

}  // namespace

std::string pin_definition(const Json& tool) {
  Json d = Json::object();
  for (const char* k :
       {"name", "title", "description", "inputSchema", "outputSchema", "annotations"}) {
    if (auto it = tool.find(k); it != tool.end()) {
      d[k] = *it;
    }
  }
  return d.dump();  // nlohmann orders object keys: the text is canonical for equal JSON
}

std::string exposed_name(const std::string& prefix,
                         const std::string& separator,
                         const std::string& name) {
  std::string full = prefix.empty() ? name : prefix + separator + name;
  if (full.size() <= kMaxName) {
    return full;
  }
  // Keep the readable head, make it unique with a short hash of the whole name.
  const std::string tag = hex_sha256(full).substr(0, 8);
  return full.substr(0, kMaxName - 9) + "_" + tag;
}

namespace {

// completion/complete for one of an upstream's prompts or templates, asked of that upstream.
mcp::RemoteCompleter remote_completer(std::weak_ptr<Gateway::UpstreamState> weak,
                                      std::string ref_type,
                                      std::string ref_key,
                                      std::string ref_value) {
  return [weak, ref_type, ref_key, ref_value](Json argument,
                                              Json context) -> asio::awaitable<Result<Json>> {
    auto s = weak.lock();
    if (!s) {
      co_return make_error(ErrorCode::kUnavailable, "upstream gone");
    }
    Json params =
        completion_params(ref_type, ref_key, ref_value, std::move(argument), std::move(context));
    CallHooks no_hooks;  // named: see list_all
    auto r = co_await s->upstream->request(
        "completion/complete", std::move(params), std::move(no_hooks), kListTimeout);
    if (!r) {
      co_return r.error();
    }
    if (!r->contains("result")) {
      co_return make_error(ErrorCode::kInvalidArgument, "completion refused upstream");
    }
    co_return (*r)["result"];
  };
}

}  // namespace

Result<std::shared_ptr<Gateway>> Gateway::create(GatewayOptions options, Deps deps) {
  std::shared_ptr<Gateway> gw(new Gateway(std::move(options), std::move(deps)));
  for (const auto& o : gw->options_.upstreams) {
    MCPGATE_ASSIGN_OR_RETURN(auto state, gw->make_upstream(o));
    gw->upstreams_.push_back(std::move(state));
  }
  return gw;
}

Gateway::Gateway(GatewayOptions options, Deps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {}

Gateway::~Gateway() {
  stop();
}

void Gateway::stop() {
  if (stopped_->exchange(true)) {
    return;
  }
  std::lock_guard lock(upstreams_mu_);
  for (auto& s : upstreams_) {
    s->upstream->shutdown();
  }
}

asio::awaitable<void> Gateway::start() {
  // First contact with every upstream concurrently would be nicer; in order is simple and the
  // supervisors take over for the ones that fail.
  std::vector<std::shared_ptr<UpstreamState>> states;
  {
    std::lock_guard lock(upstreams_mu_);
    states = upstreams_;
  }
  for (auto& state : states) {
    auto st = co_await sync(state);
    if (!st) {
      log::warn("upstream_unavailable",
                {{"upstream", state->options.name}, {"error", st.error().message}});
    }
    auto self = shared_from_this();
    auto supervise_it = [self, state]() -> asio::awaitable<void> {
      co_await self->supervise(state);
    };
    asio::co_spawn(deps_.executor, std::move(supervise_it), asio::detached);
  }
}

asio::awaitable<void> Gateway::supervise(std::shared_ptr<UpstreamState> state) {
  // Re-reads the lists every refresh_interval; while the upstream is down, retries with an
  // exponential backoff (1 s doubling to the refresh interval).
  auto stopped = stopped_;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::chrono::milliseconds wait =
      std::min(deps_.refresh_interval, std::chrono::milliseconds(1000));
  bool healthy = false;
  {
    std::lock_guard lock(state->mu);
    healthy = !state->tools.empty() || !state->prompts.empty() || !state->resources.empty();
  }
  if (healthy) {
    wait = deps_.refresh_interval;
  }
  while (!stopped->load() && !state->retired.load()) {
    timer.expires_after(wait);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped->load() || state->retired.load()) {
      co_return;
    }
    auto st = co_await sync(state);
    if (st) {
      wait = deps_.refresh_interval;
    } else {
      log::warn("upstream_sync_failed",
                {{"upstream", state->options.name}, {"error", st.error().message}});
      wait = std::min(deps_.refresh_interval, wait * 2);
    }
  }
}

asio::awaitable<Status> Gateway::refresh(std::string upstream) {
  std::shared_ptr<UpstreamState> found;
  {
    std::lock_guard lock(upstreams_mu_);
    for (auto& s : upstreams_) {
      if (s->options.name == upstream) {
        found = s;
      }
    }
  }
  if (found) {
    co_return co_await sync(found);
  }
  co_return make_error(ErrorCode::kNotFound, "no upstream named " + upstream);
}

void Gateway::on_unsolicited(std::weak_ptr<UpstreamState> weak, const Json& n) {
  auto state = weak.lock();
  if (!state || stopped_->load() || state->retired.load()) {
    return;
  }
  const std::string method = string_member(n, "method");
  if (method == "notifications/resources/updated") {
    const Json& params = n.value("params", Json::object());
    if (params.is_object() && params.contains("uri") && params["uri"].is_string()) {
      deps_.registry->notify_resource_updated(params["uri"].get<std::string>());
    }
    return;
  }
  if (method == "notifications/tools/list_changed" || method == "notifications/prompts/list_changed"
      || method == "notifications/resources/list_changed") {
    auto self = shared_from_this();
    auto resync = [self, state]() -> asio::awaitable<void> {
      auto st = co_await self->sync(state);
      if (!st) {
        log::warn("upstream_sync_failed",
                  {{"upstream", state->options.name}, {"error", st.error().message}});
      }
    };
    asio::co_spawn(deps_.executor, std::move(resync), asio::detached);
  }
}

asio::awaitable<Status> Gateway::sync(std::shared_ptr<UpstreamState> state) {
  {
    // One sync per upstream at a time; a request during one runs once more afterwards.
    std::lock_guard lock(state->mu);
    if (state->retired.load()) {
      co_return make_error(
          ErrorCode::kUnavailable,
          "upstream " + state->options.name + " was removed from the configuration");
    }
    if (state->syncing) {
      state->resync = true;
      co_return Status{};
    }
    state->syncing = true;
  }
  if (state->options.oauth.enabled && deps_.credentials) {
    register_connect_tool(state);
  }
  Status result;
  for (;;) {
    result = co_await state->upstream->ensure_ready();
    if (result) {
      result = co_await sync_tools(state);
    }
    // An OAuth upstream's prompts and resources are not federated: their reads would go on the
    // shared session, i.e. with the catalog user's token (a confused deputy). Tools only, each
    // call with the caller's own token.
    if (result && !state->options.oauth.enabled) {
      co_await sync_prompts(state);
      co_await sync_resources(state);
    }
    std::lock_guard lock(state->mu);
    if (!state->resync || !result) {
      state->syncing = false;
      state->resync = false;
      break;
    }
    state->resync = false;
  }
  if (state->retired.load()) {
    unregister(*state);  // a reload retired it while this ran: take back what it added
  }
  co_return result;
}

asio::awaitable<bool> Gateway::pinned_ok(std::shared_ptr<UpstreamState> state,
                                         std::string tool,
                                         Json definition) {
  if (!options_.pin_tools) {
    co_return true;
  }
  const std::string text = pin_definition(definition);
  const std::string hash = hex_sha256(text);
  const std::string& up = state->options.name;
  if (deps_.store == nullptr) {
    std::lock_guard lock(state->mu);
    auto [it, inserted] = state->memory_pins.emplace(tool, hash);
    if (!inserted && it->second != hash) {
      log::warn("tool_changed_withheld", {{"upstream", up}, {"tool", tool}});
      co_return false;
    }
    co_return true;
  }
  store::ToolPin pin;
  pin.upstream = up;
  pin.tool = tool;
  pin.hash = hash;
  pin.definition = text;
  pin.approved_at = unix_now();
  pin.approved_by = "first-sight";
  store::Store* store = deps_.store;
  auto pin_it = [store, pin]() {
    return store->pin_tool_if_absent(pin);
  };
  Result<store::ToolPin> stored = make_error(ErrorCode::kInternal, "unset");
  if (deps_.store_executor != nullptr) {
    stored = co_await deps_.store_executor->run(std::move(pin_it));
  } else {
    stored = pin_it();
  }
  if (!stored) {
    // Fail closed: a tool whose pin cannot be checked is not offered.
    log::error("tool_pin_failed",
               {{"upstream", up}, {"tool", tool}, {"error", stored.error().message}});
    co_return false;
  }
  if (stored->hash == hash) {
    co_return true;
  }
  if (stored->pending_hash != hash) {
    Json before = Json::parse(stored->definition, nullptr, false);
    if (before.is_discarded()) {
      before = Json::object();
    }
    // The diff: which fields changed, and the old and new text of each (definitions are
    // operator-visible metadata, not secrets).
    const Json now_def = Json::parse(text);
    const Json diff = definition_diff(before, now_def);
    log::warn("tool_definition_changed",
              {{"upstream", up},
               {"tool", tool},
               {"fields", changed_fields(before, now_def)},
               {"diff", diff},
               {"effect", "withheld until `mcpgate tools approve " + up + " " + tool + "`"}});
    auto mark = [store, up, tool, hash, text]() {
      return store->set_tool_pin_pending(up, tool, hash, text, unix_now());
    };
    Status marked;
    if (deps_.store_executor != nullptr) {
      marked = co_await deps_.store_executor->run(std::move(mark));
    } else {
      marked = mark();
    }
    if (!marked) {
      log::error("tool_pin_failed",
                 {{"upstream", up}, {"tool", tool}, {"error", marked.error().message}});
    }
  }
  co_return false;
}

asio::awaitable<Status> Gateway::sync_tools(std::shared_ptr<UpstreamState> state) {
  auto listed = co_await list_all(*state->upstream, "tools/list", "tools");
  if (!listed) {
    co_return listed.error();
  }
  const UpstreamOptions& o = state->options;
  std::set<std::string> now;
  std::set<std::string> withheld;
  for (const Json& t : *listed) {
    if (!t.contains("name") || !t["name"].is_string()) {
      continue;
    }
    const std::string original = t["name"].get<std::string>();
    if (original.empty() || original.size() > 128 || !offered(o, original)) {
      continue;
    }
    if (o.oauth.enabled && original == kOAuthConnectTool) {
      log::warn("tool_name_taken", {{"upstream", o.name}, {"tool", original}, {"name", "the gate's connect tool"}});
      continue;
    }
    // Named first: g++ 12 miscompiles a co_await inside a condition (see ARCHITECTURE.md).
    const bool pin_ok = co_await pinned_ok(state, original, t);
    if (!pin_ok) {
      withheld.insert(original);
      continue;
    }
    const std::string name = exposed_name(o.prefix, options_.separator, original);
    {
      std::lock_guard lock(state->mu);
      if (!state->tools.count(name) && deps_.registry->get_tool(name)) {
        log::warn("tool_name_taken", {{"upstream", o.name}, {"tool", original}, {"name", name}});
        continue;
      }
    }
    mcp::Tool tool;
    tool.descriptor = t;
    tool.descriptor["name"] = name;
    tool.server = o.name;
    tool.policy_name = original;
    std::weak_ptr<UpstreamState> weak = state;
    const auto timeout = o.call_timeout;
    // A hint from the upstream, used only to decide whether a failed call may be tried again.
    const Json annotations = t.value("annotations", Json::object());
    const bool read_only = true_member(annotations, "readOnlyHint");
    tool.raw_handler = [weak, original, timeout, read_only, credentials = deps_.credentials](
                           Json args,
                           mcp::ToolContext& ctx) -> asio::awaitable<Result<mcp::ToolOutput>> {
      auto s = weak.lock();
      if (!s) {
        co_return forward_error("the upstream of this tool is no longer configured");
      }
      const std::shared_ptr<UpstreamCredentials> creds = credentials;
      const std::string token = progress_token();
      const std::string params = tool_call_params_text(original, args, token);
      CallHooks hooks;
      hooks.on_notification = [&ctx, token](Json n) -> asio::awaitable<void> {
        const std::string method = string_member(n, "method");
        Json p = n.value("params", Json::object());
        if (!p.is_object()) {
          co_return;
        }
        if (method == "notifications/progress" && p.value("progressToken", Json()) == token
            && p.contains("progress") && p["progress"].is_number()) {
          std::optional<double> total;
          if (p.contains("total") && p["total"].is_number()) {
            total = p["total"].get<double>();
          }
          // Arguments named before the co_await: g++ 12 destroys a conditional expression's
          // temporary twice when it sits inside a co_await expression (ARCHITECTURE.md).
          const double progress = p["progress"].get<double>();
          std::string message = string_member(p, "message");
          co_await ctx.progress(progress, total, std::move(message));
        } else if (method == "notifications/message") {
          std::string level = string_member(p, "level", "info");
          Json data = p.value("data", Json());
          co_await ctx.log(std::move(level), std::move(data));
        }
      };
      hooks.on_request = [&ctx](std::string method, Json p) -> asio::awaitable<Result<Json>> {
        co_return co_await ctx.request_client(std::move(method), std::move(p));
      };
      const std::string& up = s->options.name;
      hooks.own_session = own_session(ctx, up);
      hooks.cancelled = ctx.cancellation();
      // OAuth upstream: the caller's own upstream token on a session of the caller's own, keyed
      // by the gate user (the upstream binds sessions to its user). Never the caller's gate token.
      const bool oauth = s->options.oauth.enabled && creds != nullptr;
      std::string oauth_user;
      std::string oauth_key;  // OwnSession views it: lives as long as the call
      if (oauth) {
        const mcp::Caller* caller = ctx.caller();
        if (caller == nullptr || caller->subject.empty()) {
          co_return forward_error("upstream " + up + " needs a signed-in user");
        }
        oauth_user = caller->subject;
        auto authorized = co_await creds->caller_authorization(up, oauth_user, false);
        if (!authorized) {
          if (mcp::url_elicitation_of(authorized.error()) != nullptr) {
            // Not connected: the endpoint answers -32042 (URL elicitation of the connect link)
            // to a client that takes it, a tool error naming the link to any other.
            co_return authorized.error();
          }
          if (authorized.error().code == ErrorCode::kFailedPrecondition) {
            co_return forward_error(authorized.error().message);
          }
          log::warn("upstream_token_failed", {{"upstream", up}, {"error", authorized.error().message}});
          co_return forward_error("upstream " + up + ": your connection could not be used now");
        }
        hooks.authorization = std::move(*authorized);
        oauth_key = "oauth-user:" + oauth_user;
        const Json* caps = hooks.own_session && hooks.own_session->client_capabilities != nullptr
                               ? hooks.own_session->client_capabilities
                               : &oauth_no_capabilities();
        hooks.own_session = OwnSession{oauth_key, std::string_view(), caps};
      }
      bool reauthorized = false;
      if (!s->breaker.allow()) {
        co_return forward_error("upstream " + up
                                  + " is unavailable (too many recent failures; retrying shortly)");
      }
      s->retry_budget.on_call();
      Result<RawResponse> r = make_error(ErrorCode::kInternal, "not sent");
      for (int attempt = 1;; ++attempt) {
        r = co_await s->upstream->request_raw("tools/call", params, hooks, timeout);
        if (r) {
          s->breaker.on_success();  // a JSON-RPC error is an answer too: the upstream is up
          break;
        }
        // Only what cannot have run is tried again, or a read-only tool behind an HTTP
        // 502/503/504 (resilience.hpp).
        const ErrorCode code = r.error().code;
        if (code == ErrorCode::kUnauthenticated && oauth && !reauthorized) {
          // The upstream refused the token (expired early, revoked): refresh once and repeat
          // (a 401 is answered before the call runs).
          reauthorized = true;
          auto again = co_await creds->caller_authorization(up, oauth_user, true);
          if (!again && mcp::url_elicitation_of(again.error()) != nullptr) {
            co_return again.error();  // consent withdrawn: the connect link, as above
          }
          if (!again) {
            co_return forward_error(again.error().code == ErrorCode::kFailedPrecondition
                                          ? again.error().message
                                          : "upstream " + up + " refused your connection");
          }
          hooks.authorization = std::move(*again);
          continue;
        }
        if (code == ErrorCode::kCancelled) {
          break;  // the caller's doing, not the upstream's: no retry, no breaker failure
        }
        const bool retryable = code == ErrorCode::kUnavailable
                               || (read_only && code == ErrorCode::kFailedPrecondition);
        if (!retryable || attempt >= 3 || !s->retry_budget.try_retry()) {
          s->breaker.on_failure();
          break;
        }
        asio::steady_timer pause(co_await asio::this_coro::executor);
        pause.expires_after(retry_delay(attempt));
        boost::system::error_code ec;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!r) {
        switch (r.error().code) {
          case ErrorCode::kDeadlineExceeded:
            co_return forward_error("upstream " + up + " did not answer in time");
          case ErrorCode::kUnavailable:
            co_return forward_error("upstream " + up + " is unavailable");
          case ErrorCode::kCancelled:
            co_return forward_error("the call was cancelled");
          default:
            log::warn("upstream_call_failed",
                      {{"upstream", up}, {"tool", original}, {"error", r.error().message}});
            co_return forward_error("upstream " + up + " failed: " + r.error().message);
        }
      }
      if (!r->text.empty()) {
        // A plain success: forwarded as the bytes the upstream sent (no DOM, no re-serialising).
        std::optional<mcp::ToolOutput> plain = plain_tool_result(*r);
        if (plain) {
          co_return std::move(*plain);
        }
      }
      Json response = std::move(*r).to_message();
      if (response.contains("error")) {
        const Json text = error_text(response);
        co_return forward_error("upstream " + up + " refused the call: "
                                + (text.is_string() ? text.get<std::string>() : "error"));
      }
      mcp::ToolOutput out;
      out.result = std::move(response["result"]);
      const Json& result = out.result;
      if (!result.is_object() || !result.contains("content") || !result["content"].is_array()) {
        co_return forward_error("upstream " + up + " returned a malformed tool result");
      }
      co_return out;
    };
    tool.handler = [raw = tool.raw_handler](Json args, mcp::ToolContext& ctx) {
      return forwarded_as_json(raw, std::move(args), ctx);
    };
    deps_.registry->add_tool(std::move(tool));
    now.insert(name);
  }
  if (o.oauth.enabled && deps_.credentials) {
    now.insert(exposed_name(o.prefix, options_.separator, kOAuthConnectTool));
  }
  std::set<std::string> gone;
  {
    std::lock_guard lock(state->mu);
    for (const auto& n : state->tools) {
      if (!now.count(n)) {
        gone.insert(n);
      }
    }
    state->tools = now;
    state->withheld = withheld;
  }
  for (const auto& n : gone) {
    deps_.registry->remove_tool(n);
  }
  co_return Status{};
}

std::string Gateway::register_connect_tool(const std::shared_ptr<UpstreamState>& state) {
  const UpstreamOptions& o = state->options;
  const std::string name = exposed_name(o.prefix, options_.separator, kOAuthConnectTool);
  {
    std::lock_guard lock(state->mu);
    if (state->tools.count(name)) {
      return name;
    }
    if (deps_.registry->get_tool(name)) {
      log::warn("tool_name_taken", {{"upstream", o.name}, {"tool", kOAuthConnectTool}, {"name", name}});
      return name;
    }
    state->tools.insert(name);
  }
  mcp::Tool tool;
  tool.descriptor = oauth_connect_descriptor(name, o.name);
  tool.server = o.name;
  tool.policy_name = kOAuthConnectTool;
  std::weak_ptr<Gateway> weak_gw = weak_from_this();
  tool.handler = [weak_gw, upstream = o.name, credentials = deps_.credentials](
                     Json, mcp::ToolContext& ctx) {
    return oauth_connect_call(weak_gw, upstream, credentials, ctx);
  };
  deps_.registry->add_tool(std::move(tool));
  return name;
}

asio::awaitable<void> Gateway::sync_prompts(std::shared_ptr<UpstreamState> state) {
  const Json caps = state->upstream->initialize_result().value("capabilities", Json::object());
  if (!caps.is_object() || !caps.contains("prompts")) {
    co_return;
  }
  auto listed = co_await list_all(*state->upstream, "prompts/list", "prompts");
  if (!listed) {
    log::warn("upstream_list_failed",
              {{"upstream", state->options.name},
               {"list", "prompts"},
               {"error", listed.error().message}});
    co_return;
  }
  const UpstreamOptions& o = state->options;
  std::set<std::string> now;
  for (const Json& p : *listed) {
    if (!p.contains("name") || !p["name"].is_string()) {
      continue;
    }
    const std::string original = p["name"].get<std::string>();
    const std::string name = exposed_name(o.prefix, options_.separator, original);
    mcp::Prompt prompt;
    prompt.descriptor = p;
    prompt.descriptor["name"] = name;
    std::weak_ptr<UpstreamState> weak = state;
    const auto timeout = o.call_timeout;
    prompt.handler = [weak, original, timeout](
                         Json args, mcp::ToolContext& ctx) -> asio::awaitable<Result<Json>> {
      auto s = weak.lock();
      if (!s) {
        co_return make_error(ErrorCode::kUnavailable, "upstream gone");
      }
      CallHooks hooks;
      hooks.own_session = own_session(ctx, s->options.name);
      auto r = co_await s->upstream->request(
          "prompts/get", prompt_get_params(original, std::move(args)), std::move(hooks), timeout);
      if (!r) {
        co_return make_error(ErrorCode::kUnavailable,
                             "upstream " + s->options.name + ": " + r.error().message);
      }
      if (r->contains("error")) {
        const Json text = error_text(*r);
        co_return make_error(ErrorCode::kInvalidArgument,
                             text.is_string() ? text.get<std::string>() : "error");
      }
      co_return (*r)["result"];
    };
    prompt.remote_completer = remote_completer(weak, "ref/prompt", "name", original);
    deps_.registry->add_prompt(std::move(prompt));
    now.insert(name);
  }
  std::set<std::string> gone;
  {
    std::lock_guard lock(state->mu);
    for (const auto& n : state->prompts) {
      if (!now.count(n)) {
        gone.insert(n);
      }
    }
    state->prompts = now;
  }
  for (const auto& n : gone) {
    deps_.registry->remove_prompt(n);
  }
}

asio::awaitable<void> Gateway::sync_resources(std::shared_ptr<UpstreamState> state) {
  const Json caps = state->upstream->initialize_result().value("capabilities", Json::object());
  if (!caps.is_object() || !caps.contains("resources")) {
    co_return;
  }
  std::weak_ptr<UpstreamState> weak = state;
  const auto timeout = state->options.call_timeout;
  auto reader = [weak, timeout](std::string uri,
                                std::map<std::string, std::string>,
                                mcp::ToolContext& ctx) -> asio::awaitable<Result<Json>> {
    auto s = weak.lock();
    if (!s) {
      co_return make_error(ErrorCode::kNotFound, "upstream gone");
    }
    CallHooks hooks;
    hooks.own_session = own_session(ctx, s->options.name);
    auto r =
        co_await s->upstream->request("resources/read", uri_params(uri), std::move(hooks), timeout);
    if (!r) {
      co_return make_error(ErrorCode::kUnavailable,
                           "upstream " + s->options.name + ": " + r.error().message);
    }
    if (r->contains("error")) {
      co_return make_error(ErrorCode::kNotFound, "Resource not found: " + uri);
    }
    co_return (*r)["result"];
  };
  auto listed = co_await list_all(*state->upstream, "resources/list", "resources");
  if (listed) {
    std::set<std::string> now;
    for (const Json& r : *listed) {
      if (!r.contains("uri") || !r["uri"].is_string()) {
        continue;
      }
      const std::string uri = r["uri"].get<std::string>();
      bool ours = false;
      {
        std::lock_guard lock(state->mu);
        ours = state->resources.count(uri) > 0;
      }
      if (!ours && deps_.registry->resolve_resource(uri)) {
        continue;  // another upstream (or a built-in) has it
      }
      deps_.registry->add_resource(mcp::Resource{r, reader});
      now.insert(uri);
    }
    std::lock_guard lock(state->mu);
    state->resources = now;
  } else {
    log::warn("upstream_list_failed",
              {{"upstream", state->options.name},
               {"list", "resources"},
               {"error", listed.error().message}});
  }
  auto templates =
      co_await list_all(*state->upstream, "resources/templates/list", "resourceTemplates");
  if (!templates) {
    co_return;
  }
  for (const Json& t : *templates) {
    if (!t.contains("uriTemplate") || !t["uriTemplate"].is_string()) {
      continue;
    }
    mcp::ResourceTemplate tmpl;
    tmpl.descriptor = t;
    tmpl.reader = reader;
    const std::string uri_template = t["uriTemplate"].get<std::string>();
    tmpl.remote_completer = remote_completer(weak, "ref/resource", "uri", uri_template);
    deps_.registry->add_resource_template(std::move(tmpl));
    std::lock_guard lock(state->mu);
    state->templates.insert(uri_template);
  }
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with backtracking to the last '*'.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

}  // namespace mcpgate::gateway
