// The Streamable HTTP side of the MCP endpoint: request validation, era selection, sessions, SSE.

#include "mcp/endpoint.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <variant>

#include <spdlog/spdlog.h>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "http/message.hpp"
#include "mcp/crypto.hpp"
#include "mcp/endpoint_impl.hpp"
#include "mcp/json_writer.hpp"

namespace mcpgate::mcp {

namespace {

using ImplPtr = std::shared_ptr<Endpoint::Impl>;

constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
constexpr std::string_view kVersionHeader = "MCP-Protocol-Version";
constexpr const char* kSessionVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string_view v) {
  std::string out(v);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

std::string_view header_of(const http::Exchange& ex, std::string_view name) {
  return http::trim_ows(http::header(ex.request(), name));
}

Json error_message(const Json& id,
                   int code,
                   const std::string& message,
                   const Json& data = nullptr) {
  Json error{{"code", code}, {"message", message}};
  if (!data.is_null()) {
    error["data"] = data;
  }
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

http::Response json_response(http::StatusCode status, const Json& body) {
  http::Response res = http::make_response(status, dump_json(body), "application/json");
  res.set(http::Field::cache_control, "no-store");
  return res;
}

asio::awaitable<void> respond_error(http::Exchange& ex,
                                    http::StatusCode status,
                                    const Json& id,
                                    int code,
                                    std::string message,
                                    Json data = nullptr) {
  co_await ex.respond(json_response(status, error_message(id, code, message, data)));
}

asio::awaitable<void> respond_empty(http::Exchange& ex, http::StatusCode status) {
  http::Response res{status, 11};
  co_await ex.respond(std::move(res));
}

bool valid_id(const Json& id) {
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

// --- DNS rebinding defence -------------------------------------------------------------------

struct Authority {
  std::string host;  // lower-case, IPv6 with brackets
  std::string port;  // may be empty
};

std::optional<Authority> parse_authority(std::string_view a) {
  if (a.empty()) {
    return std::nullopt;
  }
  Authority out;
  if (a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    out.host = lower(a.substr(0, close + 1));
    auto rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return std::nullopt;
      }
      out.port = std::string(rest.substr(1));
    }
  } else {
    const size_t colon = a.rfind(':');
    if (colon != std::string_view::npos) {
      out.host = lower(a.substr(0, colon));
      out.port = std::string(a.substr(colon + 1));
    } else {
      out.host = lower(a);
    }
  }
  if (!std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return out;
}

bool is_loopback_name(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

// Origin "scheme://authority" → its authority with the default port filled in.
std::optional<Authority> origin_authority(std::string_view origin) {
  const size_t sep = origin.find("://");
  if (sep == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string scheme = lower(origin.substr(0, sep));
  auto rest = origin.substr(sep + 3);
  if (rest.find('/') != std::string_view::npos) {
    rest = rest.substr(0, rest.find('/'));
  }
  auto a = parse_authority(rest);
  if (a && a->port.empty()) {
    a->port = scheme == "https" ? "443" : "80";
  }
  return a;
}

// Returns the rejection status, or nullopt when the request may proceed.
std::optional<http::StatusCode> rebinding_check(const Endpoint::Impl& impl,
                                                const http::Exchange& ex) {
  const std::string_view host_header = header_of(ex, "Host");
  auto host = parse_authority(host_header);
  if (ex.loopback_bind() && (!host || !is_loopback_name(host->host))) {
    return http::StatusCode::forbidden;
  }
  const std::string_view origin = header_of(ex, "Origin");
  if (origin.empty()) {
    return std::nullopt;
  }
  const std::string origin_lc = lower(origin);
  for (const auto& allowed : impl.options.allowed_origins) {
    if (lower(allowed) == origin_lc) {
      return std::nullopt;
    }
  }
  // Same-origin pages served by this (loopback) server.
  auto o = origin_authority(origin);
  if (o && host && is_loopback_name(o->host) && is_loopback_name(host->host)) {
    std::string host_port = host->port;
    if (host_port.empty()) {
      host_port = ex.secure() ? "443" : "80";
    }
    if (o->port == host_port) {
      return std::nullopt;
    }
  }
  return http::StatusCode::forbidden;
}

// --- Accept / Content-Type ---------------------------------------------------------------------

struct AcceptInfo {
  bool json = false;
  bool sse = false;
};

AcceptInfo parse_accept(std::string_view accept) {
  if (accept.empty()) {
    return {true, true};  // lenient: a client that says nothing takes either
  }
  // Case-insensitive substring tests, without a lower-cased copy of the header.
  const auto has = [accept](std::string_view lower_needle) {
    return std::search(accept.begin(),
                       accept.end(),
                       lower_needle.begin(),
                       lower_needle.end(),
                       [](char a, char n) { return ascii::lower(a) == n; })
           != accept.end();
  };
  AcceptInfo info;
  const bool any = has("*/*");
  info.json = any || has("application/json") || has("application/*");
  info.sse = any || has("text/event-stream") || has("text/*");
  return info;
}

bool is_json_content_type(std::string_view ct) {
  const size_t semi = ct.find(';');
  return ascii::iequals(http::trim_ows(ct.substr(0, semi)), "application/json");
}

// --- Mcp-Name / Mcp-Param decoding ---------------------------------------------------------------

// Decodes the "=?base64?…?=" sentinel; nullopt when the encoding is malformed or the value has
// characters a header value must not carry.
std::optional<std::string> decode_header_value(std::string_view raw) {
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u >= 0x7F) {
      return std::nullopt;
    }
  }
  const std::string_view v = http::trim_ows(raw);
  constexpr std::string_view kPrefix = "=?base64?";
  constexpr std::string_view kSuffix = "?=";
  if (v.size() >= kPrefix.size() + kSuffix.size() && v.substr(0, kPrefix.size()) == kPrefix
      && v.substr(v.size() - kSuffix.size()) == kSuffix) {
    auto decoded =
        base64_decode(v.substr(kPrefix.size(), v.size() - kPrefix.size() - kSuffix.size()));
    if (!decoded || !is_valid_utf8(*decoded)) {
      return std::nullopt;
    }
    return decoded;
  }
  return std::string(v);
}

bool header_matches_value(const std::string& header, const Json& value) {
  if (value.is_string()) {
    return header == value.get<std::string>();
  }
  if (value.is_boolean()) {
    return header == (value.get<bool>() ? "true" : "false");
  }
  if (value.is_number()) {
    try {
      size_t used = 0;
      const double parsed = std::stod(header, &used);
      return used == header.size() && parsed == value.get<double>();
    } catch (const std::exception&) {
      return false;
    }
  }
  return false;
}

// SEP-2243 header/body validation for a stateless request. Returns the error message on mismatch.
std::optional<std::string> check_standard_headers(const Endpoint::Impl& impl,
                                                  const http::Exchange& ex,
                                                  const std::string& method,
                                                  const Json& params) {
  const auto& req = ex.request();
  const auto method_header = http::find_header(req, "Mcp-Method");
  if (!method_header) {
    return "Header mismatch: Mcp-Method header is required";
  }
  if (http::trim_ows(*method_header) != method) {
    return "Header mismatch: Mcp-Method header does not match body method '" + method + "'";
  }
  const char* name_field = nullptr;
  if (method == "tools/call" || method == "prompts/get") {
    name_field = "name";
  } else if (method == "resources/read") {
    name_field = "uri";
  }
  if (name_field != nullptr) {
    auto body = params.find(name_field);
    if (body != params.end() && body->is_string()) {
      const auto name_header = http::find_header(req, "Mcp-Name");
      if (!name_header) {
        return std::string("Header mismatch: Mcp-Name header is required for ") + method;
      }
      auto decoded = decode_header_value(*name_header);
      if (!decoded) {
        return "Header mismatch: Mcp-Name header value is malformed";
      }
      if (*decoded != body->get<std::string>()) {
        return "Header mismatch: Mcp-Name header does not match body params."
               + std::string(name_field);
      }
    }
  }
  if (method == "tools/call") {
    auto name = params.find("name");
    auto tool = (name != params.end() && name->is_string())
                    ? impl.registry->get_tool(name->get<std::string>())
                    : nullptr;
    if (tool) {
      // Looked up in place: value() would copy the schema and the arguments on every call.
      static const Json kNoObject = Json::object();
      const auto schema_it = tool->descriptor.find("inputSchema");
      const Json& schema = schema_it == tool->descriptor.end() ? kNoObject : *schema_it;
      const auto args_it = params.find("arguments");
      const Json& args = args_it == params.end() ? kNoObject : *args_it;
      if (auto props = schema.find("properties"); props != schema.end() && props->is_object()) {
        for (const auto& [prop, def] : props->items()) {
          if (!def.is_object() || !def.contains("x-mcp-header")
              || !def["x-mcp-header"].is_string()) {
            continue;
          }
          const std::string header_name = "Mcp-Param-" + def["x-mcp-header"].get<std::string>();
          const auto header_value = http::find_header(req, header_name);
          const bool has_value = args.is_object() && args.contains(prop) && !args[prop].is_null();
          if (header_value) {
            auto decoded = decode_header_value(*header_value);
            if (!decoded) {
              return "Header mismatch: " + header_name + " header value is malformed";
            }
            if (has_value && !header_matches_value(*decoded, args[prop])) {
              return "Header mismatch: " + header_name + " header does not match argument '" + prop
                     + "'";
            }
          } else if (has_value) {
            return "Header mismatch: " + header_name + " header is required";
          }
        }
      }
    }
  }
  return std::nullopt;
}

// --- SSE ---------------------------------------------------------------------------------------

http::Response sse_head(const std::shared_ptr<Session>& session) {
  http::Response head{http::StatusCode::ok, 11};
  head.set(http::Field::content_type, "text/event-stream");
  head.set(http::Field::cache_control, "no-cache, no-transform");
  head.set("X-Accel-Buffering", "no");
  if (session) {
    head.set(kSessionHeader, session->id());
  }
  return head;
}

std::string priming_event(const EventStream& stream,
                          uint64_t seq,
                          std::chrono::milliseconds retry) {
  return "id: " + stream.event_id(seq) + "\nretry: " + std::to_string(retry.count())
         + "\ndata: \n\n";
}

bool supports_priming(const std::string& version) {
  return version >= "2025-11-25";
}

// Writes the stream's events after `after` until it completes, is closed or killed, or the peer
// goes away. Detaches the reader at the end.
asio::awaitable<void> pump(ImplPtr impl,
                           http::Exchange& ex,
                           std::shared_ptr<EventStream> stream,
                           std::shared_ptr<Notifier> notifier,
                           uint64_t after,
                           bool with_ids,
                           std::shared_ptr<Session> session) {
  using Clock = std::chrono::steady_clock;
  const auto keepalive = impl->options.keepalive_interval;
  auto last_write = Clock::now();
  for (;;) {
    if (ex.peer_closed()) {
      break;
    }
    auto snap = stream->read(after, /*consume_close=*/true);
    bool ok = true;
    for (const auto& e : snap.events) {
      std::string frame;
      if (with_ids) {
        frame = "id: " + stream->event_id(e.seq) + "\n";
      }
      frame += "event: message\ndata: " + e.data + "\n\n";
      ok = co_await ex.write(std::move(frame));
      if (!ok) {
        break;
      }
      after = e.seq;
      last_write = Clock::now();
    }
    if (!ok) {
      break;
    }
    if (snap.complete || snap.killed || snap.close_requested) {
      co_await ex.finish();
      break;
    }
    co_await notifier->wait(keepalive);
    if (Clock::now() - last_write >= keepalive) {
      if (!co_await ex.write(": keep-alive\n\n")) {
        break;
      }
      last_write = Clock::now();
      if (session) {
        session->touch();
      }
    }
  }
  stream->detach(notifier, after);
}

// --- Request execution -------------------------------------------------------------------------

struct ReplyStatus {
  http::StatusCode status = http::StatusCode::ok;
};

asio::awaitable<void> run_request(ImplPtr impl,
                                  std::shared_ptr<RequestScope> scope,
                                  std::shared_ptr<ReplyStatus> status) {
  const std::string& id_text = scope->id_text;
  Reply reply;
  try {
    reply = co_await impl->dispatch(*scope);
  } catch (const std::exception& e) {
    spdlog::error("mcp: request {} failed: {}", scope->method, e.what());
    reply = Reply::fail(rpc::kInternalError, "Internal error");
  }
  if (scope->session) {
    scope->session->end_request(id_text);
  }
  if (reply.suppressed || (scope->era == Era::kSession && scope->cancelled->load())) {
    scope->stream->complete(std::nullopt);  // cancelled: no response
    co_return;
  }
  if (reply.error) {
    status->status = reply.error->status;
    Json error{{"code", reply.error->code}, {"message", reply.error->message}};
    if (!reply.error->data.is_null()) {
      error["data"] = reply.error->data;
    }
    scope->stream->complete(
        dump_json(Json{{"jsonrpc", "2.0"}, {"id", scope->id}, {"error", std::move(error)}}));
    co_return;
  }
  // A result is written around its serialised form, members in the order nlohmann writes an
  // object (sorted: id, jsonrpc, result), so the bytes are those of dumping the whole message.
  std::string text;
  text.reserve(256);
  text += "{\"id\":";
  text += id_text;
  text += ",\"jsonrpc\":\"2.0\",\"result\":";
  if (reply.raw_result) {
    text += *reply.raw_result;
  } else if (reply.result) {
    write_json(text, *reply.result);
  } else {
    text += "{}";
  }
  text += '}';
  scope->stream->complete(std::move(text));
}

// Runs the request and answers it as JSON (when nothing but the response was produced) or as SSE.
asio::awaitable<void> serve_request(ImplPtr impl,
                                    http::Exchange& ex,
                                    std::shared_ptr<RequestScope> scope) {
  auto& stream = scope->stream;
  auto notifier = std::make_shared<Notifier>(ex.executor());
  stream->attach(notifier);
  auto status = std::make_shared<ReplyStatus>();
  asio::co_spawn(ex.executor(),
                 run_request(impl, scope, status),
                 [method = scope->method](std::exception_ptr e) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& err) {
                       spdlog::error("mcp: {} aborted: {}", method, err.what());
                     }
                   }
                 });
  // The run was queued on this executor ahead of us: yielding once lets a request that never
  // suspends (most tools/call) finish first, and then no timer is armed for it below.
  co_await asio::post(ex.executor(), asio::use_awaitable);
  while (!stream->has_events_or_complete()) {
    if (ex.peer_closed()) {
      scope->cancelled->store(scope->era == Era::kStateless || scope->cancelled->load());
      stream->detach(notifier, 0);
      co_return;
    }
    co_await notifier->wait(impl->options.keepalive_interval);
  }
  auto snap = stream->read(0, false);
  if (snap.complete && !snap.close_requested && snap.events.size() <= 1) {
    stream->detach(notifier, snap.events.empty() ? 0 : snap.events.back().seq);
    if (snap.events.empty()) {
      co_await respond_empty(ex, http::StatusCode::accepted);  // cancelled request
      co_return;
    }
    http::Response res =
        http::make_response(status->status, snap.events.front().data, "application/json");
    if (scope->session) {
      res.set(kSessionHeader, scope->session->id());
    }
    co_await ex.respond(std::move(res));
    co_return;
  }

  if (!co_await ex.start_stream(sse_head(scope->session))) {
    scope->cancelled->store(scope->era == Era::kStateless || scope->cancelled->load());
    stream->detach(notifier, 0);
    co_return;
  }
  const bool stateless = scope->era == Era::kStateless;
  ex.on_peer_closed([notifier, cancelled = scope->cancelled, stateless] {
    if (stateless) {
      cancelled->store(true);  // 2026-07-28: a closed response stream cancels the request
    }
    notifier->notify();
  });
  if (!stateless && supports_priming(scope->protocol_version)) {
    if (!co_await ex.write(priming_event(*stream, 0, impl->options.sse_retry))) {
      stream->detach(notifier, 0);
      co_return;
    }
  }
  co_await pump(impl, ex, stream, notifier, 0, !stateless, scope->session);
}

// --- Session era -------------------------------------------------------------------------------

asio::awaitable<void> respond_no_room(http::Exchange& ex, const Json& id) {
  co_await respond_error(ex,
                         http::StatusCode::service_unavailable,
                         id,
                         rpc::kServerError,
                         "Too many open sessions; try again later");
}

asio::awaitable<void> handle_initialize(ImplPtr impl,
                                        http::Exchange& ex,
                                        const Json& msg,
                                        const std::string& subject) {
  const Json& id = msg["id"];
  if (!http::header(ex.request(), kSessionHeader).empty()) {
    co_await respond_error(ex,
                           http::StatusCode::bad_request,
                           id,
                           rpc::kInvalidRequest,
                           "Invalid Request: initialize must not carry an Mcp-Session-Id");
    co_return;
  }
  const Json params = msg.value("params", Json::object());
  auto pv = params.find("protocolVersion");
  if (pv == params.end() || !pv->is_string()) {
    co_await ex.respond(json_response(
        http::StatusCode::ok,
        error_message(
            id, rpc::kInvalidParams, "Invalid params: protocolVersion must be a string")));
    co_return;
  }
  std::string version = kLatestSessionVersion;
  if (is_session_era_version(pv->get<std::string>())) {
    version = pv->get<std::string>();
  }
  Json caps = params.value("capabilities", Json::object());
  if (!caps.is_object()) {
    caps = Json::object();
  }
  if (!impl->sessions.has_room()) {
    co_await respond_no_room(ex, id);
    co_return;
  }
  SessionTable::NewSession fresh;
  fresh.protocol_version = version;
  fresh.client_capabilities = caps;
  fresh.client_info = params.value("clientInfo", Json::object());
  fresh.subject = subject;
  fresh.max_stream_events = impl->options.max_stream_events;
  if (impl->options.session_hooks) {
    SessionOpening opening{subject, version, caps};
    fresh.attachments = co_await impl->options.session_hooks->opened(std::move(opening));
  }
  if (impl->options.session_sealer) {
    SessionState state{subject, version, caps, fresh.attachments, unix_now()};
    auto sealed = impl->options.session_sealer->seal(state, state.issued_at);
    if (sealed) {
      fresh.id = std::move(*sealed);
    } else {
      // Still a working session, known to this process only.
      log::warn("mcp_session_not_sealed", {{"error", sealed.error().message}});
    }
  }
  const Json attachments = fresh.attachments;
  auto session = impl->sessions.create(std::move(fresh));
  if (!session) {
    if (impl->options.session_hooks) {
      co_await impl->options.session_hooks->ended(attachments);
    }
    co_await respond_no_room(ex, id);
    co_return;
  }
  Json result{{"protocolVersion", version},
              {"capabilities", impl->server_capabilities(Era::kSession)},
              {"serverInfo", impl->server_info()}};
  if (!impl->options.instructions.empty()) {
    result["instructions"] = impl->options.instructions;
  }
  http::Response res =
      json_response(http::StatusCode::ok, Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
  res.set(kSessionHeader, session->id());
  co_await ex.respond(std::move(res));
}

// A session this process does not hold, opened from its sealed id (another replica issued it,
// or this process forgot it while idle). nullptr when the id is not a valid sealed id, has
// expired, was ended by DELETE here, or belongs to another principal.
std::shared_ptr<Session> resume_sealed(Endpoint::Impl& impl,
                                       std::string_view sid,
                                       const std::string& subject) {
  if (!impl.options.session_sealer || impl.sessions.terminated(std::string(sid))) {
    return nullptr;
  }
  auto state = impl.options.session_sealer->open(sid, unix_now());
  if (!state) {
    return nullptr;
  }
  if (state->subject != subject) {
    // A genuine id of another (user, client): stolen or mixed up. Never resumed.
    log::warn("mcp_session_foreign", {{"effect", "refused as an unknown session"}});
    return nullptr;
  }
  if (!impl.sessions.has_room()) {
    return nullptr;
  }
  SessionTable::NewSession fresh;
  fresh.id = std::string(sid);
  fresh.protocol_version = std::move(state->protocol_version);
  fresh.client_capabilities = std::move(state->client_capabilities);
  fresh.subject = std::move(state->subject);
  fresh.attachments = std::move(state->attachments);
  fresh.max_stream_events = impl.options.max_stream_events;
  auto session = impl.sessions.create(std::move(fresh));
  if (session) {
    session->mark_initialized();
  }
  return session;
}

// The session for a non-initialize request, or an answered error (nullptr).
asio::awaitable<std::shared_ptr<Session>> require_session(ImplPtr impl,
                                                          http::Exchange& ex,
                                                          const std::string& subject,
                                                          const Json& id) {
  const std::string_view sid = header_of(ex, kSessionHeader);
  if (sid.empty()) {
    co_await respond_error(ex,
                           http::StatusCode::bad_request,
                           id,
                           rpc::kServerError,
                           "Bad Request: Mcp-Session-Id header is required");
    co_return nullptr;
  }
  auto session = impl->sessions.find(std::string(sid));
  if (!session) {
    session = resume_sealed(*impl, sid, subject);
  }
  if (!session || session->subject() != subject) {
    co_await respond_error(
        ex, http::StatusCode::not_found, id, rpc::kSessionNotFound, "Session not found");
    co_return nullptr;
  }
  const std::string_view version = header_of(ex, kVersionHeader);
  if (!version.empty() && !is_session_era_version(version)) {
    co_await respond_error(ex,
                           http::StatusCode::bad_request,
                           id,
                           rpc::kServerError,
                           "Bad Request: Unsupported protocol version: " + std::string(version)
                               + " (supported: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)");
    co_return nullptr;
  }
  session->touch();
  co_return session;
}

asio::awaitable<void> handle_session_post(ImplPtr impl,
                                          http::Exchange& ex,
                                          Json msg,
                                          AcceptInfo accept,
                                          std::string subject,
                                          std::shared_ptr<const Caller> caller) {
  const bool is_request = msg.contains("method") && msg.contains("id");
  const bool is_notification = msg.contains("method") && !msg.contains("id");
  const Json id = is_request ? msg["id"] : Json(nullptr);
  if (is_request && msg["method"] == "initialize") {
    co_await handle_initialize(impl, ex, msg, subject);
    co_return;
  }
  auto session = co_await require_session(impl, ex, subject, id);
  if (!session) {
    co_return;
  }
  if (!is_request && !is_notification) {  // a response to one of our requests
    session->resolve_client_request(msg["id"], msg);
    co_await respond_empty(ex, http::StatusCode::accepted);
    co_return;
  }
  const std::string method = msg["method"].get<std::string>();
  // Moved, not copied: the request's params (the tool's arguments included) go to the scope.
  Json params = Json::object();
  if (auto it = msg.find("params"); it != msg.end()) {
    params = std::move(*it);
  }
  if (is_notification) {
    if (method == "notifications/initialized") {
      session->mark_initialized();
    } else if (method == "notifications/cancelled" && params.contains("requestId")) {
      session->cancel_request(dump_json(params["requestId"]));
    }
    co_await respond_empty(ex, http::StatusCode::accepted);
    co_return;
  }
  auto scope = std::make_shared<RequestScope>();
  scope->era = Era::kSession;
  scope->session = session;
  scope->id = id;
  scope->id_text = dump_json(id);
  scope->method = method;
  scope->protocol_version = session->protocol_version();
  scope->client_capabilities = session->client_capabilities();
  scope->subject = subject;
  scope->caller = caller;
  scope->source_ip = ex.remote_ip();
  scope->request_id = ex.request_id();
  scope->can_stream = accept.sse;
  if (auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
    if (auto token = meta->find("progressToken"); token != meta->end() && valid_id(*token)) {
      scope->progress_token = *token;
    }
  }
  scope->params = std::move(params);
  scope->stream = session->new_stream();
  scope->cancelled = session->begin_request(scope->id_text);
  co_await serve_request(impl, ex, scope);
}

// --- Stateless era -----------------------------------------------------------------------------

asio::awaitable<void> serve_listen(ImplPtr impl,
                                   http::Exchange& ex,
                                   std::shared_ptr<RequestScope> scope) {
  auto filter = scope->params.find("notifications");
  if (filter == scope->params.end() || !filter->is_object()) {
    co_await respond_error(ex,
                           http::StatusCode::bad_request,
                           scope->id,
                           rpc::kInvalidParams,
                           "Invalid params: 'notifications' must be an object");
    co_return;
  }
  auto listen = std::make_shared<Listen>();
  listen->subscription_id = scope->id;
  Json honored = Json::object();
  if (filter->value("toolsListChanged", false) == true) {
    listen->tools = true;
    honored["toolsListChanged"] = true;
  }
  if (filter->value("promptsListChanged", false) == true) {
    listen->prompts = true;
    honored["promptsListChanged"] = true;
  }
  if (filter->value("resourcesListChanged", false) == true) {
    listen->resources = true;
    honored["resourcesListChanged"] = true;
  }
  if (auto uris = filter->find("resourceSubscriptions");
      uris != filter->end() && uris->is_array()) {
    Json kept = Json::array();
    for (const auto& u : *uris) {
      if (u.is_string()) {
        listen->uris.insert(u.get<std::string>());
        kept.push_back(u);
      }
    }
    if (!kept.empty()) {
      honored["resourceSubscriptions"] = kept;
    }
  }
  listen->stream =
      std::make_shared<EventStream>(std::string("listen"), impl->options.max_stream_events);
  listen->stream->push(
      dump_json(Json{{"jsonrpc", "2.0"},
                     {"method", "notifications/subscriptions/acknowledged"},
                     {"params",
                      {{"_meta", {{"io.modelcontextprotocol/subscriptionId", scope->id}}},
                       {"notifications", honored}}}}));
  auto notifier = std::make_shared<Notifier>(ex.executor());
  listen->stream->attach(notifier);
  {
    std::lock_guard lock(impl->listens_mu);
    impl->listens.push_back(listen);
  }
  if (co_await ex.start_stream(sse_head(nullptr))) {
    ex.on_peer_closed([notifier] { notifier->notify(); });
    co_await pump(impl, ex, listen->stream, notifier, 0, false, nullptr);
  } else {
    listen->stream->detach(notifier, 0);
  }
  std::lock_guard lock(impl->listens_mu);
  std::erase(impl->listens, listen);
}

asio::awaitable<void> handle_stateless_post(ImplPtr impl,
                                            http::Exchange& ex,
                                            Json msg,
                                            AcceptInfo accept,
                                            std::string subject,
                                            std::shared_ptr<const Caller> caller) {
  const bool is_request = msg.contains("method") && msg.contains("id");
  if (!is_request) {
    if (msg.contains("method")) {
      co_await respond_empty(ex,
                             http::StatusCode::accepted);  // no client notifications are defined
    } else {
      co_await respond_error(
          ex,
          http::StatusCode::bad_request,
          nullptr,
          rpc::kInvalidRequest,
          "Invalid Request: JSON-RPC responses are not accepted in protocol version "
              + std::string(kStatelessVersion));
    }
    co_return;
  }
  const Json id = msg["id"];
  const std::string method = msg["method"].get<std::string>();
  // Moved, not copied: the request's params (the tool's arguments included) go to the scope.
  Json params = Json::object();
  if (auto it = msg.find("params"); it != msg.end()) {
    params = std::move(*it);
  }
  const std::string_view header_version = header_of(ex, kVersionHeader);
  const auto bad = http::StatusCode::bad_request;
  // Order matters and is observable: malformed _meta (-32602) before header checks (-32020)
  // before version support (-32022).
  // Pointers into params (no copies of _meta); params moves to the scope only at the end.
  const Json* meta_ptr = nullptr;
  const Json* version_json = nullptr;
  const Json* caps = nullptr;
  if (auto m = params.find("_meta"); m != params.end() && m->is_object()) {
    meta_ptr = &*m;
    if (auto v = m->find("io.modelcontextprotocol/protocolVersion"); v != m->end()) {
      version_json = &*v;
    }
    if (auto c = m->find("io.modelcontextprotocol/clientCapabilities"); c != m->end()) {
      caps = &*c;
    }
  }
  if (meta_ptr == nullptr || version_json == nullptr || !version_json->is_string()
      || caps == nullptr || !caps->is_object()) {
    co_await respond_error(
        ex,
        bad,
        id,
        rpc::kInvalidParams,
        "Invalid params: _meta must carry io.modelcontextprotocol/protocolVersion and "
        "io.modelcontextprotocol/clientCapabilities");
    co_return;
  }
  const Json& meta = *meta_ptr;
  const std::string& version = version_json->get_ref<const std::string&>();
  if (header_version.empty()) {
    co_await respond_error(ex,
                           bad,
                           id,
                           rpc::kHeaderMismatch,
                           "Header mismatch: MCP-Protocol-Version header is required");
    co_return;
  }
  if (header_version != version) {
    co_await respond_error(
        ex,
        bad,
        id,
        rpc::kHeaderMismatch,
        "Header mismatch: MCP-Protocol-Version header does not match _meta protocolVersion");
    co_return;
  }
  if (!is_stateless_era_version(version)) {
    Json data = Json::object();
    data["supported"] = Json::array();
    data["supported"].push_back(kStatelessVersion);
    data["requested"] = version;
    co_await respond_error(ex,
                           bad,
                           id,
                           rpc::kUnsupportedProtocolVersion,
                           "Unsupported protocol version",
                           std::move(data));
    co_return;
  }
  if (auto mismatch = check_standard_headers(*impl, ex, method, params)) {
    co_await respond_error(ex, bad, id, rpc::kHeaderMismatch, *mismatch);
    co_return;
  }
  auto scope = std::make_shared<RequestScope>();
  scope->era = Era::kStateless;
  scope->cancelled = std::make_shared<std::atomic<bool>>(false);
  scope->id = id;
  scope->id_text = dump_json(id);
  scope->method = method;
  scope->protocol_version = version;
  scope->client_capabilities = *caps;
  scope->subject = std::move(subject);
  scope->caller = std::move(caller);
  scope->source_ip = ex.remote_ip();
  scope->request_id = ex.request_id();
  scope->can_stream = accept.sse;
  if (auto token = meta.find("progressToken"); token != meta.end() && valid_id(*token)) {
    scope->progress_token = *token;
  }
  if (auto level = meta.find("io.modelcontextprotocol/logLevel");
      level != meta.end() && level->is_string() && log_level_rank(level->get<std::string>()) >= 0) {
    scope->log_level = level->get<std::string>();
  }
  // Last: `meta` and `version` point into params.
  scope->params = std::move(params);
  if (method == "subscriptions/listen") {
    co_await serve_listen(impl, ex, scope);
    co_return;
  }
  scope->stream = std::make_shared<EventStream>(std::string("r"), impl->options.max_stream_events);
  co_await serve_request(impl, ex, scope);
}

// --- Entry -------------------------------------------------------------------------------------

bool wants_stateless(const Endpoint::Impl& impl, const http::Exchange& ex, const Json& msg) {
  if (!impl.options.enable_stateless_era) {
    return false;
  }
  if (!impl.options.enable_session_era) {
    return true;
  }
  if (!header_of(ex, kSessionHeader).empty()) {
    return false;
  }
  const std::string_view version = header_of(ex, kVersionHeader);
  bool modern_meta = false;
  if (auto p = msg.find("params"); p != msg.end() && p->is_object()) {
    if (auto meta = p->find("_meta"); meta != p->end() && meta->is_object()) {
      modern_meta = meta->contains("io.modelcontextprotocol/protocolVersion")
                    || meta->contains("io.modelcontextprotocol/clientCapabilities");
    }
  }
  if (modern_meta) {
    return true;
  }
  if (msg.value("method", "") == "initialize") {
    return false;
  }
  return !version.empty() && !is_session_era_version(version);
}

// Checks the JSON-RPC 2.0 envelope; returns an error message for an invalid one.
std::optional<std::string> check_envelope(const Json& msg) {
  auto jsonrpc = msg.find("jsonrpc");
  if (jsonrpc == msg.end() || *jsonrpc != "2.0") {
    return "Invalid Request: jsonrpc must be \"2.0\"";
  }
  if (auto id = msg.find("id"); id != msg.end() && !valid_id(*id)) {
    return "Invalid Request: id must be a string or an integer";
  }
  if (auto method = msg.find("method"); method != msg.end()) {
    if (!method->is_string()) {
      return "Invalid Request: method must be a string";
    }
    if (auto params = msg.find("params"); params != msg.end() && !params->is_object()) {
      return "Invalid Request: params must be an object";
    }
    return std::nullopt;
  }
  const bool has_result = msg.contains("result");
  const bool has_error = msg.contains("error");
  if (!msg.contains("id") || has_result == has_error) {
    return "Invalid Request: not a JSON-RPC request, notification or response";
  }
  return std::nullopt;
}

asio::awaitable<void> handle_post(ImplPtr impl,
                                  http::Exchange& ex,
                                  std::string subject,
                                  std::shared_ptr<const Caller> caller) {
  if (!is_json_content_type(header_of(ex, "Content-Type"))) {
    co_await respond_error(ex,
                           http::StatusCode::unsupported_media_type,
                           nullptr,
                           rpc::kInvalidRequest,
                           "Unsupported Media Type: Content-Type must be application/json");
    co_return;
  }
  const AcceptInfo accept = parse_accept(header_of(ex, "Accept"));
  if (!accept.json && !accept.sse) {
    co_await respond_error(
        ex,
        http::StatusCode::not_acceptable,
        nullptr,
        rpc::kInvalidRequest,
        "Not Acceptable: Accept must include application/json and text/event-stream");
    co_return;
  }
  auto parsed = parse_json(ex.request().body(), impl->options.max_json_depth);
  if (!parsed) {
    co_await respond_error(
        ex, http::StatusCode::bad_request, nullptr, rpc::kParseError, parsed.error().message);
    co_return;
  }
  Json msg = std::move(parsed).value();
  if (msg.is_array()) {
    co_await respond_error(ex,
                           http::StatusCode::bad_request,
                           nullptr,
                           rpc::kInvalidRequest,
                           "Invalid Request: batch requests are not supported");
    co_return;
  }
  if (!msg.is_object()) {
    co_await respond_error(ex,
                           http::StatusCode::bad_request,
                           nullptr,
                           rpc::kInvalidRequest,
                           "Invalid Request: expected a JSON-RPC object");
    co_return;
  }
  if (auto bad = check_envelope(msg)) {
    const Json id = (msg.contains("id") && valid_id(msg["id"])) ? msg["id"] : Json(nullptr);
    co_await respond_error(ex, http::StatusCode::bad_request, id, rpc::kInvalidRequest, *bad);
    co_return;
  }
  if (caller && impl->options.access && msg.contains("id")
      && msg.value("method", "") == "tools/call") {
    // Refused before any session or tool code runs: an HTTP 403 with a step-up challenge.
    const Json& params = msg.contains("params") ? msg["params"] : Json(nullptr);
    if (params.is_object() && params.contains("name") && params["name"].is_string()) {
      const std::string tool = params["name"].get<std::string>();
      if (!impl->options.access->may_call(*caller, tool)) {
        http::Response refused = impl->options.access->forbid_tool(*caller, tool);
        co_await ex.respond(std::move(refused));
        co_return;
      }
    }
  }
  if (wants_stateless(*impl, ex, msg)) {
    co_await handle_stateless_post(
        impl, ex, std::move(msg), accept, std::move(subject), std::move(caller));
  } else {
    co_await handle_session_post(
        impl, ex, std::move(msg), accept, std::move(subject), std::move(caller));
  }
}

bool stateless_only_request(const Endpoint::Impl& impl, const http::Exchange& ex) {
  if (!impl.options.enable_session_era) {
    return true;
  }
  const std::string_view version = header_of(ex, kVersionHeader);
  return header_of(ex, kSessionHeader).empty() && !version.empty()
         && !is_session_era_version(version);
}

asio::awaitable<void> respond_method_not_allowed(http::Exchange& ex) {
  http::Response res =
      json_response(http::StatusCode::method_not_allowed,
                    error_message(nullptr, rpc::kInvalidRequest, "Method Not Allowed"));
  res.set(http::Field::allow, "POST");
  co_await ex.respond(std::move(res));
}

asio::awaitable<void> handle_get(ImplPtr impl, http::Exchange& ex, std::string subject) {
  if (stateless_only_request(*impl, ex)) {
    co_await respond_method_not_allowed(ex);
    co_return;
  }
  const AcceptInfo accept = parse_accept(header_of(ex, "Accept"));
  if (!accept.sse) {
    co_await respond_error(ex,
                           http::StatusCode::not_acceptable,
                           nullptr,
                           rpc::kInvalidRequest,
                           "Not Acceptable: Accept must include text/event-stream");
    co_return;
  }
  auto session = co_await require_session(impl, ex, subject, nullptr);
  if (!session) {
    co_return;
  }
  std::shared_ptr<EventStream> stream;
  uint64_t after = 0;
  const std::string last_event_id(header_of(ex, "Last-Event-ID"));
  if (!last_event_id.empty()) {
    if (auto parsed = parse_event_id(last_event_id)) {
      stream = session->find_stream(parsed->first);
      after = parsed->second;
    }
  }
  if (!stream) {
    stream = session->standalone();
    after = stream->reader_cursor();
  }
  auto notifier = std::make_shared<Notifier>(ex.executor());
  if (!stream->attach(notifier)) {
    co_await respond_error(ex,
                           http::StatusCode::conflict,
                           nullptr,
                           rpc::kServerError,
                           "Conflict: only one SSE stream is allowed per session");
    co_return;
  }
  if (!co_await ex.start_stream(sse_head(session))) {
    stream->detach(notifier, after);
    co_return;
  }
  ex.on_peer_closed([notifier] { notifier->notify(); });
  if (supports_priming(session->protocol_version())) {
    if (!co_await ex.write(priming_event(*stream, after, impl->options.sse_retry))) {
      stream->detach(notifier, after);
      co_return;
    }
  }
  co_await pump(impl, ex, stream, notifier, after, true, session);
}

asio::awaitable<void> handle_delete(ImplPtr impl, http::Exchange& ex, std::string subject) {
  if (stateless_only_request(*impl, ex)) {
    co_await respond_method_not_allowed(ex);
    co_return;
  }
  auto session = co_await require_session(impl, ex, subject, nullptr);
  if (!session) {
    co_return;
  }
  impl->sessions.remove(session->id());
  if (impl->options.session_sealer) {
    impl->sessions.mark_terminated(
        session->id(), Session::Clock::now() + impl->options.session_sealer->max_lifetime());
  }
  if (impl->options.session_hooks) {
    co_await impl->options.session_hooks->ended(session->attachments());
  }
  co_await respond_empty(ex, http::StatusCode::ok);
}

}  // namespace

bool is_session_era_version(std::string_view version) {
  return std::find(std::begin(kSessionVersions), std::end(kSessionVersions), version)
         != std::end(kSessionVersions);
}

bool is_stateless_era_version(std::string_view version) {
  return version == kStatelessVersion;
}

Endpoint::Impl::Impl(EndpointOptions opts, std::shared_ptr<Registry> reg)
    : options(std::move(opts)),
      registry(std::move(reg)),
      sessions(options.max_sessions, options.session_idle_timeout),
      state_key(random_bytes(32)) {}

void Endpoint::Impl::on_change(const ChangeEvent& event) {
  const char* method = nullptr;
  switch (event.kind) {
    case ChangeKind::kToolsListChanged:
      method = "notifications/tools/list_changed";
      break;
    case ChangeKind::kPromptsListChanged:
      method = "notifications/prompts/list_changed";
      break;
    case ChangeKind::kResourcesListChanged:
      method = "notifications/resources/list_changed";
      break;
    case ChangeKind::kResourceUpdated:
      method = "notifications/resources/updated";
      break;
  }
  Json note{{"jsonrpc", "2.0"}, {"method", method}};
  if (event.kind == ChangeKind::kResourceUpdated) {
    note["params"] = {{"uri", event.uri}};
  }
  const std::string session_data = dump_json(note);
  for (const auto& session : sessions.all()) {
    if (!session->initialized()) {
      continue;
    }
    if (event.kind == ChangeKind::kResourceUpdated && !session->subscribed(event.uri)) {
      continue;
    }
    session->standalone()->push(session_data);
  }
  std::lock_guard lock(listens_mu);
  for (const auto& listen : listens) {
    bool wanted = false;
    switch (event.kind) {
      case ChangeKind::kToolsListChanged:
        wanted = listen->tools;
        break;
      case ChangeKind::kPromptsListChanged:
        wanted = listen->prompts;
        break;
      case ChangeKind::kResourcesListChanged:
        wanted = listen->resources;
        break;
      case ChangeKind::kResourceUpdated:
        wanted = listen->uris.count(event.uri) > 0;
        break;
    }
    if (!wanted) {
      continue;
    }
    Json tagged = note;
    tagged["params"]["_meta"] = {
        {"io.modelcontextprotocol/subscriptionId", listen->subscription_id}};
    listen->stream->push(dump_json(tagged));
  }
}

Endpoint::Endpoint(EndpointOptions options, std::shared_ptr<Registry> registry)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(registry))) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->listener_id = impl_->registry->add_listener([weak](const ChangeEvent& event) {
    if (auto impl = weak.lock()) {
      impl->on_change(event);
    }
  });
}

Endpoint::~Endpoint() {
  impl_->registry->remove_listener(impl_->listener_id);
  for (const auto& s : impl_->sessions.all()) {
    impl_->sessions.remove(s->id());
  }
  std::lock_guard lock(impl_->listens_mu);
  for (const auto& listen : impl_->listens) {
    listen->stream->kill();
  }
}

size_t Endpoint::session_count() const {
  return impl_->sessions.size();
}

asio::awaitable<void> Endpoint::handle(http::Exchange& ex) {
  ImplPtr impl = impl_;
  if (auto rejected = rebinding_check(*impl, ex)) {
    co_await respond_error(ex,
                           *rejected,
                           nullptr,
                           rpc::kInvalidRequest,
                           "Forbidden: request origin or host is not allowed");
    co_return;
  }
  std::string subject;  // session binding: the (user, client) pair, "" when anonymous
  std::shared_ptr<const Caller> caller;
  if (impl->options.access) {
    auto outcome = impl->options.access->authenticate(ex.request());
    if (auto* refused = std::get_if<http::Response>(&outcome)) {
      http::Response res = std::move(*refused);
      co_await ex.respond(std::move(res));
      co_return;
    }
    caller = std::make_shared<const Caller>(std::move(std::get<Caller>(outcome)));
    std::optional<http::Response> unconfirmed = co_await impl->options.access->confirm(*caller);
    if (unconfirmed) {
      http::Response res = std::move(*unconfirmed);
      co_await ex.respond(std::move(res));
      co_return;
    }
    subject = caller->subject + "\n" + caller->client_id;
  }
  const auto method = ex.request().method();
  if (method == http::bhttp::verb::post) {
    co_await handle_post(impl, ex, std::move(subject), std::move(caller));
  } else if (method == http::bhttp::verb::get) {
    co_await handle_get(impl, ex, std::move(subject));
  } else if (method == http::bhttp::verb::delete_) {
    co_await handle_delete(impl, ex, std::move(subject));
  } else {
    http::Response res =
        json_response(http::StatusCode::method_not_allowed,
                      error_message(nullptr, rpc::kInvalidRequest, "Method Not Allowed"));
    res.set(http::Field::allow, impl->options.enable_session_era ? "GET, POST, DELETE" : "POST");
    co_await ex.respond(std::move(res));
  }
}

}  // namespace mcpgate::mcp
