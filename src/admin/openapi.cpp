// The Admin API's OpenAPI 3.1 document, generated from the operation table (operations.hpp), so
// it describes exactly the operations that are routed: a route cannot exist undocumented, and
// the e2e test calls every operation the document lists.
#include <string>

#include "admin/admin_api.hpp"
#include "admin/operations.hpp"

namespace mcpgate::admin {
namespace {

Json schema_ref(const std::string& name) { return Json{{"$ref", "#/components/schemas/" + name}}; }
Json response_ref(const std::string& name) {
  return Json{{"$ref", "#/components/responses/" + name}};
}

Json json_content(const Json& schema) {
  Json media = Json::object();
  media["schema"] = schema;
  Json content = Json::object();
  content["application/json"] = media;
  return content;
}

Json error_response(const std::string& description) {
  Json r = Json::object();
  r["description"] = description;
  r["content"] = json_content(schema_ref("Error"));
  return r;
}

Json string_schema() { return Json{{"type", "string"}}; }
Json integer_schema() { return Json{{"type", "integer"}}; }
Json boolean_schema() { return Json{{"type", "boolean"}}; }
Json string_array() {
  Json s = {{"type", "array"}};
  s["items"] = string_schema();
  return s;
}

Json object_schema(const Json& properties, const Json& required) {
  Json s = {{"type", "object"}};
  s["properties"] = properties;
  s["required"] = required;
  return s;
}

Json list_schema(const std::string& item) {
  Json props = Json::object();
  Json items = {{"type", "array"}};
  items["items"] = schema_ref(item);
  props["items"] = items;
  props["next_cursor"] = Json{{"type", Json::array({"string", "null"})},
                              {"description", "Pass as cursor for the next page; null on the last"}};
  return object_schema(props, Json::array({"items", "next_cursor"}));
}

Json schemas() {
  Json s = Json::object();
  {
    Json p = Json::object();
    p["error"] = Json{{"type", "string"},
                      {"description", "invalid_request, invalid_token, insufficient_scope, "
                                      "forbidden, not_found, method_not_allowed, conflict, "
                                      "payload_too_large, unsupported_media_type, unavailable, "
                                      "internal_error"}};
    p["error_description"] = string_schema();
    s["Error"] = object_schema(p, Json::array({"error", "error_description"}));
  }
  {
    Json p = Json::object();
    p["id"] = string_schema();
    p["username"] = string_schema();
    p["org_id"] = string_schema();
    p["disabled"] = boolean_schema();
    p["deprovisioned_at"] = Json{{"type", Json::array({"integer", "null"})},
                                 {"description", "When the user was last deactivated (unix s)"}};
    p["password_login"] = boolean_schema();
    p["created_at"] = integer_schema();
    s["User"] = object_schema(p, Json::array({"id", "username", "org_id", "disabled",
                                              "deprovisioned_at", "created_at"}));
  }
  {
    Json p = Json::object();
    p["id"] = string_schema();
    p["client_id"] = string_schema();
    p["scopes"] = string_array();
    p["resources"] = string_array();
    p["created_at"] = integer_schema();
    s["Grant"] = object_schema(p, Json::array({"id", "client_id", "scopes", "resources", "created_at"}));
  }
  {
    Json p = Json::object();
    p["client_id"] = string_schema();
    p["kind"] = Json{{"type", "string"}, {"enum", Json::array({"static", "dcr", "cimd"})}};
    p["client_name"] = string_schema();
    p["confidential"] = boolean_schema();
    p["disabled"] = boolean_schema();
    p["created_at"] = integer_schema();
    p["metadata"] = Json{{"type", "object"}, {"description", "RFC 7591 client metadata"}};
    s["Client"] = object_schema(p, Json::array({"client_id", "kind", "client_name", "confidential",
                                                "disabled", "created_at", "metadata"}));
  }
  {
    // Sessions (adminid): a grant with its token facts; null where no token tells.
    const Json maybe_time = Json{{"type", Json::array({"integer", "null"})}};
    Json p = Json::object();
    p["id"] = Json{{"type", "string"}, {"description", "The session's grant id"}};
    p["user_id"] = string_schema();
    p["username"] = string_schema();
    p["client_id"] = string_schema();
    p["client_name"] = string_schema();
    p["scopes"] = string_array();
    p["resources"] = string_array();
    p["created_at"] = integer_schema();
    p["revoked_at"] = maybe_time;
    p["last_refresh_at"] = maybe_time;
    p["refresh_expires_at"] = maybe_time;
    p["last_token_at"] = maybe_time;
    p["access_expires_at"] = maybe_time;
    s["Session"] = object_schema(p, Json::array({"id", "user_id", "client_id", "client_name",
                                                 "scopes", "resources", "created_at",
                                                 "revoked_at"}));
    s["SessionList"] = list_schema("Session");
  }
  {
    // The caller's organization, groups, client details, audit, signing keys (adminid).
    const Json maybe_time = Json{{"type", Json::array({"integer", "null"})}};
    const Json maybe_string = Json{{"type", Json::array({"string", "null"})}};
    Json counts = Json::object();
    for (const char* n : {"users", "disabled_users", "live_sessions", "groups"}) {
      counts[n] = integer_schema();
    }
    Json p = Json::object();
    p["id"] = string_schema();
    p["name"] = string_schema();
    p["domains"] = string_array();
    p["password_login"] = boolean_schema();
    p["jit"] = boolean_schema();
    p["sso_configured"] = boolean_schema();
    p["created_at"] = integer_schema();
    p["counts"] = object_schema(counts, Json::array({"users", "disabled_users", "live_sessions", "groups"}));
    s["Organization"] = object_schema(p, Json::array({"id", "name", "domains", "sso_configured", "counts"}));
    s["OrganizationList"] = list_schema("Organization");

    Json member = Json::object();
    member["user_id"] = string_schema();
    member["username"] = string_schema();
    Json members = {{"type", "array"}};
    members["items"] = object_schema(member, Json::array({"user_id", "username"}));
    Json g = Json::object();
    g["id"] = string_schema();
    g["display_name"] = string_schema();
    g["external_id"] = maybe_string;
    g["created_at"] = integer_schema();
    g["last_modified"] = integer_schema();
    g["members"] = members;
    s["Group"] = object_schema(g, Json::array({"id", "display_name", "members"}));
    s["GroupList"] = list_schema("Group");
    s["GroupList"]["properties"]["total"] = integer_schema();

    Json cimd = Json::object();
    cimd["document_url"] = string_schema();
    cimd["fetched_at"] = maybe_time;
    cimd["expires_at"] = maybe_time;
    Json detail = {{"allOf", Json::array({schema_ref("Client")})}};
    Json extra = Json::object();
    extra["client_secret_expires_at"] =
        Json{{"type", Json::array({"integer", "null"})},
             {"description", "Confidential clients: when the secret expires (0: never)"}};
    extra["registration_management"] =
        Json{{"type", "boolean"}, {"description", "An RFC 7592 registration access token exists"}};
    Json cimd_or_null = object_schema(cimd, Json::array({"document_url", "fetched_at", "expires_at"}));
    cimd_or_null["type"] = Json::array({"object", "null"});
    extra["cimd"] = cimd_or_null;
    detail["allOf"].push_back(Json{{"type", "object"}, {"properties", extra}});
    s["ClientDetail"] = detail;
    Json st = Json::object();
    st["client_id"] = string_schema();
    st["disabled"] = boolean_schema();
    st["was_disabled"] = boolean_schema();
    st["tokens_revoked"] = integer_schema();
    s["ClientStateResult"] = object_schema(st, Json::array({"client_id", "disabled", "was_disabled", "tokens_revoked"}));

    Json rec = Json::object();
    rec["seq"] = integer_schema();
    rec["hash"] = string_schema();
    rec["record"] = Json{{"type", Json::array({"object", "null"})},
                         {"description", "The stored record: time_ms, user, client_id, org, upstream, tool, decision, ..."}};
    s["AuditRecord"] = object_schema(rec, Json::array({"seq", "hash", "record"}));
    s["AuditRecordList"] = list_schema("AuditRecord");
    Json problem = Json::object();
    problem["kind"] = string_schema();
    problem["reason"] = string_schema();
    Json problem_or_null = object_schema(problem, Json::array({"kind", "reason"}));
    problem_or_null["type"] = Json::array({"object", "null"});
    Json as = Json::object();
    as["ok"] = boolean_schema();
    as["records"] = integer_schema();
    as["last_seq"] = integer_schema();
    as["last_hash"] = string_schema();
    as["problem"] = problem_or_null;
    as["first_bad_seq"] = maybe_time;
    s["AuditStatus"] = object_schema(as, Json::array({"ok", "records", "last_seq", "problem", "first_bad_seq"}));

    Json k = Json::object();
    k["kid"] = string_schema();
    k["alg"] = string_schema();
    k["state"] = Json{{"type", "string"}, {"enum", Json::array({"next", "active", "retired"})}};
    k["created_at"] = integer_schema();
    k["activated_at"] = maybe_time;
    k["retired_at"] = maybe_time;
    k["public_jwk"] = Json{{"type", "object"}};
    s["SigningKey"] = object_schema(k, Json::array({"kid", "alg", "state", "created_at"}));
    Json kl = Json::object();
    Json kitems = {{"type", "array"}};
    kitems["items"] = schema_ref("SigningKey");
    kl["items"] = kitems;
    s["SigningKeyList"] = object_schema(kl, Json::array({"items"}));
    Json rot = Json::object();
    rot["active_kid"] = string_schema();
    rot["reloaded"] = boolean_schema();
    s["RotateKeyResult"] = object_schema(rot, Json::array({"active_kid"}));
  }
  s["UserList"] = list_schema("User");
  s["GrantList"] = list_schema("Grant");
  s["ClientList"] = list_schema("Client");
  {
    Json p = Json::object();
    p["user"] = schema_ref("User");
    p["grants_revoked"] = integer_schema();
    p["tokens_revoked"] = integer_schema();
    p["vault_connections_suspended"] = integer_schema();
    s["DeactivateResult"] = object_schema(p, Json::array({"user", "grants_revoked", "tokens_revoked"}));
  }
  {
    Json p = Json::object();
    p["user"] = schema_ref("User");
    p["was_disabled"] = boolean_schema();
    p["vault_connections_resumed"] = integer_schema();
    s["ReactivateResult"] = object_schema(p, Json::array({"user", "was_disabled"}));
  }
  {
    Json p = Json::object();
    p["grant_id"] = string_schema();
    p["already_revoked"] = boolean_schema();
    p["tokens_revoked"] = integer_schema();
    s["RevokeResult"] = object_schema(p, Json::array({"grant_id", "already_revoked", "tokens_revoked"}));
  }
  // Policy (operations_policy.cpp): the organization's authorization store.
  {
    Json p = Json::object();
    p["id"] = string_schema();
    p["created_at"] = integer_schema();
    p["current"] = Json{{"type", "boolean"}, {"description", "The model checks are decided on"}};
    p["type_count"] = integer_schema();
    p["condition_count"] = integer_schema();
    const Json summary_required = Json::array({"id", "created_at", "current"});
    s["AuthorizationModelSummary"] = object_schema(p, summary_required);
    p["dsl"] = Json{{"type", "string"}, {"description", "The model in OpenFGA's DSL"}};
    p["json"] = Json{{"type", "object"}, {"description", "The model in OpenFGA's JSON form"}};
    s["AuthorizationModel"] =
        object_schema(p, Json::array({"id", "created_at", "current", "dsl", "json"}));
    s["AuthorizationModelList"] = list_schema("AuthorizationModelSummary");
  }
  {
    Json p = Json::object();
    p["id"] = string_schema();
    p["previous_id"] = Json{{"type", Json::array({"string", "null"})}};
    s["ModelWriteResult"] = object_schema(p, Json::array({"id", "previous_id"}));
  }
  {
    Json p = Json::object();
    p["user"] = string_schema();
    p["relation"] = string_schema();
    p["object"] = string_schema();
    Json cond = Json::object();
    cond["name"] = string_schema();
    cond["context"] = Json{{"type", "object"}};
    p["condition"] = object_schema(cond, Json::array({"name"}));
    s["Tuple"] = object_schema(p, Json::array({"user", "relation", "object"}));
    s["TupleList"] = list_schema("Tuple");
  }
  {
    Json p = Json::object();
    p["written"] = integer_schema();
    p["deleted"] = integer_schema();
    p["revision"] = integer_schema();
    s["TupleWriteResult"] = object_schema(p, Json::array({"revision"}));
  }
  // Upstreams, tool pins and status (operations_runtime.cpp); gate-wide.
  {
    Json p = Json::object();
    p["name"] = string_schema();
    p["transport"] = Json{{"type", "string"}, {"enum", Json::array({"streamable-http", "stdio"})}};
    p["auth"] = Json{{"type", "string"}, {"enum", Json::array({"gate", "oauth"})},
                     {"description", "oauth: each user connects their own account upstream"}};
    p["ready"] = boolean_schema();
    p["circuit"] = Json{{"type", "string"}, {"enum", Json::array({"closed", "open", "half_open"})}};
    p["tools"] = integer_schema();
    p["withheld_tools"] = Json{{"type", "integer"},
                               {"description", "Changed definitions waiting for approval"}};
    p["prompts"] = integer_schema();
    p["resources"] = integer_schema();
    s["Upstream"] = object_schema(p, Json::array({"name", "transport", "ready", "circuit", "tools"}));
    s["UpstreamList"] = list_schema("Upstream");
  }
  {
    Json pending = Json::object();
    pending["hash"] = string_schema();
    pending["since"] = integer_schema();
    pending["definition"] = Json{{"description", "The changed definition (canonical JSON)"}};
    pending["changed_fields"] = string_array();
    Json p = Json::object();
    p["upstream"] = string_schema();
    p["tool"] = string_schema();
    p["hash"] = Json{{"type", "string"}, {"description", "SHA-256 (hex) of the approved definition"}};
    p["definition"] = Json{{"description", "The approved definition (canonical JSON)"}};
    p["approved_at"] = integer_schema();
    p["approved_by"] = Json{{"type", "string"}, {"enum", Json::array({"first-sight", "operator"})}};
    Json pending_schema = object_schema(pending, Json::array({"hash", "since", "definition", "changed_fields"}));
    pending_schema["type"] = Json::array({"object", "null"});
    p["pending"] = pending_schema;
    s["ToolPin"] = object_schema(p, Json::array({"upstream", "tool", "hash", "definition", "pending"}));
    s["ToolPinList"] = list_schema("ToolPin");
  }
  {
    Json p = Json::object();
    p["version"] = string_schema();
    p["started_at"] = integer_schema();
    p["uptime_s"] = integer_schema();
    p["store"] = Json{{"type", "string"}, {"enum", Json::array({"sqlite", "postgres"})}};
    p["config"] = Json{{"type", "object"},
                       {"description", "loaded_at (unix s, start or last successful reload), "
                                       "reloads, rejected_reloads"}};
    p["features"] = Json{{"type", "object"}, {"description", "What this process runs"}};
    p["upstreams"] = integer_schema();
    p["keys"] = Json{{"type", "object"},
                     {"description", "signing_kids (the JWKS), vault (master key versions); ids "
                                     "only, never key material"}};
    s["Status"] = object_schema(p, Json::array({"version", "started_at", "uptime_s", "store",
                                               "config", "features", "upstreams", "keys"}));
  }
  // Connectors, connections, vault key, quotas (operations_runtime.cpp).
  {
    Json p = Json::object();
    p["id"] = string_schema();
    p["kind"] = Json{{"type", "string"}, {"enum", Json::array({"connector", "oauth_upstream"})}};
    p["name"] = string_schema();
    p["auth"] = Json{{"type", "string"}, {"description", "How users connect (oauth2)"}};
    p["tools"] = string_array();
    p["scopes"] = string_array();
    s["Connector"] = object_schema(p, Json::array({"id", "kind", "tools"}));
    s["ConnectorList"] = list_schema("Connector");
  }
  {
    Json p = Json::object();
    p["user_id"] = string_schema();
    p["connector"] = string_schema();
    p["status"] = Json{{"type", "string"}, {"description", "active, needs_reconsent, ..."}};
    p["suspended"] = Json{{"type", "boolean"}, {"description", "Its user is deactivated"}};
    p["scopes"] = string_array();
    p["expires_at"] = integer_schema();
    p["created_at"] = integer_schema();
    p["refreshed_at"] = Json{{"type", "integer"}, {"description", "Last change of its tokens"}};
    s["Connection"] = object_schema(p, Json::array({"user_id", "connector", "status", "created_at"}));
    s["ConnectionList"] = list_schema("Connection");
  }
  {
    Json p = Json::object();
    p["user_id"] = string_schema();
    p["connector"] = string_schema();
    p["revoked"] = boolean_schema();
    s["ConnectionRevokeResult"] = object_schema(p, Json::array({"user_id", "connector", "revoked"}));
  }
  {
    Json p = Json::object();
    p["active_master_version"] = integer_schema();
    p["rewrapped"] = Json{{"type", "integer"}, {"description", "Data keys re-wrapped now"}};
    p["current"] = Json{{"type", "integer"}, {"description", "Data keys already under it"}};
    p["failures"] = string_array();
    s["VaultRotateResult"] =
        object_schema(p, Json::array({"active_master_version", "rewrapped", "current", "failures"}));
  }
  {
    Json p = Json::object();
    p["name"] = string_schema();
    p["per"] = Json{{"type", "array"}, {"items", Json{{"type", "string"}, {"enum", Json::array({"user", "client", "tool"})}}}};
    p["tools"] = Json{{"type", "string"}, {"description", "\"\" every tool, a name, or prefix*"}};
    p["calls_per_minute"] = Json{{"type", "integer"}, {"description", "0: no rate limit"}};
    p["max_concurrent"] = Json{{"type", "integer"}, {"description", "0: no concurrency limit"}};
    s["QuotaRule"] = object_schema(p, Json::array({"name", "per", "tools", "calls_per_minute", "max_concurrent"}));
    s["QuotaList"] = list_schema("QuotaRule");
  }
  add_insight_schemas(s);
  return s;
}

std::string method_key(http::bhttp::verb m) {
  switch (m) {
    case http::bhttp::verb::post:
      return "post";
    case http::bhttp::verb::put:
      return "put";
    case http::bhttp::verb::patch:
      return "patch";
    case http::bhttp::verb::delete_:
      return "delete";
    default:
      return "get";
  }
}

Json operation_json(const Operation& op, std::size_t max_page_size) {
  Json o = Json::object();
  o["operationId"] = std::string(op.operation_id);
  o["summary"] = std::string(op.summary);
  o["description"] = "Requires the " + std::string(op.scope) + " scope and the " +
                     std::string(op.permission) +
                     " relation on organization:<your organization> in your organization's "
                     "authorization store. Acts on your own organization only.";
  o["x-mcpgate-permission"] = std::string(op.permission);
  Json security_req = Json::object();
  security_req["gateOAuth"] = Json::array({std::string(op.scope)});
  o["security"] = Json::array({security_req});
  o["x-mcpgate-destructive"] = op.destructive;
  Json params = Json::array();
  for (const auto& p : op.params) {
    if (p.in == ParamIn::kBody) {
      continue;
    }
    Json param = {{"name", std::string(p.name)},
                  {"in", p.in == ParamIn::kPath ? "path" : "query"},
                  {"required", p.required}};
    param["schema"] = parameter_schema(p, max_page_size);
    params.push_back(param);
  }
  if (!params.empty()) {
    o["parameters"] = params;
  }
  if (op.has_body()) {
    bool required = false;
    for (const auto& p : op.params) {
      required = required || (p.in == ParamIn::kBody && p.required);
    }
    Json body = {{"required", required}};
    body["content"] = json_content(body_schema(op));
    o["requestBody"] = body;
  }
  Json responses = Json::object();
  Json ok = {{"description", "OK"}};
  ok["content"] = json_content(schema_ref(std::string(op.result_schema)));
  responses["200"] = ok;
  responses["400"] = response_ref("BadRequest");
  responses["401"] = response_ref("Unauthorized");
  responses["403"] = response_ref("Forbidden");
  responses["404"] = response_ref("NotFound");
  if (!op.read_only()) {
    responses["409"] = response_ref("Conflict");
  }
  if (op.has_body()) {
    responses["413"] = response_ref("PayloadTooLarge");
    responses["415"] = response_ref("UnsupportedMediaType");
  }
  responses["503"] = response_ref("Unavailable");
  o["responses"] = responses;
  return o;
}

}  // namespace

Json openapi_document(const AdminApiOptions& options, std::size_t max_page_size) {
  Json doc = Json::object();
  doc["openapi"] = "3.1.0";
  doc["info"] = Json{{"title", "mcpgate Admin API"},
                     {"version", "1"},
                     {"description",
                      "Administration of one organization of an mcpgate gateway. Access tokens "
                      "come from the gate's own authorization server with resource=" +
                          options.resource +
                          " (RFC 8707); every call is checked against the caller's "
                          "organization's authorization store."}};
  Json server = {{"url", options.public_url + std::string(kApiBase)}};
  doc["servers"] = Json::array({server});
  Json paths = Json::object();
  for (const auto& op : operations()) {
    paths[std::string(op.path)][method_key(op.method)] = operation_json(op, max_page_size);
  }
  doc["paths"] = paths;
  Json components = Json::object();
  components["schemas"] = schemas();
  Json responses = Json::object();
  responses["BadRequest"] = error_response("Malformed input (id, query or body)");
  responses["Unauthorized"] =
      error_response("No access token, or one that is invalid, expired, revoked or for "
                     "another resource (WWW-Authenticate: Bearer)");
  responses["Forbidden"] = error_response(
      "insufficient_scope (the token lacks the operation's scope) or forbidden (the caller "
      "lacks the operation's permission in their organization)");
  responses["NotFound"] = error_response("No such object in the caller's organization");
  responses["Conflict"] = error_response("The operation contradicts the current state");
  responses["PayloadTooLarge"] = error_response("The body is too large");
  responses["UnsupportedMediaType"] = error_response("The body is not application/json");
  responses["Unavailable"] = error_response("The store does not answer; retry");
  components["responses"] = responses;
  Json scopes = Json::object();
  scopes[std::string(kReadScope)] = "Read users, grants and clients";
  scopes[std::string(kWriteScope)] = "Deactivate and reactivate users, revoke grants";
  Json code_flow = {{"authorizationUrl", options.issuer + "/authorize"},
                    {"tokenUrl", options.issuer + "/token"}};
  code_flow["scopes"] = scopes;
  Json flows = Json::object();
  flows["authorizationCode"] = code_flow;
  Json scheme = {{"type", "oauth2"},
                 {"description", "OAuth 2.1 authorization code with PKCE; the token's audience "
                                 "must be the admin API's resource"}};
  scheme["flows"] = flows;
  Json schemes = Json::object();
  schemes["gateOAuth"] = scheme;
  components["securitySchemes"] = schemes;
  doc["components"] = components;
  return doc;
}

}  // namespace mcpgate::admin
