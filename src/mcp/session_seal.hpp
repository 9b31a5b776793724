#pragma once
// Replica-portable session ids (session era): the Mcp-Session-Id a client receives is the
// session's own state sealed with AES-256-GCM, so any process holding the key can resume the
// session without a shared session store (a load balancer may send each request anywhere).
//
// What is sealed: the binding subject ("<sub>\n<client_id>", "" when anonymous), the negotiated
// protocol version, the client's capabilities, the attachments a SessionHooks implementation
// returned when the session opened (the gateway's per-client upstream session ids) and the
// time it was issued. The id is base64url (visible ASCII, as the transport requires) of
// crypto::AeadKey's blob, which names the key id: keys rotate by generation (see
// from_master_key) and an id sealed under the previous generation still opens.
//
// Opening refuses (nullopt-like kPermissionDenied / kInvalidArgument) anything malformed,
// forged, sealed under an unknown key, or older than the maximum lifetime; the caller compares
// the subject. An id is never logged.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "crypto/aead.hpp"
#include "crypto/master_key.hpp"

namespace mcpgate::mcp {

struct SessionState {
  std::string subject;
  std::string protocol_version;
  nlohmann::json client_capabilities = nlohmann::json::object();
  nlohmann::json attachments = nlohmann::json::object();
  std::int64_t issued_at = 0;  // unix seconds
};

// Ids longer than this are refused before any decoding (a header the size of a session, not
// of an attack).
inline constexpr std::size_t kMaxSealedSessionIdBytes = 4096;

class SessionSealer {
 public:
  // `current` seals and opens; `previous` only opens (ids issued before a rotation).
  SessionSealer(crypto::AeadKey current,
                std::vector<crypto::AeadKey> previous,
                std::chrono::seconds max_lifetime);

  // Keys derived from the data directory's master key for `generation` (>= 1); generation - 1
  // (when >= 1) is accepted for opening. Raising the generation rotates the key: sessions
  // issued under the old one keep working for one more rotation.
  static SessionSealer from_master_key(const crypto::MasterKey& master,
                                       int generation,
                                       std::chrono::seconds max_lifetime);

  // The sealed id; kResourceExhausted when it would exceed kMaxSealedSessionIdBytes (oversized
  // capabilities are reduced to their keys first, so this takes huge attachments).
  Result<std::string> seal(const SessionState& state, std::int64_t now) const;

  // kInvalidArgument: not a sealed id of ours (malformed, oversized, unknown key);
  // kPermissionDenied: forged or altered; kDeadlineExceeded: past max_lifetime.
  Result<SessionState> open(std::string_view id, std::int64_t now) const;

  std::chrono::seconds max_lifetime() const { return max_lifetime_; }

 private:
  const crypto::AeadKey* key_for(std::uint32_t id) const;

  crypto::AeadKey current_;
  std::vector<crypto::AeadKey> previous_;
  std::chrono::seconds max_lifetime_;
};

}  // namespace mcpgate::mcp
