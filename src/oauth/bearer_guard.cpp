#include "oauth/bearer_guard.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "crypto/hash.hpp"
#include "crypto/jwt.hpp"
#include "metrics/metrics.hpp"
#include "oauth/form.hpp"

namespace mcpgate::oauth {

namespace {

constexpr std::size_t kMaxShards = 16;
constexpr std::size_t kPollBatch = 1000;
constexpr std::int64_t kPruneEveryS = 60;
// One answer for every refused token (ATTACKS row 102: no detail that helps an attacker).
constexpr std::string_view kInvalidTokenDescription =
    "The access token is invalid, expired or revoked";
constexpr std::string_view kMissingTokenDescription = "A Bearer access token is required";

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view token) {
  std::size_t i = 0;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) {
      break;
    }
  }
  if (i == 0) {
    return false;
  }
  for (; i < token.size(); ++i) {
    if (token[i] != '=') {
      return false;
    }
  }
  return true;
}

// True when the request target's query has an access_token parameter (RFC 6750 §2.3), however
// its name is percent-encoded.
bool has_query_token(std::string_view target) {
  std::string_view query = query_of(target);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::string_view name = piece.substr(0, piece.find('='));
    if (name == "access_token") {
      return true;
    }
    if (name.find('%') != std::string_view::npos) {
      auto decoded = percent_decode(name, true);
      if (decoded && *decoded == "access_token") {
        return true;
      }
    }
  }
  return false;
}

// An RFC 7230 quoted-string body (our values never hold '"' or '\', but never trust that).
std::string quote_value(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    }
  }
  out += '"';
  return out;
}

// A NumericDate (JSON number, possibly fractional or huge) as whole seconds, saturated.
std::int64_t seconds_of(const nlohmann::json& value) {
  const double d = value.get<double>();
  constexpr double kMax = 4.0e18;
  if (!(d < kMax)) {
    return static_cast<std::int64_t>(kMax);
  }
  if (!(d > -kMax)) {
    return -static_cast<std::int64_t>(kMax);
  }
  return static_cast<std::int64_t>(std::floor(d));
}

// check_claims' message -> our reason code (messages are the crypto module's own text).
std::string_view claims_reason(const std::string& message) {
  if (message.find("expired") != std::string::npos) {
    return "expired";
  }
  if (message.find("nbf") != std::string::npos) {
    return "not_yet_valid";
  }
  if (message.find("iat") != std::string::npos) {
    return "iat";
  }
  if (message.find("iss") != std::string::npos) {
    return "issuer";
  }
  if (message.find("aud") != std::string::npos) {
    return "audience";
  }
  return "claims";
}

const std::string* non_empty_string(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

std::uint64_t digest_word(const std::string& digest, std::size_t offset) {
  std::uint64_t w = 0;
  std::memcpy(&w, digest.data() + offset, sizeof w);
  return w;
}

// mcpgate_token_verifications_total{result}: the refusal reasons folded into a fixed set, every
// series created up front (a rate over a series that appears late misses its first events).
enum class TokenResult {
  kOk,
  kMissing,
  kInvalidRequest,
  kInvalid,
  kExpired,
  kRevoked,
  kWrongAudience,
  kError
};

void count_token(TokenResult result) {
  static constexpr std::array<std::string_view, 8> kNames = {"ok",
                                                             "missing",
                                                             "invalid_request",
                                                             "invalid",
                                                             "expired",
                                                             "revoked",
                                                             "wrong_audience",
                                                             "error"};
  static const std::array<metrics::Counter*, kNames.size()> counters = [] {
    auto& family = metrics::global().counter(
        "mcpgate_token_verifications_total",
        "Bearer tokens checked at the MCP endpoint, by result: ok, missing (no Bearer "
        "credential), invalid_request (two Authorization headers, a token in the query), invalid, "
        "expired, revoked, wrong_audience, error (no signing keys to check against).",
        {"result"});
    std::array<metrics::Counter*, kNames.size()> out{};
    for (std::size_t i = 0; i < kNames.size(); ++i) {
      out[i] = &family.with({kNames[i]});
    }
    return out;
  }();
  counters[static_cast<std::size_t>(result)]->inc();
}

TokenResult token_result(std::string_view reason) {
  if (reason == "expired") {
    return TokenResult::kExpired;
  }
  if (reason == "revoked") {
    return TokenResult::kRevoked;
  }
  if (reason == "audience") {
    return TokenResult::kWrongAudience;
  }
  if (reason == "no_keys") {
    return TokenResult::kError;
  }
  return TokenResult::kInvalid;
}

}  // namespace

struct BearerGuard::Verified {
  mcp::Caller caller;
  std::int64_t exp = 0;
  std::string jti;
};

struct BearerGuard::CacheShard {
  struct DigestHash {
    // The key is a SHA-256 digest: any 8 of its bytes are already uniformly distributed.
    std::size_t operator()(const std::string& digest) const {
      return static_cast<std::size_t>(digest_word(digest, 0));
    }
  };

  mutable std::shared_mutex mu;
  std::unordered_map<std::string, Verified, DigestHash> entries;
  std::int64_t last_sweep = 0;
};

struct BearerGuard::RevocationSet {
  RevocationSet(Clock c, std::int64_t leeway) : clock(std::move(c)), leeway_s(leeway) {}

  void add(const std::vector<store::RevokedToken>& tokens) {
    const std::int64_t now = clock();
    std::unique_lock lock(mu);
    for (const auto& t : tokens) {
      if (t.jti.empty() || t.expires_at + leeway_s < now) {
        continue;  // the exp check refuses that token anyway
      }
      auto [it, inserted] = entries.try_emplace(t.jti, t.expires_at);
      if (!inserted) {
        it->second = std::max(it->second, t.expires_at);
      }
    }
    if (now - last_prune >= kPruneEveryS) {
      last_prune = now;
      std::erase_if(entries, [&](const auto& e) { return e.second + leeway_s < now; });
    }
    size.store(entries.size());
  }

  bool contains(std::string_view jti) const {
    if (size.load(std::memory_order_acquire) == 0) {
      return false;
    }
    std::shared_lock lock(mu);
    return entries.find(jti) != entries.end();
  }

  const Clock clock;
  const std::int64_t leeway_s;
  mutable std::shared_mutex mu;
  StringMap<std::int64_t> entries;  // jti -> expires_at
  std::int64_t last_prune = 0;
  std::atomic<std::size_t> size{0};
};

BearerGuard::BearerGuard(BearerGuardOptions options,
                         KeySource keys,
                         const ScopeSet& scopes,
                         Clock clock)
    : options_(std::move(options)),
      keys_(std::move(keys)),
      scopes_(scopes),
      clock_(clock ? std::move(clock) : Clock(&system_now)) {
  challenge_ = "Bearer resource_metadata=" + quote_value(options_.resource_metadata_url);
  if (!scopes_.names().empty()) {
    challenge_ += ", scope=" + quote_value(join_scope(scopes_.names()));
  }
  for (const auto& name : scopes_.names()) {
    const auto all = scopes_.tools_for({name});
    scope_tools_.emplace(name, StringSet(all.begin(), all.end()));
    for (const auto& tool : scopes_.tools(name)) {
      listed_tools_.insert(tool);
      tool_scope_.try_emplace(tool, name);  // configuration order: the first one wins
    }
  }
  if (options_.cache_capacity > 0) {
    const std::size_t n = std::min(kMaxShards, options_.cache_capacity);
    shard_capacity_ = (options_.cache_capacity + n - 1) / n;
    for (std::size_t i = 0; i < n; ++i) {
      shards_.push_back(std::make_unique<CacheShard>());
    }
  }
  revoked_ = std::make_shared<RevocationSet>(clock_, options_.leeway_s);
}

BearerGuard::~BearerGuard() = default;

// --- authenticate ---------------------------------------------------------------------------

std::variant<mcp::Caller, http::Response> BearerGuard::authenticate(
    const http::Request& request) const {
  const std::size_t headers = request.count(http::Field::authorization);
  if (headers > 1) {
    log::info("mcp_token_rejected", {{"reason", "duplicate_authorization"}});
    return invalid_request("Send exactly one Authorization header");
  }
  if (has_query_token(request.target())) {
    // RFC 6750 §2.3 is not supported, and a request may use only one method (§2).
    log::info("mcp_token_rejected", {{"reason", "query_token"}});
    return invalid_request("Access tokens are accepted only in the Authorization header");
  }
  if (headers == 0) {
    return missing_token();
  }
  const std::string_view value = request[http::Field::authorization];
  const std::size_t space = value.find(' ');
  if (!ascii::iequals(value.substr(0, space), "Bearer")) {
    return missing_token();  // another scheme (Basic, DPoP, ...): no Bearer credential
  }
  std::string_view token =
      space == std::string_view::npos ? std::string_view() : value.substr(space);
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));  // 1*SP
  if (!is_b64token(token)) {
    return invalid_token("malformed_credential");
  }
  auto checked = check(token);
  if (auto* reason = std::get_if<std::string_view>(&checked)) {
    return invalid_token(*reason);
  }
  count_token(TokenResult::kOk);
  return std::get<mcp::Caller>(std::move(checked));
}

std::variant<mcp::Caller, std::string_view> BearerGuard::check(std::string_view token) const {
  const std::int64_t now = clock_();
  std::string digest;
  CacheShard* shard = nullptr;
  if (!shards_.empty()) {
    digest = crypto::sha256(token);
    shard = shards_[digest_word(digest, 8) % shards_.size()].get();
    std::optional<Verified> hit;
    {
      std::shared_lock lock(shard->mu);
      auto it = shard->entries.find(digest);
      if (it != shard->entries.end()) {
        hit = it->second;
      }
    }
    if (hit) {
      if (now >= hit->exp + options_.leeway_s) {
        std::unique_lock lock(shard->mu);
        shard->entries.erase(digest);
        return std::string_view("expired");
      }
      if (revoked_->contains(hit->jti)) {
        return std::string_view("revoked");
      }
      return std::move(hit->caller);
    }
  }
  auto verified = verify(token, now);
  if (auto* reason = std::get_if<std::string_view>(&verified)) {
    return *reason;
  }
  auto& v = std::get<Verified>(verified);
  if (revoked_->contains(v.jti)) {
    return std::string_view("revoked");
  }
  mcp::Caller caller = v.caller;
  if (shard != nullptr) {
    cache_put(digest, std::move(v), now);
  }
  return caller;
}

std::variant<BearerGuard::Verified, std::string_view> BearerGuard::verify(std::string_view token,
                                                                          std::int64_t now) const {
  crypto::JwtVerifyOptions vo;
  vo.allowed_algs = {crypto::JwsAlgorithm::kES256};
  vo.typ = "at+jwt";
  vo.require_kid = true;
  auto keys = keys_();
  if (!keys) {
    return std::string_view("no_keys");
  }
  auto jwt = crypto::verify_jwt(token, *keys, vo);
  if (!jwt && jwt.error().code == ErrorCode::kNotFound) {
    // The AS may have rotated since this snapshot (ATTACKS row 38): one more look.
    auto fresh = keys_();
    if (fresh && fresh.get() != keys.get()) {
      jwt = crypto::verify_jwt(token, *fresh, vo);
    }
  }
  if (!jwt) {
    switch (jwt.error().code) {
      case ErrorCode::kInvalidArgument:
        return std::string_view("malformed");
      case ErrorCode::kNotFound:
        return std::string_view("unknown_kid");
      default:
        return std::string_view("signature_or_header");
    }
  }
  const nlohmann::json& claims = jwt->payload;
  crypto::ClaimChecks cc;
  cc.now = now;
  cc.leeway = options_.leeway_s;
  cc.issuer = options_.issuer;
  cc.audience = options_.resource;
  cc.require_exp = true;
  cc.required = {"iat", "sub", "client_id", "jti"};
  if (auto st = crypto::check_claims(claims, cc); !st) {
    return claims_reason(st.error().message);
  }
  const std::string* sub = non_empty_string(claims, "sub");
  const std::string* client_id = non_empty_string(claims, "client_id");
  const std::string* jti = non_empty_string(claims, "jti");
  const std::string* org_id = non_empty_string(claims, "org_id");
  if (sub == nullptr || client_id == nullptr || jti == nullptr || org_id == nullptr) {
    return std::string_view("claims");
  }
  if (!store::is_valid_org_id(*org_id)) {
    return std::string_view("claims");
  }
  Verified v;
  if (const auto scope = claims.find("scope"); scope != claims.end()) {
    if (!scope->is_string()) {
      return std::string_view("claims");
    }
    v.caller.scopes = split_scope(scope->get_ref<const std::string&>());
  }
  v.caller.subject = *sub;
  v.caller.client_id = *client_id;
  v.caller.org_id = *org_id;
  v.jti = *jti;
  v.exp = seconds_of(claims.at("exp"));
  return v;
}

void BearerGuard::cache_put(const std::string& digest, Verified verified, std::int64_t now) const {
  CacheShard& shard = *shards_[digest_word(digest, 8) % shards_.size()];
  std::unique_lock lock(shard.mu);
  if (shard.entries.size() >= shard_capacity_ && shard.entries.count(digest) == 0) {
    // Full: drop expired entries (at most once a second per shard), then arbitrary ones. The
    // keys are uniformly random digests, so begin() is as good as a random pick.
    if (shard.last_sweep != now) {
      shard.last_sweep = now;
      std::erase_if(shard.entries,
                    [&](const auto& e) { return now >= e.second.exp + options_.leeway_s; });
    }
    while (shard.entries.size() >= shard_capacity_) {
      shard.entries.erase(shard.entries.begin());
    }
  }
  shard.entries.insert_or_assign(digest, std::move(verified));
}

// --- authorization --------------------------------------------------------------------------

bool BearerGuard::may_call(const mcp::Caller& caller, std::string_view tool) const {
  if (listed_tools_.find(tool) == listed_tools_.end()) {
    return true;  // no scope mentions it: a valid token is enough
  }
  for (const auto& scope : caller.scopes) {
    const auto it = scope_tools_.find(scope);
    if (it != scope_tools_.end() && it->second.find(tool) != it->second.end()) {
      return true;
    }
  }
  return false;
}

http::Response BearerGuard::forbid_tool(const mcp::Caller& caller, std::string_view tool) const {
  // Step-up (MCP authorization, RFC 6750 §3.1): what the caller has plus what the tool needs,
  // so a client that asks for exactly this keeps its current access.
  std::vector<std::string> wanted;
  for (const auto& s : caller.scopes) {
    if (valid_scope_token(s) && std::find(wanted.begin(), wanted.end(), s) == wanted.end()) {
      wanted.push_back(s);
    }
  }
  std::string needed;
  if (const auto it = tool_scope_.find(tool); it != tool_scope_.end()) {
    needed = it->second;
    if (std::find(wanted.begin(), wanted.end(), needed) == wanted.end()) {
      wanted.push_back(needed);
    }
  }
  const std::string description = needed.empty()
                                      ? std::string("The access token lacks a required scope")
                                      : "This tool requires the scope " + needed;
  http::Response res =
      http::make_json_error(http::StatusCode::forbidden, "insufficient_scope", description);
  res.set(http::Field::www_authenticate,
          "Bearer error=\"insufficient_scope\", scope=" + quote_value(join_scope(wanted))
              + ", resource_metadata=" + quote_value(options_.resource_metadata_url)
              + ", error_description=" + quote_value(description));
  return res;
}

// --- responses ------------------------------------------------------------------------------

http::Response BearerGuard::missing_token() const {
  count_token(TokenResult::kMissing);
  http::Response res = http::make_json_error(
      http::StatusCode::unauthorized, "unauthorized", kMissingTokenDescription);
  res.set(http::Field::www_authenticate, challenge_);
  return res;
}

http::Response BearerGuard::invalid_token(std::string_view reason) const {
  count_token(token_result(reason));
  // Expired tokens are routine (clients refresh on 401): debug. The rest deserve a look.
  if (reason == "expired") {
    log::debug("mcp_token_rejected", {{"reason", std::string(reason)}});
  } else {
    log::info("mcp_token_rejected", {{"reason", std::string(reason)}});
  }
  http::Response res = http::make_json_error(
      http::StatusCode::unauthorized, "invalid_token", kInvalidTokenDescription);
  res.set(
      http::Field::www_authenticate,
      "Bearer error=\"invalid_token\", error_description=" + quote_value(kInvalidTokenDescription)
          + ", " + challenge_.substr(std::string_view("Bearer ").size()));
  return res;
}

http::Response BearerGuard::invalid_request(std::string_view description) const {
  count_token(TokenResult::kInvalidRequest);
  http::Response res =
      http::make_json_error(http::StatusCode::bad_request, "invalid_request", description);
  res.set(http::Field::www_authenticate,
          "Bearer error=\"invalid_request\", error_description=" + quote_value(description) + ", "
              + challenge_.substr(std::string_view("Bearer ").size()));
  return res;
}

// --- revocation -----------------------------------------------------------------------------

void BearerGuard::revoke(const std::vector<store::RevokedToken>& entries) {
  revoked_->add(entries);
}

std::function<void(const std::vector<store::RevokedToken>&)> BearerGuard::revocation_listener()
    const {
  std::weak_ptr<RevocationSet> weak = revoked_;
  return [weak](const std::vector<store::RevokedToken>& entries) {
    if (auto set = weak.lock()) {
      set->add(entries);
    }
  };
}

bool BearerGuard::is_revoked(std::string_view jti) const {
  return revoked_->contains(jti);
}

Status BearerGuard::load_revocations(store::Store& store) {
  return poll_revocations_once(store);
}

Status BearerGuard::poll_revocations_once(store::Store& store) {
  std::lock_guard lock(poll_mu_);
  for (;;) {
    auto batch = store.revoked_since(last_seq_.load(), kPollBatch);
    if (!batch) {
      return batch.error();
    }
    if (batch->empty()) {
      revoked_->add({});  // lets the set prune itself even when nothing new arrives
      return {};
    }
    revoked_->add(*batch);
    std::int64_t seq = last_seq_.load();
    for (const auto& e : *batch) {
      seq = std::max(seq, e.seq);
    }
    last_seq_.store(seq);
    if (batch->size() < kPollBatch) {
      return {};
    }
  }
}

asio::awaitable<void> BearerGuard::run_revocation_poll(store::Store& store,
                                                       store::Executor& executor,
                                                       std::chrono::milliseconds period) {
  co_await executor.run_every(
      period, stopped_, [this, &store] { return poll_revocations_once(store); },
      [](const Error& e) { log::warn("mcp_revocation_poll_failed", {{"error", e.message}}); });
}

void BearerGuard::stop() {
  stopped_.store(true);
}

// --- organizations --------------------------------------------------------------------------

void BearerGuard::check_organizations(store::Store& store, store::Executor& executor) {
  org_store_ = &store;
  org_executor_ = &executor;
}

std::optional<std::optional<http::Response>> BearerGuard::confirm_cached(
    const mcp::Caller& caller, std::optional<std::string>* stale_org) const {
  if (org_store_ == nullptr) {
    return std::optional<http::Response>();
  }
  const std::int64_t now = clock_();
  std::lock_guard lock(user_org_mu_);
  const auto it = user_orgs_.find(std::string_view(caller.subject));
  if (it == user_orgs_.end()) {
    return std::nullopt;
  }
  if (now >= it->second.valid_until) {
    if (stale_org != nullptr) {
      *stale_org = it->second.org_id;
    }
    return std::nullopt;
  }
  if (it->second.org_id == caller.org_id) {
    return std::optional<http::Response>();
  }
  return std::optional<http::Response>(invalid_token("org_mismatch"));
}

asio::awaitable<std::optional<http::Response>> BearerGuard::confirm(
    const mcp::Caller& caller) const {
  // The cached answer first, without a copy of the caller's strings: the common case.
  std::optional<std::string> stale_org;  // an expired cached answer, for a store outage
  std::optional<std::optional<http::Response>> known = confirm_cached(caller, &stale_org);
  if (known) {
    co_return std::move(*known);
  }
  // Copied before the first suspension (`caller` is a reference), for use after the store read.
  const std::string user_id = caller.subject;
  const std::string org_id = caller.org_id;
  const std::int64_t now = clock_();
  store::Store* store = org_store_;
  auto user = co_await org_executor_->run([&] { return store->find_user(user_id); });
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      co_return invalid_token("user_gone");
    }
    // The store cannot answer: the signed claim stands (see the header) unless what we last
    // read contradicts it.
    std::int64_t logged = org_unavailable_logged_at_.load();
    if (now >= logged + 10 && org_unavailable_logged_at_.compare_exchange_strong(logged, now)) {
      log::warn("mcp_token_org_check_unavailable",
                {{"error", user.error().message}, {"serving", "the token's signed org_id"}});
    }
    if (stale_org && *stale_org != org_id) {
      co_return invalid_token("org_mismatch");
    }
    co_return std::nullopt;
  }
  {
    std::lock_guard lock(user_org_mu_);
    if (user_orgs_.size() >= kMaxUserOrgEntries) {
      user_orgs_.clear();  // rare; the next requests re-read
    }
    user_orgs_.insert_or_assign(user_id, UserOrg{user->org_id, now + kUserOrgTtlS});
  }
  if (user->org_id != org_id) {
    co_return invalid_token("org_mismatch");
  }
  co_return std::nullopt;
}

// --- introspection --------------------------------------------------------------------------

std::size_t BearerGuard::cache_size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::shared_lock lock(shard->mu);
    n += shard->entries.size();
  }
  return n;
}

std::size_t BearerGuard::revoked_count() const {
  return revoked_->size.load();
}

}  // namespace mcpgate::oauth
