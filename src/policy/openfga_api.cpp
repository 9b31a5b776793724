#include "policy/openfga_api.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "crypto/hash.hpp"
#include "mcp/json_io.hpp"
#include "policy/call_context.hpp"
#include "policy/tuple_json.hpp"
#include "store/types.hpp"

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Errors: every failure of this API is an ApiError; fga_error_response() is the one place that
// turns it into a status and OpenFGA's {"code","message"} body.

enum class ApiCode {
  kValidationError,
  kAuthorizationModelNotFound,
  kLatestAuthorizationModelNotFound,
  kResolutionTooComplex,
  kInvalidWriteInput,
  kWriteFailedDueToInvalidInput,
  kDuplicateTupleInWrite,
  kInvalidContinuationToken,
  kTypeNotFound,
  kRelationNotFound,
  kInvalidTuple,
  kExceededEntityLimit,
  kInvalidAuthorizationModel,
  kBearerTokenMissing,
  kUnauthenticated,
  kStoreIdNotFound,
  kUndefinedEndpoint,
  kUnimplemented,
  kMethodNotAllowed,
  kInternal,
  kUnavailable,
};

struct ApiError {
  ApiCode code = ApiCode::kInternal;
  std::string message;
};

ApiError api_error(ApiCode code, std::string message) { return ApiError{code, std::move(message)}; }
ApiError invalid(std::string message) { return api_error(ApiCode::kValidationError, std::move(message)); }

struct WireError {
  http::StatusCode status;
  const char* name;
};

// OpenFGA's HTTP status classes: authentication codes (1xxx) 401, input codes (2xxx) 400,
// internal codes (4xxx) 500, not-found codes (5xxx) 404.
WireError wire_of(ApiCode code) {
  using S = http::StatusCode;
  switch (code) {
    case ApiCode::kValidationError: return {S::bad_request, "validation_error"};
    case ApiCode::kAuthorizationModelNotFound: return {S::bad_request, "authorization_model_not_found"};
    case ApiCode::kLatestAuthorizationModelNotFound:
      return {S::bad_request, "latest_authorization_model_not_found"};
    case ApiCode::kResolutionTooComplex:
      return {S::bad_request, "authorization_model_resolution_too_complex"};
    case ApiCode::kInvalidWriteInput: return {S::bad_request, "invalid_write_input"};
    case ApiCode::kWriteFailedDueToInvalidInput:
      return {S::bad_request, "write_failed_due_to_invalid_input"};
    case ApiCode::kDuplicateTupleInWrite:
      return {S::bad_request, "cannot_allow_duplicate_tuples_in_one_request"};
    case ApiCode::kInvalidContinuationToken: return {S::bad_request, "invalid_continuation_token"};
    case ApiCode::kTypeNotFound: return {S::bad_request, "type_not_found"};
    case ApiCode::kRelationNotFound: return {S::bad_request, "relation_not_found"};
    case ApiCode::kInvalidTuple: return {S::bad_request, "invalid_tuple"};
    case ApiCode::kExceededEntityLimit: return {S::bad_request, "exceeded_entity_limit"};
    case ApiCode::kInvalidAuthorizationModel: return {S::bad_request, "invalid_authorization_model"};
    case ApiCode::kBearerTokenMissing: return {S::unauthorized, "bearer_token_missing"};
    case ApiCode::kUnauthenticated: return {S::unauthorized, "unauthenticated"};
    case ApiCode::kStoreIdNotFound: return {S::not_found, "store_id_not_found"};
    case ApiCode::kUndefinedEndpoint: return {S::not_found, "undefined_endpoint"};
    // OpenFGA's NotFoundErrorCode family; 501 says more than a 404 for a known endpoint that
    // this single-store gate does not offer.
    case ApiCode::kUnimplemented: return {S::not_implemented, "unimplemented"};
    case ApiCode::kMethodNotAllowed: return {S::method_not_allowed, "undefined_endpoint"};
    case ApiCode::kInternal: return {S::internal_server_error, "internal_error"};
    case ApiCode::kUnavailable: return {S::service_unavailable, "unavailable"};
  }
  return {S::internal_server_error, "internal_error"};
}

http::Response json_response(http::StatusCode status, const Json& body) {
  http::Response res = http::make_response(status, mcp::dump_json(body), "application/json");
  res.set(http::Field::cache_control, "no-store");
  return res;
}

http::Response fga_error_response(const ApiError& error) {
  const WireError w = wire_of(error.code);
  http::Response res = json_response(w.status, Json{{"code", w.name}, {"message", error.message}});
  if (w.status == http::StatusCode::unauthorized) {
    res.set(http::Field::www_authenticate, "Bearer");
  }
  if (w.status == http::StatusCode::service_unavailable) {
    // The store is away (restart, failover): a client may retry in a second, as the OAuth
    // endpoints say in the same situation.
    res.set(http::Field::retry_after, "1");
  }
  return res;
}

// An engine error as an API error. Engine messages describe the request (names the caller sent,
// model facts it may read anyway), never internals, so they are passed on.
ApiError from_fga(const authz::FgaError& e) {
  using C = authz::FgaErrorCode;
  switch (e.code) {
    case C::kNone:
    case C::kValidationError:
    case C::kContextTooLarge: return invalid(e.message);
    case C::kModelNotFound: return api_error(ApiCode::kLatestAuthorizationModelNotFound, e.message);
    case C::kResolutionTooComplex: return api_error(ApiCode::kResolutionTooComplex, e.message);
    case C::kInvalidWriteInput: return api_error(ApiCode::kWriteFailedDueToInvalidInput, e.message);
    case C::kDuplicateTupleInWrite: return api_error(ApiCode::kDuplicateTupleInWrite, e.message);
    case C::kExceededEntityLimit: return api_error(ApiCode::kExceededEntityLimit, e.message);
    case C::kTypeNotFound: return api_error(ApiCode::kTypeNotFound, e.message);
    case C::kRelationNotFound: return api_error(ApiCode::kRelationNotFound, e.message);
    case C::kInvalidTuple: return api_error(ApiCode::kInvalidTuple, e.message);
    case C::kInternal: break;
  }
  log::error("policy_api_engine_error", {{"code", e.numeric()}, {"error", e.message}});
  return api_error(ApiCode::kInternal, "internal error");
}

// A storage / service failure: details to the log, a fixed message to the client.
ApiError from_status(std::string_view event, const Error& e) {
  if (e.code == ErrorCode::kInvalidArgument) {
    return invalid(e.message);
  }
  log::error(event, {{"code", error_code_name(e.code)}, {"error", e.message}});
  if (e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kDeadlineExceeded) {
    return api_error(ApiCode::kUnavailable, "storage unavailable, retry later");
  }
  return api_error(ApiCode::kInternal, "internal error");
}

// ---------------------------------------------------------------------------------------------
// Input helpers. Every reader returns the error to answer with, or nullopt.

using Failure = std::optional<ApiError>;

// OpenFGA's ids are ULIDs: 26 characters of Crockford base32.
bool is_ulid(std::string_view s) {
  if (s.size() != 26) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
  });
}

bool has_space(std::string_view s) { return tuple_text_has_space(s); }

bool valid_relation(std::string_view s) { return valid_tuple_relation(s); }

// A type name: 1..254 bytes without ':', '#', '@' or whitespace.
bool valid_type(std::string_view s) {
  return !s.empty() && s.size() <= 254 && !has_space(s) && s.find_first_of(":#@") == std::string_view::npos;
}

// Reads an optional string member. Absent or null leaves `out` empty.
Failure read_string(const Json& obj, const char* key, std::string& out, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_string()) {
    return invalid(std::string(where) + "." + key + " must be a string");
  }
  out = it->get<std::string>();
  return std::nullopt;
}

Failure require_object(const Json& v, std::string_view where) {
  if (!v.is_object()) {
    return invalid(std::string(where) + " must be a JSON object");
  }
  return std::nullopt;
}

// A condition context: absent/null or an object no larger than the limit when serialised.
Failure read_context(const Json& obj, const char* key, Json& out, std::size_t max_bytes,
                     std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    out = Json();
    return std::nullopt;
  }
  if (!it->is_object()) {
    return invalid(std::string(where) + "." + key + " must be a JSON object");
  }
  if (mcp::dump_json(*it).size() > max_bytes) {
    return invalid(std::string(where) + "." + key + " exceeds " + std::to_string(max_bytes) + " bytes");
  }
  out = *it;
  return std::nullopt;
}

using KeyRules = TupleKeyRules;

// A TupleKey (tuple_json.hpp, shared with the Admin API), its failure as this API's error.
Failure read_tuple_key(const Json& v, authz::TupleRecord& out, const KeyRules& rules,
                       std::size_t max_context_bytes, std::string_view where) {
  if (auto st = parse_tuple_key(v, out, rules, max_context_bytes, where); !st) {
    return invalid(st.error().message);
  }
  return std::nullopt;
}

// A list of TupleKeys (with conditions), at most `max` of them.
Failure read_tuple_list(const Json& list, std::vector<authz::TupleRecord>& out, std::size_t max,
                        std::size_t max_context_bytes, std::string_view where) {
  if (!list.is_array()) {
    return invalid(std::string(where) + " must be an array");
  }
  if (list.size() > max) {
    return invalid(std::string(where) + " has " + std::to_string(list.size()) +
                   " entries; at most " + std::to_string(max) + " are allowed");
  }
  KeyRules rules;
  rules.allow_condition = true;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    authz::TupleRecord t;
    if (auto f = read_tuple_key(list[i], t, rules, max_context_bytes,
                                std::string(where) + "[" + std::to_string(i) + "]")) {
      return f;
    }
    out.push_back(std::move(t));
  }
  return std::nullopt;
}

// `contextual_tuples`: {"tuple_keys":[...]} (Check, ListObjects, Expand), or a bare array
// (ListUsers takes it that way; both are accepted everywhere).
Failure read_contextual(const Json& body, std::vector<authz::TupleRecord>& out, std::size_t max,
                        std::size_t max_context_bytes) {
  auto it = body.find("contextual_tuples");
  if (it == body.end() || it->is_null()) {
    return std::nullopt;
  }
  if (it->is_array()) {
    return read_tuple_list(*it, out, max, max_context_bytes, "contextual_tuples");
  }
  if (!it->is_object()) {
    return invalid("contextual_tuples must be an object with tuple_keys");
  }
  auto keys = it->find("tuple_keys");
  if (keys == it->end() || keys->is_null()) {
    return std::nullopt;
  }
  return read_tuple_list(*keys, out, max, max_context_bytes, "contextual_tuples.tuple_keys");
}

Json tuple_key_json(const authz::TupleRecord& t) { return tuple_key_to_json(t); }

// "type:id", "type:*", "type:id#relation" -> OpenFGA's User oneof.
Json user_json(std::string_view user) {
  const auto colon = user.find(':');
  const std::string type(user.substr(0, colon));
  std::string_view rest = colon == std::string_view::npos ? std::string_view() : user.substr(colon + 1);
  const auto hash = rest.find('#');
  if (hash != std::string_view::npos) {
    return {{"userset",
             {{"type", type}, {"id", std::string(rest.substr(0, hash))},
              {"relation", std::string(rest.substr(hash + 1))}}}};
  }
  if (rest == "*") {
    return {{"wildcard", {{"type", type}}}};
  }
  return {{"object", {{"type", type}, {"id", std::string(rest)}}}};
}

std::string timestamp_json(std::chrono::system_clock::time_point t) { return rfc3339_utc(t); }

std::string timestamp_json(std::int64_t unix_seconds) {
  return rfc3339_utc(std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds)));
}

// "2022-01-01T00:00:00Z" or with a fraction and/or a numeric offset.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  if (s.size() < 20 || s.size() > 40 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') {
        return false;
      }
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, se) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
      // system_clock counts nanoseconds in 64 bits (years 1678..2262): stay well inside.
      y < 1970 || y > 2200) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::chrono::microseconds frac{0};
  if (s[pos] == '.') {
    ++pos;
    long long f = 0;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) {
        f = f * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    while (digits++ < 6) {
      f *= 10;
    }
    frac = std::chrono::microseconds(f);
  }
  int offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    // UTC
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!num(pos + 1, 2, oh) || !num(pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  const auto days = std::chrono::sys_days(ymd);
  return std::chrono::system_clock::time_point(days) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(se - offset_s) + frac;
}

// Query parameters of the request target, percent-decoded. Malformed escapes fail.
std::optional<std::vector<std::pair<std::string, std::string>>> query_params(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) {
    return out;
  }
  std::string_view query = target.substr(q + 1);
  if (const auto hash = query.find('#'); hash != std::string_view::npos) {
    query = query.substr(0, hash);
  }
  auto decode = [](std::string_view in, std::string& res) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '%') {
        if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) {
          return false;
        }
        res += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
        i += 2;
      } else {
        res += in[i] == '+' ? ' ' : in[i];
      }
    }
    return true;
  };
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    const auto eq = part.find('=');
    std::string k;
    std::string v;
    if (!decode(part.substr(0, eq), k) ||
        (eq != std::string_view::npos && !decode(part.substr(eq + 1), v))) {
      return std::nullopt;
    }
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

std::string param(const std::vector<std::pair<std::string, std::string>>& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) {
      return v;
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Continuation tokens: base64url of a small JSON object naming what is paged ("k"), a
// fingerprint of the query ("f": a token from one query is refused by another) and the
// position ("o": an offset, or for changes the last revision returned). Tokens are not secret;
// they are only checked for shape.

std::string query_fingerprint(std::string_view query) {
  return mcp::hex_encode(crypto::sha256(query).substr(0, 8));
}

std::string make_token(std::string_view kind, std::string_view fingerprint, std::uint64_t position,
                       std::uint64_t count = 0) {
  Json t = {{"k", kind}, {"f", fingerprint}, {"o", position}};
  if (count != 0) {
    t["s"] = count;
  }
  return mcp::base64url_encode(t.dump());
}

Failure read_token(std::string_view token, std::string_view kind, std::string_view fingerprint,
                   std::uint64_t& position, std::uint64_t* count = nullptr) {
  position = 0;
  if (count != nullptr) {
    *count = 0;
  }
  if (token.empty()) {
    return std::nullopt;
  }
  const ApiError bad = api_error(ApiCode::kInvalidContinuationToken, "invalid continuation token");
  if (token.size() > 5120) {
    return bad;
  }
  auto raw = mcp::base64url_decode(token);
  if (!raw) {
    return bad;
  }
  auto parsed = mcp::parse_json(*raw, 4);
  if (!parsed || !parsed->is_object()) {
    return bad;
  }
  const Json& t = *parsed;
  if (!t.contains("k") || !t["k"].is_string() || t["k"].get<std::string>() != kind ||
      !t.contains("f") || !t["f"].is_string() || t["f"].get<std::string>() != fingerprint ||
      !t.contains("o") || !t["o"].is_number_unsigned()) {
    return bad;
  }
  if (t.contains("s")) {
    if (count == nullptr || !t["s"].is_number_unsigned()) {
      return bad;
    }
    *count = t["s"].get<std::uint64_t>();
  }
  position = t["o"].get<std::uint64_t>();
  return std::nullopt;
}

// page_size as a JSON number (body) or text (query): 1..max, default when absent.
Failure read_page_size(const Json* v, std::size_t def, std::size_t max, std::size_t& out) {
  out = def;
  if (v == nullptr || v->is_null()) {
    return std::nullopt;
  }
  if (!v->is_number_integer()) {
    return invalid("page_size must be an integer");
  }
  const auto n = v->get<std::int64_t>();
  if (n < 1 || static_cast<std::uint64_t>(n) > max) {
    return invalid("page_size must be between 1 and " + std::to_string(max));
  }
  out = static_cast<std::size_t>(n);
  return std::nullopt;
}

Failure read_page_size_text(const std::string& text, std::size_t def, std::size_t max, std::size_t& out) {
  if (text.empty()) {
    out = def;
    return std::nullopt;
  }
  if (text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("page_size must be an integer");
  }
  const Json n = std::stoll(text);
  return read_page_size(&n, def, max, out);
}

// ---------------------------------------------------------------------------------------------

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) {
      out.push_back(seg);
    }
    if (slash == std::string_view::npos) {
      break;
    }
    path = path.substr(slash + 1);
  }
  return out;
}

std::string_view bearer_of(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) {
    return {};
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) {
      return {};
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  while (!token.empty() && token.back() == ' ') {
    token.remove_suffix(1);
  }
  return token;
}


// ---------------------------------------------------------------------------------------------

using ApiOutcome = std::variant<http::Response, ApiError>;

http::Response finish_outcome(ApiOutcome o) {
  if (auto* e = std::get_if<ApiError>(&o)) {
    return fga_error_response(*e);
  }
  return std::get<http::Response>(std::move(o));
}

}  // namespace

// The API of one organization's store: everything under /stores/{store_id}.
struct OpenFgaStoreApi {
  std::string org_id;
  std::shared_ptr<PolicyService> service;
  store::Executor* executor = nullptr;
  OpenFgaApiOptions options;
  std::int64_t created_at = 0;

  using Outcome = ApiOutcome;

  // `segments`: the request path split at '/', segments[1] naming this store.
  asio::awaitable<http::Response> route(http::Exchange& ex, std::vector<std::string_view> segments) const;

  Failure parse_body(const http::Request& req, Json& out, std::size_t max_depth = mcp::kDefaultMaxJsonDepth) const {
    const std::string& body = req.body();
    if (body.size() > options.max_body_bytes) {
      return invalid("request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
    }
    if (body.empty()) {
      out = Json::object();
      return std::nullopt;
    }
    auto parsed = mcp::parse_json(body, max_depth);
    if (!parsed) {
      return invalid("malformed JSON: " + parsed.error().message);
    }
    if (!parsed->is_object()) {
      return invalid("request body must be a JSON object");
    }
    out = std::move(parsed).value();
    return std::nullopt;
  }

  // The model a query is evaluated with. We evaluate with the current model only (the engine
  // holds one compiled model); naming another id — even an older model of this store — is
  // refused rather than silently answered with a different model.
  Failure check_model(const Json& body) const {
    std::string requested;
    if (auto f = read_string(body, "authorization_model_id", requested, "request")) {
      return f;
    }
    const std::string current = service->current_model_id();
    if (current.empty()) {
      return api_error(ApiCode::kLatestAuthorizationModelNotFound,
                       "no authorization model found for store '" + service->store_id() + "'");
    }
    if (requested.empty() || requested == current) {
      return std::nullopt;
    }
    if (!is_ulid(requested)) {
      return invalid("authorization_model_id must be a ULID");
    }
    return api_error(ApiCode::kAuthorizationModelNotFound,
                     "authorization model '" + requested +
                         "' is not the current model of this store; queries are evaluated with "
                         "the current model only (" + current + ")");
  }

  Json store_json() const {
    const std::int64_t created = created_at;
    const auto models = service->models();
    const std::int64_t updated = models.empty() ? created : std::max(created, models.front().created_at);
    // "organization" is ours (OpenFGA clients ignore members they do not know): which
    // organization the store belongs to, as `mcpgate tuples --org` looks it up.
    return {{"id", service->store_id()},
            {"name", service->store_name()},
            {"organization", org_id},
            {"created_at", timestamp_json(created)},
            {"updated_at", timestamp_json(updated)}};
  }

  Failure read_check(const Json& item, authz::CheckRequest& out, std::string_view where) const {
    auto key = item.find("tuple_key");
    if (key == item.end() || key->is_null()) {
      return invalid(std::string(where) + ".tuple_key is required");
    }
    authz::TupleRecord t;
    if (auto f = read_tuple_key(*key, t, KeyRules{}, options.max_context_bytes,
                                std::string(where) + ".tuple_key")) {
      return f;
    }
    out.user = std::move(t.user);
    out.relation = std::move(t.relation);
    out.object = std::move(t.object);
    if (auto f = read_contextual(item, out.contextual_tuples, options.max_contextual_tuples,
                                 options.max_context_bytes)) {
      return f;
    }
    return read_context(item, "context", out.context, options.max_context_bytes, where);
  }

  Outcome check(const Json& body) const {
    if (auto f = check_model(body)) {
      return *f;
    }
    authz::CheckRequest request;
    if (auto f = read_check(body, request, "request")) {
      return *f;
    }
    const authz::CheckResult r = service->engine().check(request);
    if (!r.error.ok()) {
      return from_fga(r.error);
    }
    return json_response(http::StatusCode::ok, {{"allowed", r.allowed}, {"resolution", ""}});
  }

  Outcome batch_check(const Json& body) const {
    if (auto f = check_model(body)) {
      return *f;
    }
    auto checks = body.find("checks");
    if (checks == body.end() || !checks->is_array() || checks->empty()) {
      return invalid("checks must be a non-empty array");
    }
    if (checks->size() > options.max_batch_checks) {
      return invalid("batch-check received " + std::to_string(checks->size()) +
                     " checks; at most " + std::to_string(options.max_batch_checks) + " are allowed");
    }
    std::vector<authz::CheckRequest> requests;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < checks->size(); ++i) {
      const std::string where = "checks[" + std::to_string(i) + "]";
      const Json& item = (*checks)[i];
      if (auto f = require_object(item, where)) {
        return *f;
      }
      std::string id;
      if (auto f = read_string(item, "correlation_id", id, where)) {
        return *f;
      }
      // OpenFGA: ^[\w\d-]{1,36}$
      if (id.empty() || id.size() > 36 ||
          !std::all_of(id.begin(), id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
          })) {
        return invalid(where + ".correlation_id must be 1..36 characters of [A-Za-z0-9_-]");
      }
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
        return invalid("duplicate correlation_id '" + id + "'");
      }
      authz::CheckRequest r;
      if (auto f = read_check(item, r, where)) {
        return *f;
      }
      ids.push_back(std::move(id));
      requests.push_back(std::move(r));
    }
    const auto results = service->engine().batch_check(requests);
    Json out = Json::object();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i >= results.size()) {
        out[ids[i]] = {{"error", {{"internal_error", "internal_error"}, {"message", "no result"}}}};
        continue;
      }
      const authz::CheckResult& r = results[i];
      if (r.error.ok()) {
        out[ids[i]] = {{"allowed", r.allowed}};
      } else if (r.error.code == authz::FgaErrorCode::kInternal) {
        out[ids[i]] = {{"error", {{"internal_error", "internal_error"}, {"message", "internal error"}}}};
      } else {
        const ApiError e = from_fga(r.error);
        out[ids[i]] = {{"error", {{"input_error", wire_of(e.code).name}, {"message", e.message}}}};
      }
    }
    return json_response(http::StatusCode::ok, {{"result", std::move(out)}});
  }

  // Parses a write body into a request. `on_duplicate` / `on_missing` "ignore" are returned so
  // the write task can drop no-op entries under the same view of the store.
  Failure read_write(const Json& body, authz::WriteRequest& out, bool& ignore_duplicates,
                     bool& ignore_missing) const {
    if (auto f = check_model(body)) {
      return f;
    }
    auto read_part = [&](const char* name, std::vector<authz::TupleRecord>& list, const char* mode_key,
                         bool& ignore, bool conditions) -> Failure {
      auto it = body.find(name);
      if (it == body.end() || it->is_null()) {
        return std::nullopt;
      }
      if (auto f = require_object(*it, name)) {
        return f;
      }
      std::string mode;
      if (auto f = read_string(*it, mode_key, mode, name)) {
        return f;
      }
      if (!mode.empty() && mode != "error" && mode != "ignore") {
        return invalid(std::string(name) + "." + mode_key + " must be \"error\" or \"ignore\"");
      }
      ignore = mode == "ignore";
      auto keys = it->find("tuple_keys");
      if (keys == it->end() || !keys->is_array() || keys->empty()) {
        return invalid(std::string(name) + ".tuple_keys must be a non-empty array");
      }
      // Counted against the limit before anything is parsed: 100k entries cost one check.
      if (keys->size() > options.max_tuples_per_write) {
        return api_error(ApiCode::kExceededEntityLimit,
                         "the number of write operations exceeds the allowed limit of " +
                             std::to_string(options.max_tuples_per_write));
      }
      if (auto f = read_tuple_list(*keys, list, options.max_tuples_per_write, options.max_context_bytes,
                                   std::string(name) + ".tuple_keys")) {
        return f;
      }
      if (!conditions) {
        for (const auto& t : list) {
          if (!t.condition_name.empty()) {
            return invalid("deletes.tuple_keys take no condition");
          }
        }
      }
      return std::nullopt;
    };
    if (auto f = read_part("writes", out.writes, "on_duplicate", ignore_duplicates, true)) {
      return f;
    }
    if (auto f = read_part("deletes", out.deletes, "on_missing", ignore_missing, false)) {
      return f;
    }
    if (out.writes.empty() && out.deletes.empty()) {
      return api_error(ApiCode::kInvalidWriteInput,
                       "invalid input: provide at least one write or one delete");
    }
    if (out.writes.size() + out.deletes.size() > options.max_tuples_per_write) {
      return api_error(ApiCode::kExceededEntityLimit,
                       "the number of write operations exceeds the allowed limit of " +
                           std::to_string(options.max_tuples_per_write));
    }
    return std::nullopt;
  }

  asio::awaitable<Outcome> write(const Json& body, std::string_view remote_ip) const {
    authz::WriteRequest request;
    bool ignore_duplicates = false;
    bool ignore_missing = false;
    if (auto f = read_write(body, request, ignore_duplicates, ignore_missing)) {
      co_return *f;
    }
    const std::size_t writes = request.writes.size();
    const std::size_t deletes = request.deletes.size();
    PolicyService& svc = *service;
    auto result = co_await executor->run([&]() -> Result<authz::WriteResult> {
      // "ignore": identical existing tuples (condition included) and missing deletes are
      // dropped; a tuple that exists with another condition still fails, as in OpenFGA.
      auto exists = [&](const authz::TupleRecord& t) -> std::optional<authz::TupleRecord> {
        authz::ReadFilter filter{t.object, t.relation, t.user};
        auto found = svc.engine().read(filter, 1);
        if (found.empty()) {
          return std::nullopt;
        }
        return found.front();
      };
      if (ignore_duplicates) {
        std::erase_if(request.writes, [&](const authz::TupleRecord& t) {
          auto e = exists(t);
          return e && *e == t;
        });
      }
      if (ignore_missing) {
        std::erase_if(request.deletes, [&](const authz::TupleRecord& t) { return !exists(t); });
      }
      if (request.writes.empty() && request.deletes.empty()) {
        authz::WriteResult none;
        none.revision = svc.engine().revision();
        return none;
      }
      return svc.write_tuples(request);
    });
    if (!result) {
      co_return from_status("policy_api_write_failed", result.error());
    }
    if (!result->error.ok()) {
      co_return from_fga(result->error);
    }
    log::info("policy_tuples_written", {{"writes", writes},
                                        {"deletes", deletes},
                                        {"revision", result->revision},
                                        {"remote_ip", remote_ip}});
    co_return json_response(http::StatusCode::ok, Json::object());
  }

  Outcome read(const Json& body) const {
    authz::ReadFilter filter;
    auto key = body.find("tuple_key");
    if (key != body.end() && !key->is_null()) {
      authz::TupleRecord t;
      KeyRules rules{false, false, false, false};
      if (auto f = read_tuple_key(*key, t, rules, options.max_context_bytes, "tuple_key")) {
        return *f;
      }
      if (!t.object.empty() && t.object.find(':') == std::string::npos) {
        return invalid("tuple_key.object must be 'type:id' or 'type:'");
      }
      if (t.object.empty() && !t.user.empty()) {
        return invalid("tuple_key.object (at least 'type:') is required when tuple_key.user is given");
      }
      filter = {std::move(t.object), std::move(t.relation), std::move(t.user)};
    }
    const Json* ps = body.contains("page_size") ? &body["page_size"] : nullptr;
    std::size_t page = 0;
    if (auto f = read_page_size(ps, options.default_page_size, options.max_page_size, page)) {
      return *f;
    }
    std::string token;
    if (auto f = read_string(body, "continuation_token", token, "request")) {
      return *f;
    }
    const std::string fp = query_fingerprint(filter.object + '\n' + filter.relation + '\n' + filter.user);
    std::uint64_t offset = 0;
    if (auto f = read_token(token, "read", fp, offset)) {
      return *f;
    }
    // The store reads in a stable (index) order between writes; a page is a window of it. A
    // write between two pages may shift the window, as OpenFGA's pages are not snapshots either.
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(offset, 1u << 30)) + page + 1;
    auto tuples = service->engine().read(filter, want);
    Json out = Json::array();
    for (std::size_t i = static_cast<std::size_t>(std::min<std::uint64_t>(offset, tuples.size()));
         i < tuples.size() && out.size() < page; ++i) {
      // The engine keeps no per-tuple write time: the Unix epoch stands in (ReadChanges has the
      // real times).
      out.push_back({{"key", tuple_key_json(tuples[i])}, {"timestamp", timestamp_json(std::int64_t{0})}});
    }
    const bool more = tuples.size() > offset + page;
    return json_response(http::StatusCode::ok,
                         {{"tuples", std::move(out)},
                          {"continuation_token", more ? make_token("read", fp, offset + page) : ""}});
  }

  Outcome list_objects(const Json& body) const {
    if (auto f = check_model(body)) {
      return *f;
    }
    authz::ListObjectsRequest request;
    for (auto [key, out] : {std::pair{"type", &request.type}, std::pair{"relation", &request.relation},
                            std::pair{"user", &request.user}}) {
      if (auto f = read_string(body, key, *out, "request")) {
        return *f;
      }
    }
    if (!valid_type(request.type)) {
      return invalid("type must be 1..254 bytes without ':', '#', '@' or whitespace");
    }
    if (!valid_relation(request.relation)) {
      return invalid("relation must be 1..50 bytes without ':', '#', '@' or whitespace");
    }
    if (request.user.empty() || request.user.size() > 512 || has_space(request.user)) {
      return invalid("user must be 1..512 bytes without whitespace");
    }
    if (auto f = read_contextual(body, request.contextual_tuples, options.max_contextual_tuples,
                                 options.max_context_bytes)) {
      return *f;
    }
    if (auto f = read_context(body, "context", request.context, options.max_context_bytes, "request")) {
      return *f;
    }
    auto r = service->engine().list_objects(request);
    if (!r.error.ok()) {
      return from_fga(r.error);
    }
    return json_response(http::StatusCode::ok, {{"objects", r.objects}});
  }

  Outcome list_users(const Json& body) const {
    if (auto f = check_model(body)) {
      return *f;
    }
    authz::ListUsersRequest request;
    auto obj = body.find("object");
    if (obj == body.end() || !obj->is_object()) {
      return invalid("object must be an object {\"type\",\"id\"}");
    }
    std::string type;
    std::string id;
    if (auto f = read_string(*obj, "type", type, "object")) {
      return *f;
    }
    if (auto f = read_string(*obj, "id", id, "object")) {
      return *f;
    }
    if (!valid_type(type)) {
      return invalid("object.type must be 1..254 bytes without ':', '#', '@' or whitespace");
    }
    if (id.empty() || id.size() > 256 || has_space(id) || id.find_first_of("#:") != std::string::npos) {
      return invalid("object.id must be 1..256 bytes without '#', ':' or whitespace");
    }
    request.object = type + ":" + id;
    if (auto f = read_string(body, "relation", request.relation, "request")) {
      return *f;
    }
    if (!valid_relation(request.relation)) {
      return invalid("relation must be 1..50 bytes without ':', '#', '@' or whitespace");
    }
    auto filters = body.find("user_filters");
    // OpenFGA takes exactly one filter.
    if (filters == body.end() || !filters->is_array() || filters->size() != 1) {
      return invalid("user_filters must be an array of exactly one {\"type\",\"relation\"?}");
    }
    for (const Json& f : *filters) {
      if (auto e = require_object(f, "user_filters[0]")) {
        return *e;
      }
      std::string ft;
      std::string fr;
      if (auto e = read_string(f, "type", ft, "user_filters[0]")) {
        return *e;
      }
      if (auto e = read_string(f, "relation", fr, "user_filters[0]")) {
        return *e;
      }
      if (!valid_type(ft)) {
        return invalid("user_filters[0].type must be 1..254 bytes without ':', '#', '@' or whitespace");
      }
      if (!fr.empty() && !valid_relation(fr)) {
        return invalid("user_filters[0].relation must be 1..50 bytes without ':', '#', '@' or whitespace");
      }
      request.filters.push_back(fr.empty() ? ft : ft + "#" + fr);
    }
    if (auto f = read_contextual(body, request.contextual_tuples, options.max_contextual_tuples,
                                 options.max_context_bytes)) {
      return *f;
    }
    if (auto f = read_context(body, "context", request.context, options.max_context_bytes, "request")) {
      return *f;
    }
    auto r = service->engine().list_users(request);
    if (!r.error.ok()) {
      return from_fga(r.error);
    }
    Json users = Json::array();
    for (const auto& u : r.users) {
      users.push_back(user_json(u));
    }
    return json_response(http::StatusCode::ok, {{"users", std::move(users)}});
  }

  Outcome expand(const Json& body) const {
    if (auto f = check_model(body)) {
      return *f;
    }
    auto key = body.find("tuple_key");
    if (key == body.end() || key->is_null()) {
      return invalid("tuple_key is required");
    }
    authz::TupleRecord t;
    KeyRules rules{false, true, true, false};
    if (auto f = read_tuple_key(*key, t, rules, options.max_context_bytes, "tuple_key")) {
      return *f;
    }
    authz::ExpandRequest request;
    request.object = std::move(t.object);
    request.relation = std::move(t.relation);
    if (auto f = read_contextual(body, request.contextual_tuples, options.max_contextual_tuples,
                                 options.max_context_bytes)) {
      return *f;
    }
    auto r = service->engine().expand(request);
    if (!r.error.ok()) {
      return from_fga(r.error);
    }
    Json out = r.tree.is_object() && r.tree.contains("tree") ? r.tree : Json{{"tree", r.tree}};
    return json_response(http::StatusCode::ok, out);
  }

  static Json model_json(const StoredModel& m) {
    Json j = authz::model_to_json(m.model);
    j["id"] = m.id;
    return j;
  }

  Outcome list_models(const http::Request& req) const {
    auto params = query_params(req.target());
    if (!params) {
      return invalid("malformed query string");
    }
    std::size_t page = 0;
    if (auto f = read_page_size_text(param(*params, "page_size"), options.default_page_size,
                                     options.max_page_size, page)) {
      return *f;
    }
    std::uint64_t offset = 0;
    if (auto f = read_token(param(*params, "continuation_token"), "models", "", offset)) {
      return *f;
    }
    const auto models = service->models();  // newest first
    Json out = Json::array();
    for (std::size_t i = static_cast<std::size_t>(std::min<std::uint64_t>(offset, models.size()));
         i < models.size() && out.size() < page; ++i) {
      out.push_back(model_json(models[i]));
    }
    const bool more = models.size() > offset + page;
    return json_response(http::StatusCode::ok,
                         {{"authorization_models", std::move(out)},
                          {"continuation_token", more ? make_token("models", "", offset + page) : ""}});
  }

  Outcome get_model(std::string_view id) const {
    if (!is_ulid(id)) {
      return invalid("authorization model id must be a ULID");
    }
    auto m = service->find_model(id);
    if (!m) {
      return api_error(ApiCode::kAuthorizationModelNotFound,
                       "authorization model '" + std::string(id) + "' not found");
    }
    return json_response(http::StatusCode::ok, {{"authorization_model", model_json(*m)}});
  }

  asio::awaitable<Outcome> write_model(const http::Request& req, std::string_view remote_ip) const {
    if (req.body().size() > options.max_model_bytes) {
      co_return api_error(ApiCode::kExceededEntityLimit,
                          "the authorization model exceeds " + std::to_string(options.max_model_bytes) + " bytes");
    }
    Json body;
    // Rewrites nest a few JSON levels per operator: allow deeper documents than elsewhere.
    if (auto f = parse_body(req, body, 512)) {
      co_return *f;
    }
    auto model = authz::model_from_json(body);
    if (!model) {
      co_return invalid(model.error().message);
    }
    PolicyService& svc = *service;
    const authz::AuthorizationModel& m = *model;
    auto id = co_await executor->run([&] { return svc.write_model(m); });
    if (!id) {
      if (id.error().code == ErrorCode::kInvalidArgument) {
        co_return api_error(ApiCode::kInvalidAuthorizationModel, id.error().message);
      }
      co_return from_status("policy_api_model_write_failed", id.error());
    }
    log::info("policy_model_written", {{"model_id", *id}, {"remote_ip", remote_ip}});
    co_return json_response(http::StatusCode::created, {{"authorization_model_id", *id}});
  }

  Outcome changes(const http::Request& req) const {
    auto params = query_params(req.target());
    if (!params) {
      return invalid("malformed query string");
    }
    const std::string type = param(*params, "type");
    if (!type.empty() && !valid_type(type)) {
      return invalid("type must be 1..254 bytes without ':', '#', '@' or whitespace");
    }
    std::size_t page = 0;
    if (auto f = read_page_size_text(param(*params, "page_size"), options.default_page_size,
                                     options.max_page_size, page)) {
      return *f;
    }
    // The position is (rev, cnt): every change before revision `rev` and the first `cnt` changes
    // of revision `rev` were consumed. One write is one revision with up to 100 changes, so a
    // page may end inside a revision.
    const std::string fp = query_fingerprint(type);
    const std::string token = param(*params, "continuation_token");
    std::uint64_t rev = 1;
    std::uint64_t cnt = 0;
    if (!token.empty()) {
      if (auto f = read_token(token, "changes", fp, rev, &cnt)) {
        return *f;
      }
      // A revision holds at most one write's changes: a larger count is not ours.
      if (rev == 0 || cnt > 100'000) {
        return api_error(ApiCode::kInvalidContinuationToken, "invalid continuation token");
      }
    }
    // A flag and a value rather than std::optional: g++ 12 -O3 reports a false
    // -Wmaybe-uninitialized on dereferencing the optional in the loop below.
    bool has_start = false;
    std::chrono::system_clock::time_point start_at{};
    if (const std::string st = param(*params, "start_time"); !st.empty() && token.empty()) {
      const auto parsed_start = parse_rfc3339(st);
      if (!parsed_start) {
        return invalid("start_time must be an RFC 3339 timestamp");
      }
      has_start = true;
      start_at = *parsed_start;
      if (start_at > std::chrono::system_clock::now()) {
        return invalid("start_time must be in the past");
      }
    }
    Json out = Json::array();
    bool consumed_any = false;
    // With start_time, changes before it are consumed in bounded batches until the first one due.
    for (;;) {
      const std::size_t batch_size = has_start ? 1000 : page - out.size();
      const auto batch = service->engine().read_changes(rev - 1, static_cast<std::size_t>(cnt) + batch_size, type);
      std::size_t fresh = 0;
      for (std::size_t i = static_cast<std::size_t>(std::min<std::uint64_t>(cnt, batch.size()));
           i < batch.size() && out.size() < page; ++i) {
        const auto& c = batch[i];
        ++fresh;
        consumed_any = true;
        if (c.revision == rev) {
          ++cnt;
        } else {
          rev = c.revision;
          cnt = 1;
        }
        if (has_start && c.time < start_at) {
          continue;
        }
        has_start = false;
        out.push_back({{"tuple_key", tuple_key_json(c.tuple)},
                       {"operation", c.op == authz::TupleChange::Op::kWrite ? "TUPLE_OPERATION_WRITE"
                                                                           : "TUPLE_OPERATION_DELETE"},
                       {"timestamp", timestamp_json(c.time)}});
      }
      if (!has_start || fresh == 0 || out.size() == page) {
        break;
      }
    }
    // The token names the position after the last change returned, so a client can poll with
    // it; with nothing new it comes back unchanged.
    const bool have_position = consumed_any || !token.empty();
    return json_response(http::StatusCode::ok,
                         {{"changes", std::move(out)},
                          {"continuation_token", have_position ? make_token("changes", fp, rev, cnt) : ""}});
  }
};

namespace {

http::Response method_not_allowed(std::string_view allow) {
  http::Response res = fga_error_response(api_error(ApiCode::kMethodNotAllowed, "method not allowed"));
  res.set(http::Field::allow, allow);
  return res;
}

}  // namespace

asio::awaitable<http::Response> OpenFgaStoreApi::route(http::Exchange& ex,
                                                       std::vector<std::string_view> segments) const {
  const http::Request& req = ex.request();
  const auto method = req.method();
  using V = http::bhttp::verb;
  const auto not_allowed = method_not_allowed;
  const auto finish = finish_outcome;
  if (segments.size() == 2) {
    if (method == V::get) {
      co_return json_response(http::StatusCode::ok, store_json());
    }
    if (method == V::delete_ || method == V::patch || method == V::put) {
      co_return fga_error_response(api_error(
          ApiCode::kUnimplemented,
          "stores are the organizations' own (one each); they cannot be changed or deleted"));
    }
    co_return not_allowed("GET");
  }
  const std::string_view op = segments[2];
  if (op == "authorization-models") {
    if (segments.size() == 3) {
      if (method == V::get) {
        co_return finish(list_models(req));
      }
      if (method == V::post) {
        co_return finish(co_await write_model(req, ex.remote_ip()));
      }
      co_return not_allowed("GET, POST");
    }
    if (segments.size() == 4) {
      if (method == V::get) {
        co_return finish(get_model(segments[3]));
      }
      co_return not_allowed("GET");
    }
  } else if (op == "changes" && segments.size() == 3) {
    if (method == V::get) {
      co_return finish(changes(req));
    }
    co_return not_allowed("GET");
  } else if (op == "assertions") {
    co_return fga_error_response(api_error(
        ApiCode::kUnimplemented, "assertions are not stored; run them with `mcpgate policy test`"));
  } else if (segments.size() == 3 &&
             (op == "check" || op == "batch-check" || op == "write" || op == "read" ||
              op == "list-objects" || op == "list-users" || op == "expand")) {
    if (method != V::post) {
      co_return not_allowed("POST");
    }
    Json body;
    if (auto f = parse_body(req, body)) {
      co_return fga_error_response(*f);
    }
    if (op == "check") {
      co_return finish(check(body));
    }
    if (op == "batch-check") {
      co_return finish(batch_check(body));
    }
    if (op == "write") {
      co_return finish(co_await write(body, ex.remote_ip()));
    }
    if (op == "read") {
      co_return finish(read(body));
    }
    if (op == "list-objects") {
      co_return finish(list_objects(body));
    }
    if (op == "list-users") {
      co_return finish(list_users(body));
    }
    co_return finish(expand(body));
  }
  co_return fga_error_response(api_error(ApiCode::kUndefinedEndpoint, "no such endpoint"));
}

// The top level: authentication, the store list, and dispatch to the named store's API.
struct OpenFgaApi::Impl {
  std::vector<std::shared_ptr<const OpenFgaStoreApi>> stores;  // the default organization's first
  OpenFgaApiOptions options;
  std::string token_digest;  // SHA-256 of the admin token: compared digest to digest, so the
                             // comparison time does not depend on the token's length either

  Failure authenticate(const http::Request& req, std::string_view remote_ip) const {
    const std::string_view given = bearer_of(http::header(req, "Authorization"));
    if (given.empty()) {
      return api_error(ApiCode::kBearerTokenMissing, "missing bearer token");
    }
    if (!crypto::constant_time_equal(crypto::sha256(given), token_digest)) {
      log::warn("policy_api_unauthenticated", {{"remote_ip", remote_ip}});
      return api_error(ApiCode::kUnauthenticated, "unauthenticated");
    }
    return std::nullopt;
  }

  // Every organization's store, in a stable order (the default organization's first), paged.
  ApiOutcome list_stores(const http::Request& req) const {
    auto params = query_params(req.target());
    if (!params) {
      return invalid("malformed query string");
    }
    std::size_t page = 0;
    if (auto f = read_page_size_text(param(*params, "page_size"), options.default_page_size,
                                     options.max_page_size, page)) {
      return *f;
    }
    std::uint64_t offset = 0;
    if (auto f = read_token(param(*params, "continuation_token"), "stores", "", offset)) {
      return *f;
    }
    Json out = Json::array();
    for (std::size_t i = static_cast<std::size_t>(std::min<std::uint64_t>(offset, stores.size()));
         i < stores.size() && out.size() < page; ++i) {
      out.push_back(stores[i]->store_json());
    }
    const bool more = stores.size() > offset + page;
    return json_response(http::StatusCode::ok,
                         {{"stores", std::move(out)},
                          {"continuation_token", more ? make_token("stores", "", offset + page) : ""}});
  }

  const OpenFgaStoreApi* find(std::string_view store_id) const {
    for (const auto& s : stores) {
      if (s->service->store_id() == store_id) {
        return s.get();
      }
    }
    return nullptr;
  }

  asio::awaitable<http::Response> route(http::Exchange& ex) const {
    const http::Request& req = ex.request();
    if (auto f = authenticate(req, ex.remote_ip())) {
      co_return fga_error_response(*f);
    }
    auto segments = split_path(http::target_path(req.target()));
    using V = http::bhttp::verb;
    const auto method = req.method();
    if (segments.empty() || segments[0] != "stores") {
      co_return fga_error_response(api_error(ApiCode::kUndefinedEndpoint, "no such endpoint"));
    }
    if (segments.size() == 1) {
      if (method == V::get) {
        co_return finish_outcome(list_stores(req));
      }
      if (method == V::post) {
        co_return fga_error_response(api_error(
            ApiCode::kUnimplemented,
            "every organization has exactly one store, made by the gate; stores cannot be created"));
      }
      co_return method_not_allowed("GET");
    }
    const std::string_view store_id = segments[1];
    if (!is_ulid(store_id)) {
      co_return fga_error_response(invalid("store_id must be a ULID"));
    }
    // Another organization's store id and an id nobody has answer alike.
    const OpenFgaStoreApi* store = find(store_id);
    if (store == nullptr) {
      co_return fga_error_response(api_error(ApiCode::kStoreIdNotFound, "store not found"));
    }
    co_return co_await store->route(ex, std::move(segments));
  }
};

OpenFgaApi::OpenFgaApi(OrgStores stores, store::Executor& executor, OpenFgaApiOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->token_digest = crypto::sha256(options.admin_token);
  options.admin_token.clear();  // only the digest is kept
  impl_->options = options;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  for (auto& s : stores) {
    auto api = std::make_shared<OpenFgaStoreApi>();
    api->org_id = std::move(s.org_id);
    api->service = std::move(s.service);
    api->executor = &executor;
    api->options = options;
    api->created_at = now;
    const auto models = api->service->models();
    if (!models.empty()) {
      api->created_at = std::min(api->created_at, models.back().created_at);
    }
    impl_->stores.push_back(std::move(api));
  }
}

OpenFgaApi::OpenFgaApi(std::shared_ptr<PolicyService> service, store::Executor& executor,
                       OpenFgaApiOptions options)
    : OpenFgaApi(OrgStores{OrgStore{store::kDefaultOrgId, std::move(service)}}, executor,
                 std::move(options)) {}

asio::awaitable<void> OpenFgaApi::handle(http::Exchange& ex) const {
  // Keep the state alive for the whole request even if the router is torn down meanwhile.
  std::shared_ptr<Impl> impl = impl_;
  http::Response res;
  try {
    res = co_await impl->route(ex);
  } catch (const std::exception& e) {
    // nlohmann and the executor may throw (allocation, a bug): never let a request crash the
    // connection's coroutine; the client gets an internal error, the log the reason.
    log::error("policy_api_exception", {{"error", e.what()}});
    res = fga_error_response(api_error(ApiCode::kInternal, "internal error"));
  }
  co_await ex.respond(std::move(res));
}

Status mount_openfga_api(http::Router& router, OrgStores stores, store::Executor& executor,
                         OpenFgaApiOptions options) {
  if (options.admin_token.size() < 16) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the policy API admin token must be at least 16 bytes");
  }
  auto api = std::make_shared<OpenFgaApi>(std::move(stores), executor, std::move(options));
  http::Handler handler = [api](http::Exchange& ex) { return api->handle(ex); };
  router.add("/stores", handler);
  router.add_prefix("/stores/", handler);
  return {};
}

}  // namespace mcpgate::policy

namespace mcpgate::policy {

Status mount_openfga_api(http::Router& router, std::shared_ptr<PolicyService> service,
                         store::Executor& executor, OpenFgaApiOptions options) {
  return mount_openfga_api(router, OrgStores{OrgStore{store::kDefaultOrgId, std::move(service)}}, executor,
                           std::move(options));
}

}  // namespace mcpgate::policy
