#pragma once
// ClientRegistry: one view of every kind of client (ATTACKS rows 1, 51-58).
//
//   static  pre-registered in the configuration; written to the store at start (the
//           configuration is the truth: a client removed from it is refused even though its
//           row may remain, since the store cannot list rows to delete them)
//   dcr     registered through RFC 7591 (/register), kept in the store
//   cimd    client_id is an https URL naming a Client ID Metadata Document, resolved (fetched,
//           validated, cached) by CimdResolver; a store row is written when the client first
//           obtains a grant, because grants and codes reference it
// A client_id that looks like a URL is only ever a CIMD client (generated and configured ids
// never look like URLs).
//
// Thread-safety: all methods may be called concurrently; they never block a network thread
// (store work goes through the executor).

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/asio.hpp"
#include "oauth/cimd.hpp"
#include "oauth/options.hpp"
#include "oauth/redirect_uri.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

inline constexpr std::string_view kAuthNone = "none";
inline constexpr std::string_view kAuthSecretBasic = "client_secret_basic";
inline constexpr std::string_view kAuthSecretPost = "client_secret_post";
inline constexpr std::string_view kAuthPrivateKeyJwt = "private_key_jwt";

struct ClientInfo {
  std::string client_id;
  store::ClientKind kind = store::ClientKind::kStatic;
  std::string client_name;  // may be empty
  std::vector<std::string> redirect_uris;
  std::string token_endpoint_auth_method = "none";
  std::vector<std::string> grant_types;
  nlohmann::json jwks;  // null when none
  std::string jwks_uri;
  std::string token_endpoint_auth_signing_alg;  // "" = any we support
  ApplicationType application_type = ApplicationType::kUnspecified;
  std::string client_id_host;  // CIMD: the host of the client_id URL
  bool has_secret = false;
  // The stored secret's hash and expiry (0: none), as read with the row, for the token
  // endpoint's client authentication. Never serialised or logged.
  std::string secret_hash;
  store::Timestamp secret_expires_at = 0;
  nlohmann::json metadata = nlohmann::json::object();  // as stored (CIMD: the parsed document)
  std::string cimd_document;  // CIMD: the document as fetched

  bool public_client() const { return token_endpoint_auth_method == kAuthNone; }
  bool uses_secret() const {
    return token_endpoint_auth_method == kAuthSecretBasic ||
           token_endpoint_auth_method == kAuthSecretPost;
  }
  bool allows_grant(std::string_view grant_type) const;
  // client_name, or the client_id when it has none.
  std::string display_name() const;
};

// True for the client_ids that can only be CIMD URLs.
bool looks_like_url(std::string_view client_id);

// A static client as a store row (metadata in RFC 7591 form, secret hashed).
store::Client static_client_record(const StaticClientOptions& client, std::int64_t now);

// A store row (static or DCR) as a ClientInfo. kInvalidArgument for a corrupt row.
Result<ClientInfo> client_from_record(const store::Client& record);

// A resolved CIMD document as a ClientInfo.
ClientInfo client_from_cimd(const ClientMetadata& metadata);

class ClientRegistry {
 public:
  ClientRegistry(store::Store& store, store::Executor& executor, CimdResolver* cimd,
                 const AuthOptions& options);

  // Blocking (start-up): writes the configured static clients to the store.
  Status seed_static_clients(std::int64_t now);

  // The client. Errors (messages are safe to show):
  //   kNotFound          unknown (or disabled) client
  //   kInvalidArgument   CIMD URL or document refused (and other CimdResolver codes as it
  //                      documents them: all mean invalid_client)
  //   kUnavailable       store unavailable
  asio::awaitable<Result<ClientInfo>> find(std::string client_id);

  // Makes sure a CIMD client has a store row holding its current document (no-op for other
  // kinds). Blocking: call inside store::Executor::run.
  Status ensure_stored_blocking(const ClientInfo& client, std::int64_t now);

 private:
  store::Store& store_;
  store::Executor& executor_;
  CimdResolver* cimd_;
  bool cimd_enabled_;
  std::vector<StaticClientOptions> static_clients_;
  std::set<std::string, std::less<>> static_ids_;
};

}  // namespace mcpgate::oauth
