#include "provision/scim_service.hpp"

#include <chrono>
#include <utility>
#include <vector>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "scim/datetime.hpp"
#include "scim/error.hpp"
#include "scim/filter.hpp"
#include "scim/names.hpp"
#include "scim/patch.hpp"
#include "scim/projection.hpp"
#include "scim/resource.hpp"
#include "scim/schema.hpp"

namespace mcpgate::provision {
namespace {

using Json = nlohmann::json;
using scim::ScimType;
using store::ScimKind;

// A replace that lost a race with another writer (no If-Match) is re-read and re-applied at
// most this many times.
constexpr int kReplaceAttempts = 3;

const scim::ResourceType& type_of(ScimKind kind) {
  return kind == ScimKind::kUser ? scim::user_resource_type() : scim::group_resource_type();
}

const char* endpoint_of(ScimKind kind) { return kind == ScimKind::kUser ? "/Users/" : "/Groups/"; }

Error not_found(ScimKind kind, std::string_view id) {
  return make_error(ErrorCode::kNotFound, std::string(kind == ScimKind::kUser ? "User " : "Group ")
                                              + scim::printable(id) + " not found");
}

std::string iso_time(std::int64_t seconds) { return scim::format_datetime(seconds * 1'000'000); }

// What the store keeps apart from the JSON document.
struct Extracted {
  std::string name;
  std::string external_id;
  bool active = true;
  std::optional<std::string> password;  // clear text, to be hashed
  std::vector<store::ScimMember> members;
};

Result<Extracted> extract(ScimKind kind, Json& doc) {
  Extracted e;
  const char* name_attr = kind == ScimKind::kUser ? "userName" : "displayName";
  const auto name = doc.find(name_attr);
  if (name == doc.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return scim::scim_error(ScimType::kInvalidValue, std::string(name_attr) + " is required");
  }
  e.name = name->get<std::string>();
  if (e.name.size() > 256) {
    return scim::scim_error(ScimType::kInvalidValue, std::string(name_attr) + " is too long");
  }
  if (const auto ext = doc.find("externalId"); ext != doc.end() && ext->is_string()) {
    e.external_id = ext->get<std::string>();
  }
  if (kind == ScimKind::kUser) {
    if (const auto active = doc.find("active"); active != doc.end() && active->is_boolean()) {
      e.active = active->get<bool>();
    } else {
      // Absent means active; the stored resource says so, as Entra's validator expects to read.
      doc["active"] = true;
    }
    if (const auto pw = doc.find("password"); pw != doc.end()) {
      if (pw->is_string()) {
        e.password = pw->get<std::string>();
      }
      doc.erase("password");
    }
    return e;
  }
  if (const auto members = doc.find("members"); members != doc.end()) {
    if (members->size() > 10'000) {
      return scim::scim_error(ScimType::kTooMany, "a group may have at most 10000 members");
    }
    for (const auto& m : *members) {
      const auto value = m.find("value");
      if (value == m.end() || !value->is_string() || value->get_ref<const std::string&>().empty()) {
        return scim::scim_error(ScimType::kInvalidValue, "a member needs a value");
      }
      if (const auto type = m.find("type");
          type != m.end() && type->is_string() && !ascii::iequals(type->get<std::string>(), "User")) {
        return scim::scim_error(ScimType::kInvalidValue, "only users can be group members");
      }
      e.members.push_back(store::ScimMember{value->get<std::string>(), ""});
    }
    doc.erase("members");
  }
  return e;
}

// Store errors as the client sees them.
Error client_error(const Error& e, ScimKind kind, std::string_view id) {
  switch (e.code) {
    case ErrorCode::kAlreadyExists:
      return scim::scim_error(ScimType::kUniqueness,
                              kind == ScimKind::kUser
                                  ? "userName is already taken in this organization"
                                  : "displayName is already taken in this organization");
    case ErrorCode::kNotFound:
      return not_found(kind, id);
    default:
      return e;
  }
}

}  // namespace

std::string scim_etag(std::int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

Result<std::int64_t> parse_if_match(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  if (value.empty() || value == "*") {
    return 0;
  }
  if (value.substr(0, 2) == "W/") {
    value.remove_prefix(2);
  }
  if (value.size() >= 3 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
    std::int64_t v = 0;
    bool digits = value.size() <= 18;
    for (const char c : value) {
      digits = digits && ascii::is_digit(c);
      v = v * 10 + (c - '0');
    }
    if (digits && v > 0) {
      return v;
    }
  }
  // An ETag we never issued cannot match the current one.
  return make_error(ErrorCode::kFailedPrecondition, "If-Match does not match the resource");
}

ScimService::ScimService(store::Store& store, ScimServiceOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.max_results < 1) {
    options_.max_results = 1;
  }
}

std::string ScimService::policy_store_of(std::string_view org_id) const {
  return options_.policy_store_for ? options_.policy_store_for(org_id) : std::string();
}

std::int64_t ScimService::now() const {
  if (options_.clock) {
    return options_.clock();
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<ScimCaller> ScimService::authenticate(std::string_view bearer_token) {
  const Error refused = make_error(ErrorCode::kUnauthenticated, "a valid directory token is required");
  if (bearer_token.empty() || bearer_token.size() > 512) {
    return refused;
  }
  auto directory = store_.find_scim_directory_by_token(store::hash_secret(bearer_token));
  if (!directory) {
    if (directory.error().code == ErrorCode::kNotFound) {
      return refused;
    }
    return directory.error();
  }
  if (directory->revoked_at) {
    return refused;
  }
  return ScimCaller{directory->id, directory->org_id};
}

Json ScimService::to_json(ScimKind kind, const store::ScimResource& r) const {
  Json doc = r.resource;
  doc["id"] = r.id;
  Json& meta = doc["meta"];
  meta["resourceType"] = kind == ScimKind::kUser ? "User" : "Group";
  meta["created"] = iso_time(r.created_at);
  meta["lastModified"] = iso_time(r.last_modified);
  meta["version"] = scim_etag(r.version);
  meta["location"] = options_.base_url + endpoint_of(kind) + r.id;
  if (kind == ScimKind::kGroup) {
    Json members = Json::array();
    for (const auto& m : r.members) {
      members.push_back({{"value", m.user_id},
                         {"$ref", options_.base_url + "/Users/" + m.user_id},
                         {"display", m.user_name},
                         {"type", "User"}});
    }
    doc["members"] = std::move(members);
  }
  return doc;
}

ScimReply ScimService::reply(ScimKind kind, const store::ScimResource& r,
                             std::string_view attributes, std::string_view excluded) const {
  ScimReply out;
  Json doc = to_json(kind, r);
  const auto& type = type_of(kind);
  std::vector<scim::Resolved> attrs;
  std::vector<scim::Resolved> excl;
  if (auto a = scim::parse_attribute_list(attributes, type); a) {
    attrs = std::move(a).value();
  }
  if (auto x = scim::parse_attribute_list(excluded, type); x) {
    excl = std::move(x).value();
  }
  out.body = scim::project(doc, type, attrs, excl);
  out.etag = scim_etag(r.version);
  out.location = options_.base_url + endpoint_of(kind) + r.id;
  return out;
}

Result<store::ScimResource> ScimService::load(const ScimCaller& caller, ScimKind kind,
                                              std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return not_found(kind, id);
  }
  auto r = store_.find_scim_resource(kind, caller.org_id, id);
  if (!r) {
    return client_error(r.error(), kind, id);
  }
  return r;
}

Result<Json> ScimService::list(const ScimCaller& caller, ScimKind kind,
                               const ScimListRequest& request) {
  const auto& type = type_of(kind);
  // Malformed attribute lists fail the request before any work.
  MCPGATE_TRY(scim::parse_attribute_list(request.attributes, type));
  MCPGATE_TRY(scim::parse_attribute_list(request.excluded_attributes, type));
  std::optional<scim::Filter> filter;
  if (!request.filter.empty()) {
    MCPGATE_ASSIGN_OR_RETURN(filter, scim::compile_filter(request.filter, type));
  }
  const std::int64_t start = std::max<std::int64_t>(request.start_index.value_or(1), 1);
  const std::int64_t count = std::clamp<std::int64_t>(
      request.count.value_or(options_.max_results), 0, options_.max_results);
  store::ScimListQuery q;
  q.org_id = caller.org_id;
  q.kind = kind;
  q.filter = filter ? &*filter : nullptr;
  q.offset = start - 1;
  q.limit = count;
  // Entra reads groups with excludedAttributes=members: skip reading the members then.
  if (kind == ScimKind::kGroup && request.attributes.empty()) {
    std::string_view rest = request.excluded_attributes;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') {
        item.remove_prefix(1);
      }
      while (!item.empty() && item.back() == ' ') {
        item.remove_suffix(1);
      }
      if (ascii::iequals(item, "members")
          || ascii::iequals(item, std::string(scim::kGroupSchemaId) + ":members")) {
        q.with_members = false;
      }
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(auto page, store_.list_scim_resources(q));
  Json resources = Json::array();
  for (const auto& r : page.resources) {
    resources.push_back(reply(kind, r, request.attributes, request.excluded_attributes).body);
  }
  Json out = {{"schemas", {std::string(scim::kListResponseMessageId)}},
              {"totalResults", page.total},
              {"startIndex", start},
              {"itemsPerPage", static_cast<std::int64_t>(resources.size())}};
  out["Resources"] = std::move(resources);
  return out;
}

Result<ScimReply> ScimService::get(const ScimCaller& caller, ScimKind kind, std::string_view id,
                                   std::string_view attributes, std::string_view excluded) {
  const auto& type = type_of(kind);
  MCPGATE_TRY(scim::parse_attribute_list(attributes, type));
  MCPGATE_TRY(scim::parse_attribute_list(excluded, type));
  MCPGATE_ASSIGN_OR_RETURN(auto r, load(caller, kind, id));
  return reply(kind, r, attributes, excluded);
}

Result<ScimReply> ScimService::create(const ScimCaller& caller, ScimKind kind, const Json& body) {
  MCPGATE_ASSIGN_OR_RETURN(Json doc, scim::normalize_resource(body, type_of(kind)));
  MCPGATE_ASSIGN_OR_RETURN(Extracted e, extract(kind, doc));
  store::ScimResource r;
  r.id = (kind == ScimKind::kUser ? "usr_" : "grp_") + crypto::random_id();
  r.org_id = caller.org_id;
  r.name = e.name;
  r.external_id = e.external_id;
  r.active = e.active;
  r.members = std::move(e.members);
  r.created_at = now();
  r.last_modified = r.created_at;
  r.version = 1;
  doc["id"] = r.id;
  doc["meta"] = {{"resourceType", kind == ScimKind::kUser ? "User" : "Group"},
                 {"created", iso_time(r.created_at)},
                 {"lastModified", iso_time(r.last_modified)},
                 {"version", scim_etag(1)}};
  r.resource = std::move(doc);
  if (kind == ScimKind::kUser) {
    std::string hash;
    if (e.password) {
      auto hashed = crypto::hash_password(*e.password);
      if (!hashed) {
        return scim::scim_error(ScimType::kInvalidValue, "the password cannot be used");
      }
      hash = std::move(hashed).value();
    }
    if (auto st = store_.create_scim_user(r, hash); !st) {
      return client_error(st.error(), kind, r.id);
    }
  } else {
    const store::ScimTupleTarget tuples{policy_store_of(caller.org_id), r.created_at};
    if (auto st = store_.create_scim_group(r, tuples); !st) {
      if (st.error().code == ErrorCode::kFailedPrecondition) {
        return scim::scim_error(ScimType::kInvalidValue,
                                "a member is not a user of this organization");
      }
      return client_error(st.error(), kind, r.id);
    }
  }
  log::info("scim_created", {{"org_id", caller.org_id},
                             {"directory_id", caller.directory_id},
                             {"kind", kind == ScimKind::kUser ? "user" : "group"},
                             {"id", r.id}});
  // Members' display names come from the store: answer with what it now holds.
  if (kind == ScimKind::kGroup) {
    MCPGATE_ASSIGN_OR_RETURN(r, load(caller, kind, r.id));
  }
  return reply(kind, r);
}

Result<ScimReply> ScimService::store_replacement(const ScimCaller& caller, ScimKind kind,
                                                 const store::ScimResource& before, Json next,
                                                 std::int64_t expected_version) {
  if (const auto id = next.find("id"); id != next.end() && *id != before.id) {
    return scim::scim_error(ScimType::kMutability, "id cannot be changed");
  }
  MCPGATE_ASSIGN_OR_RETURN(Extracted e, extract(kind, next));
  store::ScimResource r;
  r.id = before.id;
  r.org_id = caller.org_id;
  r.name = e.name;
  r.external_id = e.external_id;
  r.active = e.active;
  r.members = std::move(e.members);
  r.created_at = before.created_at;
  r.last_modified = now();
  next["id"] = r.id;
  next["meta"] = {{"resourceType", kind == ScimKind::kUser ? "User" : "Group"},
                  {"created", iso_time(r.created_at)},
                  {"lastModified", iso_time(r.last_modified)}};
  r.resource = std::move(next);
  const std::int64_t version = expected_version != 0 ? expected_version : before.version;
  Result<std::int64_t> stored = 0;
  if (kind == ScimKind::kUser) {
    std::optional<std::string> hash;
    if (e.password) {
      auto hashed = crypto::hash_password(*e.password);
      if (!hashed) {
        return scim::scim_error(ScimType::kInvalidValue, "the password cannot be used");
      }
      hash = std::move(hashed).value();
    }
    stored = store_.replace_scim_user(r, version, hash);
  } else {
    const store::ScimTupleTarget tuples{policy_store_of(caller.org_id), r.last_modified};
    stored = store_.replace_scim_group(r, version, tuples);
    if (!stored && stored.error().code == ErrorCode::kFailedPrecondition
        && stored.error().message.find("member") != std::string::npos) {
      return scim::scim_error(ScimType::kInvalidValue,
                              "a member is not a user of this organization");
    }
  }
  if (!stored) {
    return client_error(stored.error(), kind, r.id);
  }
  r.version = *stored;
  if (kind == ScimKind::kUser && before.active && !r.active) {
    MCPGATE_TRY(deactivated(r.id));
  }
  if (kind == ScimKind::kUser && !before.active && r.active && options_.on_user_reactivated) {
    log::info("scim_user_reactivated", {{"user_id", r.id}});
    MCPGATE_TRY(options_.on_user_reactivated(r.id));
  }
  if (kind == ScimKind::kGroup) {
    MCPGATE_ASSIGN_OR_RETURN(r, load(caller, kind, r.id));
  }
  return reply(kind, r);
}

Result<ScimReply> ScimService::replace(const ScimCaller& caller, ScimKind kind, std::string_view id,
                                       const Json& body, std::int64_t expected_version) {
  for (int attempt = 1;; ++attempt) {
    MCPGATE_ASSIGN_OR_RETURN(auto before, load(caller, kind, id));
    if (expected_version != 0 && expected_version != before.version) {
      return make_error(ErrorCode::kFailedPrecondition, "If-Match does not match the resource");
    }
    if (body.is_object()) {
      if (const auto sent = body.find("id"); sent != body.end() && *sent != before.id) {
        return scim::scim_error(ScimType::kMutability, "id cannot be changed");
      }
    }
    MCPGATE_ASSIGN_OR_RETURN(Json next,
                             scim::replace_resource(to_json(kind, before), body, type_of(kind)));
    auto done = store_replacement(caller, kind, before, std::move(next), expected_version);
    if (done || done.error().code != ErrorCode::kFailedPrecondition || expected_version != 0
        || attempt == kReplaceAttempts) {
      return done;
    }
  }
}

Result<ScimReply> ScimService::patch(const ScimCaller& caller, ScimKind kind, std::string_view id,
                                     const Json& body, std::int64_t expected_version) {
  for (int attempt = 1;; ++attempt) {
    MCPGATE_ASSIGN_OR_RETURN(auto before, load(caller, kind, id));
    if (expected_version != 0 && expected_version != before.version) {
      return make_error(ErrorCode::kFailedPrecondition, "If-Match does not match the resource");
    }
    Json doc = to_json(kind, before);
    MCPGATE_ASSIGN_OR_RETURN(const auto outcome, scim::apply_patch(doc, body, type_of(kind)));
    if (!outcome.changed) {
      return reply(kind, before);
    }
    auto done = store_replacement(caller, kind, before, std::move(doc), expected_version);
    if (done || done.error().code != ErrorCode::kFailedPrecondition || expected_version != 0
        || attempt == kReplaceAttempts) {
      return done;
    }
  }
}

Status ScimService::remove(const ScimCaller& caller, ScimKind kind, std::string_view id,
                           std::int64_t expected_version) {
  MCPGATE_ASSIGN_OR_RETURN(auto before, load(caller, kind, id));
  if (expected_version != 0 && expected_version != before.version) {
    return make_error(ErrorCode::kFailedPrecondition, "If-Match does not match the resource");
  }
  const store::ScimTupleTarget tuples{policy_store_of(caller.org_id), now()};
  if (kind == ScimKind::kUser) {
    // Access ends before the records go: a failure here leaves the user in place for a retry.
    MCPGATE_TRY(deactivated(before.id));
    if (auto st = store_.delete_scim_user(caller.org_id, before.id, tuples); !st) {
      return client_error(st.error(), kind, id);
    }
  } else if (auto st = store_.delete_scim_group(caller.org_id, before.id, tuples); !st) {
    return client_error(st.error(), kind, id);
  }
  log::info("scim_deleted", {{"org_id", caller.org_id},
                             {"directory_id", caller.directory_id},
                             {"kind", kind == ScimKind::kUser ? "user" : "group"},
                             {"id", before.id}});
  return {};
}

Status ScimService::deactivated(const std::string& user_id) {
  log::info("scim_user_deactivated", {{"user_id", user_id}});
  if (options_.on_user_deactivated) {
    return options_.on_user_deactivated(user_id);
  }
  MCPGATE_TRY(store_.set_user_disabled(user_id, true));
  MCPGATE_TRY(store_.revoke_user_grants(user_id, now()));
  return {};
}

}  // namespace mcpgate::provision
