#include "oauth/client_registry.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace mcpgate::oauth {
namespace {

std::vector<std::string> string_array(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) {
    return out;
  }
  for (const auto& v : value) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string string_member(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ApplicationType parse_application_type(std::string_view value) {
  if (value == "web") {
    return ApplicationType::kWeb;
  }
  if (value == "native") {
    return ApplicationType::kNative;
  }
  return ApplicationType::kUnspecified;
}

std::string default_method(const StaticClientOptions& client) {
  if (!client.token_endpoint_auth_method.empty()) {
    return client.token_endpoint_auth_method;
  }
  return client.client_secret.empty() ? std::string(kAuthNone) : std::string(kAuthSecretBasic);
}

}  // namespace

bool ClientInfo::allows_grant(std::string_view grant_type) const {
  return std::find(grant_types.begin(), grant_types.end(), grant_type) != grant_types.end();
}

std::string ClientInfo::display_name() const { return client_name.empty() ? client_id : client_name; }

bool looks_like_url(std::string_view client_id) { return client_id.find("://") != std::string_view::npos; }

store::Client static_client_record(const StaticClientOptions& client, std::int64_t now) {
  store::Client record;
  record.client_id = client.client_id;
  record.kind = store::ClientKind::kStatic;
  record.metadata = nlohmann::json{
      {"redirect_uris", client.redirect_uris},
      {"token_endpoint_auth_method", default_method(client)},
      {"grant_types", {"authorization_code", "refresh_token"}},
      {"response_types", {"code"}},
  };
  if (!client.client_name.empty()) {
    record.metadata["client_name"] = client.client_name;
  }
  if (!client.client_secret.empty()) {
    record.secret_hash = store::hash_secret(client.client_secret);
  }
  record.created_at = now;
  return record;
}

Result<ClientInfo> client_from_record(const store::Client& record) {
  const nlohmann::json& m = record.metadata;
  if (!m.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "client metadata is not an object");
  }
  ClientInfo info;
  info.client_id = record.client_id;
  info.kind = record.kind;
  info.metadata = m;
  info.client_name = string_member(m, "client_name");
  info.redirect_uris = string_array(m.value("redirect_uris", nlohmann::json()));
  info.token_endpoint_auth_method = string_member(m, "token_endpoint_auth_method");
  if (info.token_endpoint_auth_method.empty()) {
    info.token_endpoint_auth_method =
        record.secret_hash.empty() ? std::string(kAuthNone) : std::string(kAuthSecretBasic);
  }
  info.grant_types = string_array(m.value("grant_types", nlohmann::json()));
  if (!m.contains("grant_types")) {
    info.grant_types = {"authorization_code"};
  }
  if (auto it = m.find("jwks"); it != m.end() && it->is_object()) {
    info.jwks = *it;
  }
  info.jwks_uri = string_member(m, "jwks_uri");
  info.token_endpoint_auth_signing_alg = string_member(m, "token_endpoint_auth_signing_alg");
  info.application_type = parse_application_type(string_member(m, "application_type"));
  info.has_secret = !record.secret_hash.empty();
  info.secret_hash = record.secret_hash;
  info.secret_expires_at = record.secret_expires_at;
  return info;
}

ClientInfo client_from_cimd(const ClientMetadata& metadata) {
  ClientInfo info;
  info.client_id = metadata.client_id;
  info.kind = store::ClientKind::kCimd;
  info.client_name = metadata.client_name;
  info.redirect_uris = metadata.redirect_uris;
  info.token_endpoint_auth_method = metadata.token_endpoint_auth_method;
  info.grant_types = metadata.grant_types;
  info.jwks = metadata.jwks;
  info.jwks_uri = metadata.jwks_uri;
  info.application_type = parse_application_type(metadata.application_type);
  info.client_id_host = metadata.host;
  info.cimd_document = metadata.document;
  info.metadata = nlohmann::json::parse(metadata.document, nullptr, false);
  if (info.metadata.is_discarded() || !info.metadata.is_object()) {
    info.metadata = nlohmann::json::object();
  }
  return info;
}

ClientRegistry::ClientRegistry(store::Store& store, store::Executor& executor, CimdResolver* cimd,
                               const AuthOptions& options)
    : store_(store),
      executor_(executor),
      cimd_(cimd),
      cimd_enabled_(options.cimd.enabled && cimd != nullptr),
      static_clients_(options.clients) {
  for (const auto& c : static_clients_) {
    static_ids_.insert(c.client_id);
  }
}

Status ClientRegistry::seed_static_clients(std::int64_t now) {
  for (const auto& c : static_clients_) {
    store::Client record = static_client_record(c, now);
    auto existing = store_.find_client(c.client_id);
    if (!existing) {
      if (existing.error().code != ErrorCode::kNotFound) {
        return existing.error();
      }
      MCPGATE_TRY(store_.create_client(record));
      log::info("oauth_static_client_added", {{"client_id", c.client_id}});
      continue;
    }
    if (existing->kind != store::ClientKind::kStatic) {
      return make_error(ErrorCode::kAlreadyExists,
                        "configured client_id " + c.client_id + " is taken by a " +
                            store::client_kind_name(existing->kind) + " client");
    }
    record.created_at = existing->created_at;
    // An administrator's disableClient outlives restarts: the file says what the client is,
    // not whether it may still be used.
    record.disabled = existing->disabled;
    MCPGATE_TRY(store_.update_client(record));
  }
  return {};
}

asio::awaitable<Result<ClientInfo>> ClientRegistry::find(std::string client_id) {
  if (client_id.empty()) {
    co_return make_error(ErrorCode::kNotFound, "unknown client");
  }
  if (looks_like_url(client_id)) {
    if (!cimd_enabled_) {
      co_return make_error(ErrorCode::kNotFound, "client ID metadata documents are not enabled");
    }
    auto resolved = co_await cimd_->resolve(client_id);
    if (!resolved) {
      co_return resolved.error();
    }
    auto row = co_await executor_.run([&] { return store_.find_client(client_id); });
    if (row && row->disabled) {
      co_return make_error(ErrorCode::kNotFound, "unknown client");
    }
    if (!row && row.error().code != ErrorCode::kNotFound) {
      co_return row.error();
    }
    co_return client_from_cimd(*resolved);
  }
  auto row = co_await executor_.run([&] { return store_.find_client(client_id); });
  if (!row) {
    if (row.error().code == ErrorCode::kNotFound) {
      co_return make_error(ErrorCode::kNotFound, "unknown client");
    }
    co_return row.error();
  }
  if (row->disabled || row->kind == store::ClientKind::kCimd ||
      (row->kind == store::ClientKind::kStatic && static_ids_.count(client_id) == 0)) {
    co_return make_error(ErrorCode::kNotFound, "unknown client");
  }
  co_return client_from_record(*row);
}

Status ClientRegistry::ensure_stored_blocking(const ClientInfo& client, std::int64_t now) {
  if (client.kind != store::ClientKind::kCimd) {
    return {};
  }
  store::Client record;
  record.client_id = client.client_id;
  record.kind = store::ClientKind::kCimd;
  record.metadata = client.metadata;
  record.created_at = now;
  auto existing = store_.find_client(client.client_id);
  if (!existing) {
    if (existing.error().code != ErrorCode::kNotFound) {
      return existing.error();
    }
    auto st = store_.create_client(record);
    if (st || st.error().code != ErrorCode::kAlreadyExists) {
      return st;
    }
    existing = store_.find_client(client.client_id);
    if (!existing) {
      return existing.error();
    }
  }
  if (existing->kind != store::ClientKind::kCimd) {
    return make_error(ErrorCode::kFailedPrecondition, "client_id taken by another kind of client");
  }
  if (existing->metadata != record.metadata) {
    store::Client updated = *existing;
    updated.metadata = record.metadata;
    return store_.update_client(updated);
  }
  return {};
}

}  // namespace mcpgate::oauth
