#include "mcp/session_seal.hpp"

#include "crypto/encoding.hpp"
#include "crypto/strict_json.hpp"

namespace mcpgate::mcp {

namespace {

using Json = nlohmann::json;

// GCM's associated data: a blob sealed for another purpose under the same key never opens here.
constexpr std::string_view kAad = "mcpgate/mcp-session-id/v1";
// Capabilities larger than this are sealed as their top-level keys only (what the gateway
// relays is decided by the keys; the details are hints).
constexpr std::size_t kMaxSealedCapabilitiesBytes = 1024;
// Tolerated clock skew between replicas for issued_at in the future.
constexpr std::int64_t kClockSkewSeconds = 300;

Json reduced_capabilities(const Json& caps) {
  if (!caps.is_object()) {
    return Json::object();
  }
  if (caps.dump().size() <= kMaxSealedCapabilitiesBytes) {
    return caps;
  }
  Json keys = Json::object();
  for (const auto& [name, value] : caps.items()) {
    if (name.size() <= 64) {
      keys[name] = Json::object();
    }
  }
  return keys;
}

}  // namespace

SessionSealer::SessionSealer(crypto::AeadKey current,
                             std::vector<crypto::AeadKey> previous,
                             std::chrono::seconds max_lifetime)
    : current_(std::move(current)), previous_(std::move(previous)), max_lifetime_(max_lifetime) {}

SessionSealer SessionSealer::from_master_key(const crypto::MasterKey& master,
                                             int generation,
                                             std::chrono::seconds max_lifetime) {
  const auto purpose = [](int g) {
    return "mcp-session-id/g" + std::to_string(g);
  };
  std::vector<crypto::AeadKey> previous;
  if (generation > 1) {
    previous.push_back(master.aead_key(purpose(generation - 1)));
  }
  return SessionSealer(master.aead_key(purpose(generation)), std::move(previous), max_lifetime);
}

const crypto::AeadKey* SessionSealer::key_for(std::uint32_t id) const {
  if (current_.id() == id) {
    return &current_;
  }
  for (const auto& k : previous_) {
    if (k.id() == id) {
      return &k;
    }
  }
  return nullptr;
}

Result<std::string> SessionSealer::seal(const SessionState& state, std::int64_t now) const {
  const Json plain{{"s", state.subject},
                   {"v", state.protocol_version},
                   {"c", reduced_capabilities(state.client_capabilities)},
                   {"a", state.attachments.is_object() ? state.attachments : Json::object()},
                   {"t", now}};
  MCPGATE_ASSIGN_OR_RETURN(
      std::string blob,
      current_.seal(plain.dump(-1, ' ', false, Json::error_handler_t::replace), kAad));
  std::string id = crypto::base64url_encode(blob);
  if (id.size() > kMaxSealedSessionIdBytes) {
    return make_error(ErrorCode::kResourceExhausted,
                      "the session state is too large to seal into a session id");
  }
  return id;
}

Result<SessionState> SessionSealer::open(std::string_view id, std::int64_t now) const {
  if (id.empty() || id.size() > kMaxSealedSessionIdBytes) {
    return make_error(ErrorCode::kInvalidArgument, "not a sealed session id (length)");
  }
  auto blob = crypto::base64url_decode(id);
  if (!blob) {
    return make_error(ErrorCode::kInvalidArgument, "not a sealed session id (encoding)");
  }
  const auto kid = crypto::aead_key_id(*blob);
  const crypto::AeadKey* key = kid ? key_for(*kid) : nullptr;
  if (key == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "not a sealed session id (unknown key)");
  }
  auto plain = key->open(*blob, kAad);
  if (!plain) {
    return make_error(ErrorCode::kPermissionDenied, "the session id failed authentication");
  }
  crypto::JsonLimits limits;
  limits.max_bytes = kMaxSealedSessionIdBytes;
  limits.max_depth = 64;  // the client's capabilities, as it nested them
  auto parsed = crypto::parse_json_strict(*plain, limits);
  // Authenticated, so written by us: a shape error means a bug or a key shared with something
  // else, never trusted.
  if (!parsed || !parsed->is_object()) {
    return make_error(ErrorCode::kPermissionDenied, "the session id holds no session");
  }
  const Json& j = *parsed;
  const auto s = j.find("s");
  const auto v = j.find("v");
  const auto c = j.find("c");
  const auto a = j.find("a");
  const auto t = j.find("t");
  if (s == j.end() || !s->is_string() || v == j.end() || !v->is_string() || c == j.end()
      || !c->is_object() || a == j.end() || !a->is_object() || t == j.end()
      || !t->is_number_integer()) {
    return make_error(ErrorCode::kPermissionDenied, "the session id holds no session");
  }
  SessionState state;
  state.subject = s->get<std::string>();
  state.protocol_version = v->get<std::string>();
  state.client_capabilities = *c;
  state.attachments = *a;
  state.issued_at = t->get<std::int64_t>();
  if (state.issued_at > now + kClockSkewSeconds
      || now - state.issued_at > static_cast<std::int64_t>(max_lifetime_.count())) {
    return make_error(ErrorCode::kDeadlineExceeded, "the session has expired");
  }
  return state;
}

}  // namespace mcpgate::mcp
